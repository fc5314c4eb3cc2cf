//! Schedules fire at the right instants: across daylight-saving changes and month ends,
//! once for slots missed while the service was down, with rule changes taking effect at
//! once, and one run when Run Now and a slot meet. The clock is injected and stepped;
//! the scheduler's tick is called directly, so nothing waits for real time.

use crate::support::schedules::{World, utc, world};
use chrono::{DateTime, Duration, Utc};
use listbridge::{
    runs::queue_run,
    scheduling::tick,
    store::{ListId, Queued, RunKind, RunTrigger, ScheduleRepo, ScheduleTarget},
};
use serde_json::{Value, json};

fn fmt(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The stored last slot of a list's schedule.
async fn last_slot(w: &World, list: ListId) -> Option<DateTime<Utc>> {
    ScheduleRepo
        .get(
            w.app.state.store.conn(),
            w.account,
            ScheduleTarget::List(list),
        )
        .await
        .expect("schedule read")
        .expect("schedule exists")
        .last_slot_at
}

/// Steps the clock to just before and then to each expected instant, ticking at both:
/// nothing fires early, exactly one scheduled run fires on time.
async fn assert_fires_at(w: &World, list: ListId, expected: &[&str]) {
    for at in expected.iter().map(|s| utc(s)) {
        let before = w.runs(list).await.len();
        w.clock.set(at - Duration::seconds(1));
        tick(&w.app.state).await.expect("tick");
        assert_eq!(w.runs(list).await.len(), before, "fired before {}", fmt(at));

        w.clock.set(at);
        tick(&w.app.state).await.expect("tick");
        let runs = w.runs(list).await;
        assert_eq!(runs.len(), before + 1, "did not fire at {}", fmt(at));
        assert_eq!(runs[0].trigger, RunTrigger::Schedule);
        assert_eq!(runs[0].kind, RunKind::Sync);
        assert_eq!(last_slot(w, list).await, Some(at));
        w.finish_runs(list).await;
    }
}

async fn scheduled_list(w: &World, body: Value) -> ListId {
    let list = w.list("Newsletter").await;
    let (status, saved) = w.put_schedule(&format!("/v1/lists/{list}"), &body).await;
    assert_eq!(status, 200, "{saved}");
    list
}

fn next_runs(view: &Value) -> Vec<String> {
    view["next_runs"]
        .as_array()
        .unwrap_or_else(|| panic!("next_runs in {view}"))
        .iter()
        .map(|t| fmt(utc(t.as_str().expect("instant text"))))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_keeps_local_time_across_spring_forward() {
    let w = world("2025-03-07T20:00:00Z").await;
    let list = scheduled_list(
        &w,
        json!({"frequency": "daily", "time_of_day": "09:00", "start_date": "2025-03-01",
               "time_zone": "America/New_York"}),
    )
    .await;
    let (_, view) = w.get_schedule(&format!("/v1/lists/{list}")).await;
    // 09:00 in New York is 14:00Z before 2025-03-09 and 13:00Z after.
    let expected = [
        "2025-03-08T14:00:00Z",
        "2025-03-09T13:00:00Z",
        "2025-03-10T13:00:00Z",
    ];
    assert_eq!(next_runs(&view), expected);
    assert_fires_at(&w, list, &expected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weekly_on_chosen_days_across_fall_back() {
    let w = world("2025-10-19T00:00:00Z").await;
    let list = scheduled_list(
        &w,
        json!({"frequency": "weekly", "time_of_day": "08:00", "days_of_week": ["thu", "mon"],
               "start_date": "2025-10-20", "time_zone": "Europe/Berlin"}),
    )
    .await;
    // Berlin leaves summer time on 2025-10-26: 08:00 is 06:00Z before, 07:00Z after.
    assert_fires_at(
        &w,
        list,
        &[
            "2025-10-20T06:00:00Z",
            "2025-10-23T06:00:00Z",
            "2025-10-27T07:00:00Z",
            "2025-10-30T07:00:00Z",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monthly_on_the_31st_runs_on_the_last_day_of_short_months() {
    let w = world("2024-01-15T00:00:00Z").await;
    let list = scheduled_list(
        &w,
        json!({"frequency": "monthly", "day_of_month": 31, "time_of_day": "06:00",
               "start_date": "2024-01-01", "time_zone": "Europe/London"}),
    )
    .await;
    // 2024 is a leap year; London is on summer time (UTC+1) from 2024-03-31 01:00Z.
    assert_fires_at(
        &w,
        list,
        &[
            "2024-01-31T06:00:00Z",
            "2024-02-29T06:00:00Z",
            "2024-03-31T05:00:00Z",
            "2024-04-30T05:00:00Z",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hourly_counts_real_hours_across_fall_back() {
    let w = world("2025-11-02T04:20:00Z").await;
    let list = scheduled_list(
        &w,
        json!({"frequency": "hourly", "time_of_day": "00:15", "start_date": "2025-11-02",
               "time_zone": "America/New_York"}),
    )
    .await;
    // 01:15 happens twice in New York on 2025-11-02 (EDT, then EST): both are real hours.
    assert_fires_at(
        &w,
        list,
        &[
            "2025-11-02T05:15:00Z",
            "2025-11-02T06:15:00Z",
            "2025-11-02T07:15:00Z",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_missed_while_down_give_one_run_and_the_next_slot_is_from_now() {
    let w = world("2025-06-01T00:00:00Z").await;
    let list = scheduled_list(
        &w,
        json!({"frequency": "hourly", "time_of_day": "00:30", "start_date": "2025-06-01",
               "time_zone": "UTC"}),
    )
    .await;
    // Down from 00:00 to 05:10: five slots (00:30 … 04:30) passed.
    w.clock.set(utc("2025-06-01T05:10:00Z"));
    tick(&w.app.state).await.expect("tick");
    tick(&w.app.state).await.expect("tick");
    assert_eq!(w.runs(list).await.len(), 1, "one run for all missed slots");
    assert_eq!(last_slot(&w, list).await, Some(utc("2025-06-01T00:30:00Z")));
    let (_, view) = w.get_schedule(&format!("/v1/lists/{list}")).await;
    assert_eq!(next_runs(&view)[0], "2025-06-01T05:30:00Z", "{view}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_rule_takes_effect_without_restart() {
    let w = world("2025-06-01T00:00:00Z").await;
    let path_body = |time: &str| {
        json!({"frequency": "daily", "time_of_day": time, "start_date": "2025-06-01",
               "time_zone": "UTC"})
    };
    let list = scheduled_list(&w, path_body("09:00")).await;
    let (status, view) = w
        .put_schedule(&format!("/v1/lists/{list}"), &path_body("10:00"))
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(next_runs(&view)[0], "2025-06-01T10:00:00Z");

    w.clock.set(utc("2025-06-01T09:00:00Z"));
    tick(&w.app.state).await.expect("tick");
    assert!(w.runs(list).await.is_empty(), "the old time fired");
    w.clock.set(utc("2025-06-01T10:00:00Z"));
    tick(&w.app.state).await.expect("tick");
    assert_eq!(w.runs(list).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_now_and_a_slot_at_the_same_moment_give_one_run() {
    let w = world("2025-06-01T00:00:00Z").await;
    let list = scheduled_list(
        &w,
        json!({"frequency": "hourly", "time_of_day": "00:00", "start_date": "2025-06-01",
               "time_zone": "UTC"}),
    )
    .await;
    for hour in 1..=3 {
        w.clock
            .set(utc("2025-06-01T00:00:00Z") + Duration::hours(hour));
        let run_now = w.manual_sync(list);
        let (manual, scheduled) =
            tokio::join!(queue_run(&w.app.state, run_now), tick(&w.app.state));
        let manual = manual.expect("Run Now queued");
        let scheduled = scheduled.expect("tick");
        let active: Vec<_> = w
            .runs(list)
            .await
            .into_iter()
            .filter(|r| r.status.is_active())
            .collect();
        assert_eq!(active.len(), 1, "hour {hour}: {active:?}");
        let id = match manual {
            Queued::New(run) | Queued::AlreadyActive(run) => run.id,
        };
        assert_eq!(active[0].id, id);
        assert_eq!(
            scheduled.queued.len() + scheduled.already_active.len(),
            1,
            "hour {hour}: the slot was claimed once: {scheduled:?}"
        );
        w.finish_runs(list).await;
    }
    assert_eq!(w.runs(list).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_put_and_delete_through_the_api() {
    let w = world("2025-06-01T00:00:00Z").await;
    let list = w.list("Customers").await;
    let segment = w.segment(list, "VIPs").await;
    let path = format!("/v1/segments/{segment}");
    let (status, missing) = w.get_schedule(&path).await;
    assert_eq!(status, 404, "{missing}");

    let (status, bad) = w
        .put_schedule(
            &path,
            &json!({"frequency": "daily", "time_of_day": "9am", "time_zone": "UTC"}),
        )
        .await;
    assert_eq!(
        (status, bad["details"]["field"].as_str()),
        (422, Some("time_of_day")),
        "{bad}"
    );
    let (status, bad) = w
        .put_schedule(
            &path,
            &json!({"frequency": "daily", "time_of_day": "09:00", "time_zone": "Europe/Atlantis"}),
        )
        .await;
    assert_eq!(
        (status, bad["details"]["field"].as_str()),
        (422, Some("time_zone")),
        "{bad}"
    );
    assert!(
        bad["message"]
            .as_str()
            .is_some_and(|m| m.contains("Europe/Atlantis")),
        "{bad}"
    );
    let (status, bad) = w
        .put_schedule(
            &path,
            &json!({"frequency": "weekly", "time_of_day": "09:00", "time_zone": "UTC"}),
        )
        .await;
    assert_eq!(
        (status, bad["details"]["field"].as_str()),
        (422, Some("days_of_week")),
        "{bad}"
    );

    let (status, saved) = w
        .put_schedule(
            &path,
            &json!({"frequency": "monthly", "day_of_month": 30, "time_of_day": "7:05",
                    "time_zone": "Asia/Tokyo"}),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        saved["target"],
        json!({"kind": "segment", "id": segment.to_string()})
    );
    assert_eq!(saved["time_of_day"], "07:05");
    assert_eq!(
        saved["start_date"], "2025-06-01",
        "defaults to today in the zone"
    );
    assert_eq!(saved["enabled"], true);
    assert_eq!(
        next_runs(&saved),
        [
            "2025-06-29T22:05:00Z",
            "2025-07-29T22:05:00Z",
            "2025-08-29T22:05:00Z"
        ]
    );
    let (status, read) = w.get_schedule(&path).await;
    assert_eq!((status, &read), (200, &saved));

    // A segment's scheduled run is queued for the segment of its list.
    w.clock.set(utc("2025-06-29T22:05:00Z"));
    let report = tick(&w.app.state).await.expect("tick");
    assert_eq!(report.queued.len(), 1, "{report:?}");
    assert!(w.runs(list).await.is_empty(), "the whole list ran");

    assert_eq!(
        crate::support::schedules::delete_schedule(&w.app, &w.key, &path).await,
        204
    );
    assert_eq!(
        crate::support::schedules::delete_schedule(&w.app, &w.key, &path).await,
        404
    );
    let other = w.app.create_account("globex").await;
    let (status, _) = crate::support::schedules::put_schedule(
        &w.app,
        &other,
        &format!("/v1/lists/{list}"),
        &json!({"frequency": "daily", "time_of_day": "09:00", "time_zone": "UTC"}),
    )
    .await;
    assert_eq!(status, 404, "another account's list");
}
