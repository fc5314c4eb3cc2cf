//! A crash in the middle of a push: the run resumes on another worker once the dead
//! worker's lease lapses, and the CRM ends with every lead exactly once.

use infor_crm_fake::{Fault, FaultConfig, FaultRule};
use listbridge::workers::spawn_workers;

use crate::support::services::{api_only, takeover_workers};
use crate::support::world::{crm_config, world_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_killed_midway_resumes_without_duplicates() {
    let w = world_with(crm_config(10, 0), api_only()).await;
    let (list, _) = w.people_list(2000, "resume.example").await;
    w.push_new_members(list).await;
    let leads_before = w.crm_leads().len();
    // Slow the CRM down so the run is still going when the worker dies.
    w.crm.state().set_faults(FaultConfig {
        rules: vec![FaultRule::always(Fault::Latency { ms: 15 })],
        ..FaultConfig::default()
    });

    let run = w.run_now(list, false).await;
    let (_stop_a, stopped_a) = tokio::sync::watch::channel(false);
    let first = spawn_workers(w.app.state.clone(), takeover_workers("worker-a"), stopped_a);
    w.wait_run_midway(&run, |report| {
        report["counts"]["pushed_new"].as_u64().unwrap_or(0) >= 400
    })
    .await;
    first.abort(); // the process dies: its job is dropped mid-write
    let _ = first.await;
    w.crm.state().clear_faults();

    let (_stop_b, stopped_b) = tokio::sync::watch::channel(false);
    let _second = spawn_workers(w.app.state.clone(), takeover_workers("worker-b"), stopped_b);
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
