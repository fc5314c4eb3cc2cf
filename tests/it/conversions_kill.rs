//! Acceptance 4 of issue 19: `kill -9` of a real `listbridge serve` while it delivers
//! 2,000 conversions. A second process on the same database takes the run over once the
//! dead one's lease lapses, and the platform holds each conversion exactly once
//! (counted on the fake platform: a batch in doubt is sent again under the same keys).

use std::collections::HashSet;

use call_tracking_fake::{Faults, call_reference};
use infor_crm_fake::{FakeConfig, FakeCrm, Kind};
use serde_json::json;

use crate::support::{
    conversions::{TOKEN, platform, won},
    process::{SharedDatabase, call, create_account, serve},
    wait::until,
    world::connect_body,
};

const CONVERSIONS: usize = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_delivery_leaves_each_conversion_on_the_platform_once() {
    crate::support::install_tls_provider();
    let crm = FakeCrm::start(FakeConfig::default())
        .await
        .expect("fake CRM");
    let records: Vec<_> = (1..=CONVERSIONS)
        .map(|n| won(n, &call_reference(n)))
        .collect();
    crm.state()
        .insert_records(Kind::Opportunity, &records)
        .expect("opportunities inserted");
    let platform = platform(CONVERSIONS).await;
    platform.state().set_faults(Faults {
        delay_ms: 100,
        ..Faults::default()
    });
    let database = SharedDatabase::create("conversions_kill").await;
    let database_url = database.url.as_str();
    let key = create_account(database_url, "acme").await;

    let mut first = serve(database_url, &[]).await;
    let base = first.base.clone();
    let client = reqwest::Client::new();
    let auth = |r: reqwest::RequestBuilder| r.bearer_auth(&key);
    let connector = call(
        auth(client.post(format!("{base}/v1/connectors")))
            .json(&connect_body(&crm.base_url(), "password")),
    )
    .await;
    let export = call(auth(client.post(format!("{base}/v1/conversion-exports"))).json(&json!({
        "name": "Won deals",
        "connector_id": connector["id"],
        "source": "opportunity",
        "rule": {
            "trigger": { "conditions": [{ "column": "Status", "op": "equals", "value": "Closed - Won" }] },
            "call_reference_field": "CallReference",
            "action_name": { "text": "sale" },
            "amount_field": "ActualAmount",
            "currency": { "field": "ExchangeRateCode" }
        },
        "destination": { "kind": "call_tracking_api", "base_url": platform.base_url(),
                         "token": TOKEN, "batch_size": 50, "requests_per_second": 100 }
    })))
    .await;
    let export = export["id"].as_str().expect("export id").to_string();
    let queued = call(auth(
        client.post(format!("{base}/v1/conversion-exports/{export}/runs")),
    ))
    .await;
    let run = queued["run"]["id"].as_str().expect("run id").to_string();

    until(
        "a quarter of the conversions to reach the platform",
        async || {
            let got = platform.state().accepted().len();
            if got >= CONVERSIONS / 4 {
                Ok(())
            } else {
                Err(format!("{got} accepted"))
            }
        },
    )
    .await;
    let second = serve(database_url, &[]).await;
    first.child.kill().await.expect("kill -9");
    let at_kill = platform.state().accepted().len();
    assert!(at_kill < CONVERSIONS, "killed midway: {at_kill}");
    platform.state().set_faults(Faults::default());

    let report = until("the run to end on the second process", async || {
        let run = call(auth(client.get(format!(
            "{}/v1/conversion-exports/{export}/runs/{run}",
            second.base
        ))))
        .await;
        match run["status"].as_str() {
            Some("queued" | "running") | None => Err(run.to_string()),
            Some(_) => Ok(run),
        }
    })
    .await;
    assert_eq!(report["status"], "succeeded", "{report}");

    let accepted = platform.state().accepted();
    let keys: HashSet<_> = accepted.iter().map(|c| c.idempotency_key.clone()).collect();
    let references: HashSet<_> = accepted
        .iter()
        .filter_map(|c| c.call_reference.clone())
        .collect();
    assert_eq!(accepted.len(), CONVERSIONS, "each conversion held once");
    assert_eq!(keys.len(), CONVERSIONS);
    assert_eq!(references.len(), CONVERSIONS);
    let pending = call(auth(client.get(format!(
        "{}/v1/conversion-exports/{export}/conversions?status=pending&limit=10",
        second.base
    ))))
    .await;
    assert_eq!(pending["conversions"], json!([]), "nothing left to send");
}
