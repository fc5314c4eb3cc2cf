//! Several service instances on one database share the schedules: each slot produces
//! exactly one run, and never a second run while one is active. Run against PostgreSQL
//! too (`DATABASE_URL=postgres://… cargo nextest run`), where the instances' claims
//! really race on separate connections.

use std::sync::Arc;

use chrono::Duration;
use listbridge::{
    AppState,
    scheduling::{TickReport, tick},
    store::{ListId, RunTrigger, Store},
};
use serde_json::json;

use crate::support::schedules::{World, utc, world};
use crate::support::wait;

/// A second instance: the same services over its own connection pool to the database.
async fn second_instance(first: &AppState, database_url: &str) -> AppState {
    AppState {
        store: Store::connect(database_url).await.expect("second pool"),
        job_signal: Arc::default(),
        ..first.clone()
    }
}

/// An app at 00:30 UTC with a list scheduled hourly on the hour.
async fn hourly_list() -> (World, ListId) {
    let w = world("2025-06-01T00:30:00Z").await;
    let list = w.list("Every hour").await;
    let (status, body) = w
        .put_schedule(
            &format!("/v1/lists/{list}"),
            &json!({"frequency": "hourly", "time_of_day": "00:00", "time_zone": "UTC"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (w, list)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_over_ten_slots_queue_exactly_ten_runs_never_two_at_once() {
    let (w, list) = hourly_list().await;
    let a = w.app.state.clone();
    let b = second_instance(&a, &w.app.database_url).await;

    for slot in 1..=10 {
        let at = utc("2025-06-01T00:00:00Z") + Duration::hours(slot);
        w.clock.set(at);
        // Both instances tick twice at once (the app's own scheduler may tick as well).
        let reports = tokio::join!(tick(&a), tick(&b), tick(&a), tick(&b));
        let reports: Vec<TickReport> = [reports.0, reports.1, reports.2, reports.3]
            .into_iter()
            .map(|r| r.expect("tick"))
            .collect();
        let queued: usize = reports.iter().map(|r| r.queued.len()).sum();
        assert!(queued <= 1, "slot {slot} queued {queued} runs: {reports:?}");

        let runs = w.runs(list).await;
        assert_eq!(runs.len(), slot as usize, "slot {slot}: {runs:?}");
        let active: Vec<_> = runs.iter().filter(|r| r.status.is_active()).collect();
        assert_eq!(active.len(), 1, "slot {slot}: {active:?}");
        assert_eq!(active[0].trigger, RunTrigger::Schedule);
        assert_eq!(active[0].created_at, at);

        // A second tick while the run is active starts nothing.
        w.clock.set(at + Duration::minutes(59));
        let (ra, rb) = tokio::join!(tick(&a), tick(&b));
        assert_eq!(
            ra.expect("tick").queued.len() + rb.expect("tick").queued.len(),
            0
        );
        w.finish_runs(list).await;
    }
    assert_eq!(w.runs(list).await.len(), 10);
}

/// Polls until `list` has `n` runs.
async fn wait_for_runs(w: &World, list: ListId, n: usize) {
    wait::until("the scheduled runs", async || {
        let runs = w.runs(list).await.len();
        if runs >= n {
            Ok(())
        } else {
            Err(format!("{runs} of {n} runs"))
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_started_scheduler_fires_missed_slots_at_once_then_on_its_cron_tick_and_stops() {
    let (w, list) = hourly_list().await;
    // The service was down over three slots; a new instance starts.
    w.clock.set(utc("2025-06-01T03:10:00Z"));
    let instance = second_instance(&w.app.state, &w.app.database_url).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let scheduler = listbridge::scheduling::spawn_scheduler(
        instance,
        std::time::Duration::from_millis(500),
        stopped,
    );
    wait_for_runs(&w, list, 1).await;
    w.finish_runs(list).await;
    w.clock.set(utc("2025-06-01T04:00:00Z"));
    wait_for_runs(&w, list, 2).await;

    // The deadline only turns a scheduler that never stops into a failure message.
    let _ = stop.send(true);
    tokio::time::timeout(wait::HANG_AFTER, scheduler)
        .await
        .expect("the scheduler stops on shutdown")
        .expect("the scheduler task ends cleanly");
    // Stopping waited for any tick in progress: a second run of the missed slots would
    // be there now.
    assert_eq!(
        w.runs(list).await.len(),
        2,
        "missed slots ran more than once"
    );
}
