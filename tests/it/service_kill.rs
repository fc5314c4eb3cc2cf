//! `kill -9` of a real `listbridge serve` process in the middle of a push: a second
//! process on the same database takes the run over once the dead one's lease lapses and
//! finishes it, and the CRM ends with every lead exactly once.

use infor_crm_fake::{FakeConfig, FakeCrm, Fault, FaultConfig, FaultRule, Kind};
use serde_json::json;

use crate::support::process::{SharedDatabase, call, create_account, serve};
use crate::support::runs::{wait_run_at, wait_run_midway};
use crate::support::world::connect_body;

const MEMBERS: usize = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_s_run_is_finished_by_another() {
    crate::support::install_tls_provider();
    let crm = FakeCrm::start(FakeConfig {
        leads: 5,
        ..FakeConfig::default()
    })
    .await
    .expect("fake CRM");
    let database = SharedDatabase::create("kill").await;
    let database_url = database.url.as_str();
    let key = create_account(database_url, "acme").await;

    let mut first = serve(database_url, &[]).await;
    let base = first.base.clone();
    let client = reqwest::Client::new();
    let auth = |r: reqwest::RequestBuilder| r.bearer_auth(&key);
    call(
        auth(client.post(format!("{base}/v1/connectors")))
            .json(&connect_body(&crm.base_url(), "password")),
    )
    .await;
    let mut csv = String::from("Email,First Name,Last Name,Company\n");
    for i in 0..MEMBERS {
        csv.push_str(&format!(
            "killed{i}@kill.example,First{i},Last{i},Company {}\n",
            i % 9
        ));
    }
    let mapping = json!({ "Email": "email", "First Name": "first_name", "Last Name": "last_name", "Company": "company" }).to_string();
    let upload = call(
        auth(client.post(format!("{base}/v1/lists/upload")))
            .query(&[("name", "Kill test"), ("mapping", mapping.as_str())])
            .header("content-type", "text/csv")
            .body(csv),
    )
    .await;
    let list = upload["list"]["id"].as_str().expect("list id").to_string();
    call(
        auth(client.put(format!("{base}/v1/lists/{list}/sync")))
            .json(&json!({ "push": { "enabled": true, "add_new": true } })),
    )
    .await;
    crm.state().set_faults(FaultConfig {
        rules: vec![FaultRule::always(Fault::Latency { ms: 20 })],
        ..FaultConfig::default()
    });
    let queued =
        call(auth(client.post(format!("{base}/v1/lists/{list}/runs"))).json(&json!({}))).await;
    let run = queued["run"]["id"].as_str().expect("run id").to_string();

    wait_run_midway(&client, &base, &key, &run, |report| {
        report["counts"]["pushed_new"].as_u64().unwrap_or(0) >= 200
    })
    .await;
    // A second process, already serving, takes the run over once the first one's lease
    // lapses.
    let second = serve(database_url, &[]).await;
    first.child.kill().await.expect("kill -9");
    crm.state().clear_faults();
    let report = wait_run_at(&client, &second.base, &key, &run).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert!(report["resumes"].as_i64().unwrap_or(0) >= 1, "{report}");
    let mut emails: Vec<String> = crm
        .state()
        .records(Kind::Lead)
        .iter()
        .filter_map(|l| l.text("Email").map(str::to_lowercase))
        .filter(|e| e.ends_with("@kill.example"))
        .collect();
    let total = emails.len();
    emails.sort();
    emails.dedup();
    assert_eq!(
        (total, emails.len()),
        (MEMBERS, MEMBERS),
        "every member exactly once in the CRM"
    );
    drop(second);
}
