//! Runs as jobs: a list's own sync and a segment push of the same list are two runs but
//! never execute at once (they would push the same members twice); a run whose CRM keeps
//! failing spends its attempts and ends dead with the last error, its run failed.

mod common;
mod sync_support;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use infor_crm_fake::{Fault, FaultConfig, FaultRule};
use listbridge::{app::Services, clock::TestClock, runs::RUN_MAX_ATTEMPTS};
use serde_json::{Value, json};
use sync_support::{
    PEOPLE_COLUMNS, World, borrow_rows, crm_config, people, world, world_configured,
};

fn instant(run: &Value, field: &str) -> DateTime<Utc> {
    run[field]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{field} of {run}"))
}

async fn post(w: &World, path: &str, body: Value) -> (u16, Value) {
    common::json(w.app.post(path, &w.key, &body).await).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_sync_and_its_segment_push_take_turns() {
    let mut config = crm_config(0, 0);
    config.faults.latency_ms = 15;
    let w = world(config).await;
    let rows = people(60, "turns.example");
    let list = w
        .uploaded_list("Upload", &PEOPLE_COLUMNS, &borrow_rows(&rows))
        .await;
    let (status, segment) = post(
        &w,
        &format!("/v1/lists/{list}/segments"),
        json!({
            "name": "Company 1x",
            "filter": { "combine": "all", "conditions": [
                { "column": "Company", "op": "starts_with", "value": "Company 1" }
            ] }
        }),
    )
    .await;
    assert_eq!(status, 201, "{segment}");
    let segment = segment["id"].as_str().expect("segment id").to_string();
    let (status, body) = w
        .put_sync(
            list,
            &json!({ "push": { "enabled": true, "add_new": true } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let response = w
        .app
        .client
        .put(w.app.url(&format!("/v1/segments/{segment}/sync")))
        .bearer_auth(&w.key)
        .json(&json!({ "push": { "enabled": true, "add_new": true } }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);

    // Run Now on both at once: two runs, not one returned twice.
    let (s1, a) = post(&w, &format!("/v1/lists/{list}/runs"), json!({})).await;
    let (s2, b) = post(&w, &format!("/v1/segments/{segment}/runs"), json!({})).await;
    assert_eq!((s1, s2), (202, 202), "{a} {b}");
    let a = w.wait_run(a["run"]["id"].as_str().expect("id")).await;
    let b = w.wait_run(b["run"]["id"].as_str().expect("id")).await;
    assert_ne!(a["id"], b["id"]);
    for run in [&a, &b] {
        assert_eq!(run["status"], "succeeded", "{run}");
    }
    let (first, second) = if instant(&a, "started_at") <= instant(&b, "started_at") {
        (&a, &b)
    } else {
        (&b, &a)
    };
    assert!(
        instant(first, "finished_at") <= instant(second, "started_at"),
        "the runs overlapped: {first} / {second}"
    );
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
        // One attempt per request: each job attempt fails at once.
        |c| c.crm.attempts = 1,
    )
    .await;
    let rows = people(3, "dead.example");
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
    // Connected while the CRM was up; from now on it answers every request with 503.
    w.crm.state().set_faults(FaultConfig {
        rules: vec![FaultRule::always(Fault::Status {
            status: 503,
            retry_after: None,
        })],
        ..FaultConfig::default()
    });
    let (status, queued) = post(&w, &format!("/v1/lists/{list}/runs"), json!({})).await;
    assert_eq!(status, 202, "{queued}");
    let run = queued["run"]["id"].as_str().expect("id").to_string();

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let dead = loop {
        let (_, jobs) = common::json(w.app.get("/v1/jobs?status=dead", &w.key).await).await;
        if let Some(job) = jobs.as_array().and_then(|j| j.first()).cloned() {
            break job;
        }
        assert!(tokio::time::Instant::now() < deadline, "never dead: {jobs}");
        // Retries are due later on the service's clock: move it past the backoff.
        clock.advance(chrono::Duration::hours(1));
        w.app.state.job_signal.notify_one();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
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
