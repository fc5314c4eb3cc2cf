//! Two `listbridge serve` processes on one database, both running their scheduler and
//! workers, and a list scheduled hourly for ten slots: exactly ten runs, one per slot,
//! none executing at the same time as another. The test plays the clock for the slots:
//! each slot's time arrives when the test moves the schedule's stored next run time to
//! the past, and the two schedulers (ticking every second) race for it as they would at
//! the top of each hour. Run by `.ci/run` on SQLite and on PostgreSQL.

mod common;
mod process_support;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use infor_crm_fake::{FakeConfig, FakeCrm, Fault, FaultConfig, FaultRule};
use listbridge::store::entity::schedule;
use process_support::{Process, call, create_account, database, serve};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

const SLOTS: usize = 10;
const FAST_SCHEDULER: [(&str, &str); 2] = [
    ("LISTBRIDGE_SCHEDULER_TICK_MS", "1000"),
    ("LISTBRIDGE_JOB_LEASE_SECONDS", "5"),
];

fn at(run: &Value, field: &str) -> DateTime<Utc> {
    run[field]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{field} of {run}"))
}

/// The list's scheduled runs, and whether all of them have ended.
async fn scheduled_runs(client: &reqwest::Client, base: &str, key: &str, list: &str) -> Vec<Value> {
    let runs = call(
        client
            .get(format!("{base}/v1/lists/{list}/runs?limit=100"))
            .bearer_auth(key),
    )
    .await;
    runs.as_array()
        .or_else(|| runs["runs"].as_array())
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r["trigger"] == "schedule")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_over_ten_slots_make_ten_runs_none_at_once() {
    common::install_tls_provider();
    let crm = FakeCrm::start(FakeConfig {
        leads: 60,
        ..FakeConfig::default()
    })
    .await
    .expect("fake CRM");
    let dir = std::env::temp_dir().join(format!("listbridge-slots-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let database_url = database(&dir).await;
    let key = create_account(&database_url, "acme").await;
    let a: Process = serve(&database_url, &FAST_SCHEDULER).await;
    let b: Process = serve(&database_url, &FAST_SCHEDULER).await;
    let client = reqwest::Client::new();
    let auth = |r: reqwest::RequestBuilder| r.bearer_auth(&key);

    let connector = call(auth(client.post(format!("{}/v1/connectors", a.base))).json(&json!({
        "kind": "infor-crm", "base_url": crm.base_url(), "username": "admin", "password": "password"
    })))
    .await;
    let imported = call(
        auth(client.post(format!("{}/v1/lists/import", b.base))).json(&json!({
            "connector": connector["id"], "entity": "lead", "fields": ["Title"]
        })),
    )
    .await;
    let list = imported["list"]["id"]
        .as_str()
        .expect("list id")
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let detail = call(auth(client.get(format!("{}/v1/lists/{list}", a.base)))).await;
        if detail["list"]["status"] == "ready" || detail["status"] == "ready" {
            break;
        }
        assert!(Instant::now() < deadline, "import never finished: {detail}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    call(
        auth(client.put(format!("{}/v1/lists/{list}/sync", a.base))).json(&json!({
            "pull": { "enabled": true, "update_existing": true },
            "push": { "enabled": true, "update_existing": true, "fields": ["Title"] }
        })),
    )
    .await;
    let saved = call(
        auth(client.put(format!("{}/v1/lists/{list}/schedule", b.base))).json(&json!({
            "frequency": "hourly", "time_of_day": "00:00", "time_zone": "Europe/Berlin"
        })),
    )
    .await;
    assert_eq!(saved["enabled"], true, "{saved}");
    // Each run takes a while (CRM latency), so two runs at once would show.
    crm.state().set_faults(FaultConfig {
        rules: vec![FaultRule::always(Fault::Latency { ms: 40 })],
        ..FaultConfig::default()
    });

    let db = sea_orm::Database::connect(database_url.as_str())
        .await
        .expect("test connection");
    for slot in 1..=SLOTS {
        // The slot's time arrives.
        schedule::Entity::update_many()
            .col_expr(
                schedule::Column::NextRunAt,
                Expr::value(Utc::now() - chrono::Duration::seconds(1)),
            )
            .filter(schedule::Column::TargetId.eq(list.as_str()))
            .exec(&db)
            .await
            .expect("slot due");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let runs = scheduled_runs(&client, &a.base, &key, &list).await;
            let ended = runs
                .iter()
                .all(|r| !matches!(r["status"].as_str(), Some("queued" | "running")));
            assert!(
                runs.len() <= slot,
                "slot {slot} made more than one run: {runs:?}"
            );
            if runs.len() == slot && ended {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "slot {slot} made no run: {runs:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // A little longer: no late duplicate from the slower scheduler.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut runs = scheduled_runs(&client, &b.base, &key, &list).await;
    assert_eq!(runs.len(), SLOTS, "{runs:?}");
    for run in &runs {
        assert_eq!(run["status"], "succeeded", "{run}");
        // Executed once, by one process: a second execution of the same run (both
        // processes' workers taking its job) would have started it again, as a resume.
        assert_eq!(run["resumes"], 0, "a run executed twice: {run}");
    }
    runs.sort_by_key(|r| at(r, "started_at"));
    for pair in runs.windows(2) {
        assert!(
            at(&pair[0], "finished_at") <= at(&pair[1], "started_at"),
            "two runs at once: {} / {}",
            pair[0],
            pair[1]
        );
    }
    drop((a, b));
    let _ = std::fs::remove_dir_all(&dir);
}
