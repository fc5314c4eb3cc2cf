//! Runs as jobs: a list's own sync and a segment push of the same list are two runs but
//! never execute at once (they would push the same members twice); a run whose CRM keeps
//! failing spends its attempts and ends dead with the last error, its run failed.

use std::sync::Arc;

use crate::support::runs::assert_took_turns;
use crate::support::wait;
use crate::support::world::{crm_config, world, world_configured};
use infor_crm_fake::{Fault, FaultConfig, FaultRule};
use listbridge::{app::Services, clock::TestClock, runs::RUN_MAX_ATTEMPTS};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_sync_and_its_segment_push_take_turns() {
    let mut config = crm_config(0, 0);
    config.faults.latency_ms = 15;
    let w = world(config).await;
    let (list, rows) = w.people_list(60, "turns.example").await;
    let filter = json!({ "combine": "all", "conditions": [
        { "column": "Company", "op": "starts_with", "value": "Company 1" }
    ] });
    let segment = w.create_segment(list, "Company 1x", &filter).await;
    w.push_new_members(list).await;
    let (status, body) = w
        .put(
            &format!("/v1/segments/{segment}/sync"),
            &json!({ "push": { "enabled": true, "add_new": true } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Run Now on both at once: two runs, not one returned twice.
    let (s1, a) = w.post(&format!("/v1/lists/{list}/runs"), &json!({})).await;
    let (s2, b) = w
        .post(&format!("/v1/segments/{segment}/runs"), &json!({}))
        .await;
    assert_eq!((s1, s2), (202, 202), "{a} {b}");
    let a = w.wait_run(a["run"]["id"].as_str().expect("id")).await;
    let b = w.wait_run(b["run"]["id"].as_str().expect("id")).await;
    assert_ne!(a["id"], b["id"]);
    for run in [&a, &b] {
        assert_eq!(run["status"], "succeeded", "{run}");
    }
    assert_took_turns(&[a.clone(), b.clone()]);
    for (email, _) in &rows {
        assert_eq!(w.leads_with_email(email), 1, "{email}: one lead");
    }
    let pushed = a["counts"]["pushed_new"].as_u64().unwrap_or(0)
        + b["counts"]["pushed_new"].as_u64().unwrap_or(0);
    assert_eq!(
        pushed,
        rows.len() as u64,
        "each member created once: {a} {b}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_keeps_failing_ends_dead_with_the_last_error() {
    let clock = TestClock::new("2026-03-02T10:00:00Z".parse().expect("instant"));
    let w = world_configured(
        crm_config(0, 0),
        Services {
            clock: Arc::new(clock.clone()),
            ..Services::default()
        },
        // One attempt per request: each job attempt fails at once. The clock jumps an
        // hour per look below, so the run may take as long as it likes (run_max_seconds).
        |c| {
            c.crm.attempts = 1;
            c.work.run_max_seconds = u32::MAX;
        },
    )
    .await;
    let (list, _) = w.people_list(3, "dead.example").await;
    w.push_new_members(list).await;
    // Connected while the CRM was up; from now on it answers every request with 503.
    w.crm.state().set_faults(FaultConfig {
        rules: vec![FaultRule::always(Fault::Status {
            status: 503,
            retry_after: None,
        })],
        ..FaultConfig::default()
    });
    let (status, queued) = w.post(&format!("/v1/lists/{list}/runs"), &json!({})).await;
    assert_eq!(status, 202, "{queued}");
    let run = queued["run"]["id"].as_str().expect("id").to_string();

    let dead = wait::until("the run's job to end dead", async || {
        let (_, jobs) = w.get("/v1/jobs?status=dead").await;
        if let Some(job) = jobs.as_array().and_then(|j| j.first()).cloned() {
            return Ok(job);
        }
        // Retries are due later on the service's clock: move it past the backoff.
        clock.advance(chrono::Duration::hours(1));
        w.app.state.job_signal.notify_one();
        Err(jobs.to_string())
    })
    .await;
    assert_eq!(dead["attempts"], RUN_MAX_ATTEMPTS, "{dead}");
    assert!(
        dead["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("503")
            || dead["last_error"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase()
                .contains("unavailable"),
        "the CRM's failure is kept: {dead}"
    );
    let report = w.wait_run(&run).await;
    assert_eq!(report["status"], "failed", "{report}");
    assert!(
        report["error"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("gave up after {RUN_MAX_ATTEMPTS} attempts")),
        "{report}"
    );
    assert_eq!(w.leads_with_email("person0@dead.example"), 0);
}
