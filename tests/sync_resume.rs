//! A crash in the middle of a push: the run resumes on another worker once the dead
//! worker's lease lapses, and the CRM ends with every lead exactly once.

mod common;
mod sync_support;

use std::time::Duration;

use infor_crm_fake::{Fault, FaultConfig, FaultRule};
use listbridge::{
    app::Services,
    jobs::{WorkerConfig, spawn_workers},
};
use serde_json::json;
use sync_support::{PEOPLE_COLUMNS, borrow_rows, crm_config, people, world_with};

fn workers(name: &str) -> WorkerConfig {
    WorkerConfig {
        workers: 2,
        lease: chrono::Duration::seconds(2),
        poll: Duration::from_millis(50),
        worker_id: name.into(),
        ..WorkerConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_killed_midway_resumes_without_duplicates() {
    let api_only = Services {
        workers: WorkerConfig {
            workers: 0,
            ..WorkerConfig::default()
        },
        ..Services::default()
    };
    let w = world_with(crm_config(10, 0), api_only).await;
    let rows = people(2000, "resume.example");
    let list = w
        .uploaded_list("Upload", &PEOPLE_COLUMNS, &borrow_rows(&rows))
        .await;
    let (status, body) = w
        .put_sync(
            list,
            &json!({ "push": { "enabled": true, "add_new": true } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let leads_before = w.crm_leads().len();
    // Slow the CRM down so the run is still going when the worker dies.
    w.crm.state().set_faults(FaultConfig {
        rules: vec![FaultRule::always(Fault::Latency { ms: 15 })],
        ..FaultConfig::default()
    });

    let run = w.run_now(list, false).await;
    let (_stop_a, stopped_a) = tokio::sync::watch::channel(false);
    let first = spawn_workers(w.app.state.clone(), workers("worker-a"), stopped_a);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, report) = common::json(w.app.get(&format!("/v1/runs/{run}"), &w.key).await).await;
        if report["counts"]["pushed_new"].as_u64().unwrap_or(0) >= 400 {
            break;
        }
        assert!(
            report["status"] != "succeeded",
            "the run finished before it could be killed: {report}"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "no progress: {report}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.abort(); // the process dies: its job is dropped mid-write
    let _ = first.await;
    w.crm.state().clear_faults();

    let (_stop_b, stopped_b) = tokio::sync::watch::channel(false);
    let _second = spawn_workers(w.app.state.clone(), workers("worker-b"), stopped_b);
    let report = w.wait_run(&run).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert!(
        report["resumes"].as_i64().unwrap_or(0) >= 1,
        "the report says the run resumed: {report}"
    );

    let leads = w.crm_leads();
    assert_eq!(
        leads.len(),
        leads_before + 2000,
        "every member became exactly one lead"
    );
    let mut emails: Vec<&str> = leads
        .iter()
        .filter_map(|l| l.text("Email"))
        .filter(|e| e.ends_with("@resume.example"))
        .collect();
    emails.sort_unstable();
    emails.dedup();
    assert_eq!(emails.len(), 2000, "no duplicates");
    assert!(
        w.members(list).await.iter().all(|m| m.crm.is_some()),
        "every member is linked"
    );
}
