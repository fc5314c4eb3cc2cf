//! Two `listbridge serve` processes on one database, both running their scheduler and
//! workers, and a list scheduled hourly for ten slots: exactly ten runs, one per slot,
//! none executing at the same time as another. The test plays the clock for the slots:
//! each slot's time arrives when the test moves the schedule's stored next run time to
//! the past, and the two schedulers (ticking every second) race for it as they would at
//! the top of each hour. Run by `.ci/run` on SQLite and on PostgreSQL.

use chrono::Utc;
use infor_crm_fake::{FakeConfig, FakeCrm, Fault, FaultConfig, FaultRule};
use listbridge::store::entity::{run, schedule};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::support::process::{Process, SharedDatabase, call, create_account, serve};
use crate::support::runs::assert_took_turns;
use crate::support::wait;
use crate::support::world::connect_body;

const SLOTS: usize = 10;
const FAST_SCHEDULER: [(&str, &str); 2] = [
    ("LISTBRIDGE_SCHEDULER_TICK_MS", "1000"),
    ("LISTBRIDGE_JOB_LEASE_SECONDS", "5"),
];

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
    crate::support::install_tls_provider();
    let crm = FakeCrm::start(FakeConfig {
        leads: 60,
        ..FakeConfig::default()
    })
    .await
    .expect("fake CRM");
    let database = SharedDatabase::create("slots").await;
    let database_url = database.url.as_str();
    let key = create_account(database_url, "acme").await;
    let a: Process = serve(database_url, &FAST_SCHEDULER).await;
    let b: Process = serve(database_url, &FAST_SCHEDULER).await;
    let client = reqwest::Client::new();
    let auth = |r: reqwest::RequestBuilder| r.bearer_auth(&key);

    let connector = call(
        auth(client.post(format!("{}/v1/connectors", a.base)))
            .json(&connect_body(&crm.base_url(), "password")),
    )
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
    wait::until("the import's end", async || {
        let detail = call(auth(client.get(format!("{}/v1/lists/{list}", a.base)))).await;
        if detail["list"]["status"] == "ready" || detail["status"] == "ready" {
            Ok(())
        } else {
            Err(detail.to_string())
        }
    })
    .await;
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

    let db = sea_orm::Database::connect(database_url)
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
        wait::until("the slot's one run", async || {
            let runs = scheduled_runs(&client, &a.base, &key, &list).await;
            let ended = runs
                .iter()
                .all(|r| !matches!(r["status"].as_str(), Some("queued" | "running")));
            assert!(
                runs.len() <= slot,
                "slot {slot} made more than one run: {runs:?}"
            );
            if runs.len() == slot && ended {
                Ok(())
            } else {
                Err(format!("slot {slot}: {runs:?}"))
            }
        })
        .await;
    }
    let runs = scheduled_runs(&client, &b.base, &key, &list).await;
    // No late duplicate from the slower scheduler: both processes shut down gracefully,
    // which waits for any scheduler tick in progress, so a duplicate it made would now
    // be in the database.
    a.stop().await;
    b.stop().await;
    let scheduled = run::Entity::find()
        .filter(run::Column::ListId.eq(list.as_str()))
        .filter(run::Column::Trigger.eq("schedule"))
        .count(&db)
        .await
        .expect("runs counted");
    assert_eq!(scheduled, SLOTS as u64, "{runs:?}");
    assert_eq!(runs.len(), SLOTS, "{runs:?}");
    for run in &runs {
        assert_eq!(run["status"], "succeeded", "{run}");
        // Executed once, by one process: a second execution of the same run (both
        // processes' workers taking its job) would have started it again, as a resume.
        assert_eq!(run["resumes"], 0, "a run executed twice: {run}");
    }
    assert_took_turns(&runs);
}
