//! `kill -9` of a real `listbridge serve` process while it writes a thousand call notes:
//! a second process on the same database takes the batches over once the dead one's
//! leases lapse, looks up the notes that were in flight, and the CRM ends with exactly
//! one `atPhoneCall` note per call.

use infor_crm_fake::{FakeConfig, FakeCrm, Fault, FaultConfig, FaultRule};
use serde_json::json;

use crate::support::calls::{
    assert_one_note_each, inbound_call, listing, number_leads, report, wait_settled,
};
use crate::support::process::{SharedDatabase, call, create_account, serve};
use crate::support::runs::wait_run_at;
use crate::support::wait;
use crate::support::world::connect_body;

const CALLS: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_s_call_notes_are_finished_once_by_another() {
    crate::support::install_tls_provider();
    let crm = FakeCrm::start(FakeConfig {
        leads: CALLS,
        contacts: 0,
        accounts: 5,
        page_cap: 100,
        ..FakeConfig::default()
    })
    .await
    .expect("fake CRM");
    let leads = number_leads(&crm, CALLS);
    let database = SharedDatabase::create("calls-kill").await;
    let database_url = database.url.as_str();
    let key = create_account(database_url, "acme").await;

    let mut first = serve(database_url, &[]).await;
    let base = first.base.clone();
    let client = reqwest::Client::new();
    let connector = call(
        client
            .post(format!("{base}/v1/connectors"))
            .bearer_auth(&key)
            .json(&connect_body(&crm.base_url(), "password")),
    )
    .await;
    let import = call(
        client
            .post(format!("{base}/v1/lists/import"))
            .bearer_auth(&key)
            .json(
                &json!({ "connector": connector["id"], "entity": "lead", "fields": ["WorkPhone"] }),
            ),
    )
    .await;
    let run = import["run_id"].as_str().expect("run id");
    let imported = wait_run_at(&client, &base, &key, run).await;
    assert_eq!(imported["status"], "succeeded", "{imported}");

    // A second process, already serving, takes the batches over once the first one's
    // leases lapse. Slow CRM requests, so the kill lands while notes are being written.
    let second = serve(database_url, &[]).await;
    crm.state().set_faults(FaultConfig {
        rules: vec![FaultRule::always(Fault::Latency { ms: 300 })],
        ..FaultConfig::default()
    });
    let (status, recorded) =
        report(&client, &base, &key, (0..CALLS).map(inbound_call).collect()).await;
    assert_eq!(status, 202, "{recorded}");
    wait::until("some call notes written", async || {
        let counts = listing(&client, &base, &key, "limit=1").await["counts"].clone();
        if counts["delivered"].as_u64().unwrap_or(0) >= 100 {
            Ok(())
        } else {
            Err(counts.to_string())
        }
    })
    .await;
    first.child.kill().await.expect("kill -9");
    let midway = listing(&client, &second.base, &key, "limit=1").await["counts"].clone();
    assert!(
        midway["delivered"].as_u64().unwrap_or(0) < CALLS as u64,
        "killed mid-delivery: {midway}"
    );
    crm.state().clear_faults();

    let counts = wait_settled(&client, &second.base, &key).await;
    assert_eq!(counts["delivered"], CALLS, "{counts}");
    assert_one_note_each(&crm, &leads);

    // Reported again to the survivor: nothing new.
    let (status, again) = report(
        &client,
        &second.base,
        &key,
        (0..CALLS).map(inbound_call).collect(),
    )
    .await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again["already_recorded"], CALLS);
    wait_settled(&client, &second.base, &key).await;
    assert_one_note_each(&crm, &leads);
    drop(second);
}
