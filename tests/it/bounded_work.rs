//! Bounded work per CRM (issue 20, gap 2): a CRM answer over the byte cap fails Connect
//! and runs with the cap named; feed pages that link to each other end the run; a run
//! stops at its page cap (keeping what it read) and at its time cap (by the app's clock);
//! and one account's backlog of runs never holds more than its share of the workers,
//! while its form and note deliveries are never held back by its runs.

use std::{collections::HashSet, sync::Arc};

use chrono::Duration;
use infor_crm_fake::{FakeConfig, FakeCrm, Fault, FaultConfig, FaultRule};
use listbridge::{
    clock::TestClock,
    store::{AccountId, JobId, JobKind, JobStatus, NewJob},
};
use serde_json::{Value, json};

use crate::support::{
    json as read_json,
    schedules::{self, utc},
    services::fast_services,
    spawn_app_configured, wait,
    world::{World, account_of, connect, connect_body, crm_config, world_configured},
};

/// The response cap the services under test keep to.
const CAP: u32 = 256 * 1024;
/// The oversized answer the fake offers: far more than the cap and the socket buffers.
const OFFERED: u64 = 64 * 1024 * 1024;

/// Every answer of `kind` is `OFFERED` bytes of whitespace, in chunks (no length).
fn oversized(kind: &str) -> FaultConfig {
    FaultConfig {
        rules: vec![
            FaultRule::always(Fault::Oversized {
                bytes: OFFERED,
                announce: false,
            })
            .with_kind(kind),
        ],
        ..FaultConfig::default()
    }
}

/// Reads the CRM's lead fields once, so the live connector holds the lead schema and
/// starting an import asks the CRM nothing: faults set afterwards meet the run.
async fn cache_lead_schema(w: &World) {
    let (status, body) = w
        .get(&format!(
            "/v1/connectors/{}/fields?entity=lead",
            w.connector
        ))
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Starts an import of leads into a new list named `name`; returns its run id.
async fn start_lead_import(w: &World, name: &str) -> String {
    let (status, body) = w
        .start_import(&json!({
            "connector": w.connector, "entity": "lead", "name": name, "fields": ["Title"]
        }))
        .await;
    assert_eq!(status, 202, "{body}");
    body["run_id"]
        .as_str()
        .unwrap_or_else(|| panic!("run id in {body}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_work_connect_refuses_an_answer_over_the_response_cap() {
    let crm = FakeCrm::start(crm_config(3, 0)).await.expect("fake CRM");
    crm.state().set_faults(oversized("$service/getCurrentUser"));
    let app = spawn_app_configured(fast_services(), |config| {
        config.crm.max_response_bytes = CAP;
    })
    .await;
    let key = app.create_account("acme").await;

    let response = app
        .post(
            "/v1/connectors",
            &key,
            &connect_body(&crm.base_url(), "password"),
        )
        .await;
    let body = crate::support::assert_problem(response, 422, "crm_response_too_large").await;
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("256 KiB") && message.contains("crm_max_response_bytes"),
        "{body}"
    );
    let stats = crm.state().stats();
    assert_eq!(
        stats.kind_count("$service/getCurrentUser", "POST"),
        1,
        "the oversized answer was asked for again"
    );
    assert!(
        stats.filler_bytes_sent < OFFERED / 4,
        "{} of {OFFERED} bytes were read",
        stats.filler_bytes_sent
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_work_an_import_fails_on_an_answer_over_the_response_cap() {
    let w = world_configured(crm_config(5, 0), fast_services(), |config| {
        config.crm.max_response_bytes = CAP;
    })
    .await;
    cache_lead_schema(&w).await;
    w.crm.state().set_faults(oversized("leads"));

    let run = start_lead_import(&w, "Leads").await;
    let report = w.wait_run(&run).await;
    assert_eq!(report["status"], "failed", "{report}");
    let error = report["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("larger than 256 KiB") && error.contains("crm_max_response_bytes"),
        "{report}"
    );
    assert!(w.crm.state().stats().filler_bytes_sent < OFFERED / 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_work_feed_pages_linking_to_each_other_fail_the_run() {
    let w = world_configured(
        FakeConfig {
            page_cap: 3,
            ..crm_config(10, 0)
        },
        fast_services(),
        |_| {},
    )
    .await;
    // An older provider: it refuses the keyset clause of the pages after the first, so
    // the read goes on by startIndex, and those pages link to each other.
    let refused = Fault::Status {
        status: 400,
        retry_after: None,
    };
    w.crm.state().set_faults(FaultConfig {
        rules: vec![
            FaultRule::always(refused)
                .with_kind("leads")
                .with_where_containing("Id gt"),
            FaultRule::always(Fault::NextLoop).with_kind("leads"),
        ],
        ..FaultConfig::default()
    });

    let run = start_lead_import(&w, "Leads").await;
    // The run ends, or it is seen going round the two pages.
    let report = wait::until("the run's end", async || {
        let (status, report) = w.get(&format!("/v1/runs/{run}")).await;
        assert_eq!(status, 200, "{report}");
        let reads = w.crm.state().stats().kind_count("leads", "GET");
        match report["status"].as_str() {
            Some("queued" | "running") if reads <= 200 => Err(report.to_string()),
            _ => Ok(report),
        }
    })
    .await;
    assert_eq!(report["status"], "failed", "the run kept reading: {report}");
    assert_eq!(
        report["error"], "the CRM's leads feed pages link back to a page already read",
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_work_an_import_stops_at_the_page_cap_keeping_what_it_read() {
    let w = world_configured(
        FakeConfig {
            page_cap: 1,
            ..crm_config(5, 0)
        },
        fast_services(),
        |config| config.work.run_max_pages = 2,
    )
    .await;

    let (list, report) = w.import("lead", &["Title"]).await;
    assert_eq!(report["status"], "failed", "{report}");
    assert_eq!(
        report["error"], "stopped after 2 pages, the most a run may work through (run_max_pages)",
        "{report}"
    );
    assert_eq!(
        w.api_members(list).await.len(),
        2,
        "the two pages read before the cap are kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_work_a_run_past_its_time_cap_fails_with_the_time_reason() {
    let clock = TestClock::new(utc("2026-03-02T09:00:00Z"));
    let services = listbridge::app::Services {
        clock: Arc::new(clock.clone()),
        ..fast_services()
    };
    let w = world_configured(crm_config(5, 0), services, |config| {
        config.work.run_max_seconds = 3600;
        config.crm.attempts = 1;
    })
    .await;
    // The first attempt fails on a CRM outage; the job waits for its retry.
    cache_lead_schema(&w).await;
    w.crm.state().set_faults(FaultConfig {
        rules: vec![
            FaultRule::always(Fault::Status {
                status: 500,
                retry_after: None,
            })
            .with_kind("leads"),
        ],
        ..FaultConfig::default()
    });
    let run = start_lead_import(&w, "Leads").await;
    wait::until("the run's job to wait for a retry", async || {
        let jobs = w.jobs().await;
        match jobs.iter().find(|j| j.kind == JobKind::Run) {
            Some(job) if job.status == JobStatus::Failed => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    // The CRM is back, but by the time the retry is due the run has taken its hour.
    w.crm.state().clear_faults();
    clock.advance(Duration::seconds(3600));

    let report = w.wait_run(&run).await;
    assert_eq!(report["status"], "failed", "{report}");
    assert_eq!(
        report["error"], "stopped after 1 h, the longest a run may take (run_max_seconds)",
        "{report}"
    );
}

/// Queues a job of `kind` for `account` due at `at` (the world has no workers: it is
/// only ever claimed by the test).
async fn enqueue_kind(
    w: &schedules::World,
    account: AccountId,
    kind: JobKind,
    at: chrono::DateTime<chrono::Utc>,
) -> JobId {
    let job = NewJob {
        id: w.app.state.random.uuid().into(),
        account_id: account,
        kind,
        payload: json!({}),
        max_attempts: 3,
        run_at: at,
        dedupe_key: None,
    };
    w.app
        .state
        .store
        .jobs()
        .enqueue(job, at)
        .await
        .expect("job queued")
}

/// Queues a run job of `account` due at `at`: the kind the per-account cap is for.
async fn enqueue(
    w: &schedules::World,
    account: AccountId,
    at: chrono::DateTime<chrono::Utc>,
) -> JobId {
    enqueue_kind(w, account, JobKind::Run, at).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_work_claims_skip_an_account_at_its_running_cap() {
    let w = schedules::world("2026-03-02T09:00:00Z").await;
    let other_key = w.app.create_account("beta").await;
    let other = account_of(&w.app, &other_key).await;
    let t0 = w.clock_now();
    let mut first = Vec::new();
    for n in 0..4 {
        first.push(enqueue(&w, w.account, t0 + Duration::milliseconds(n)).await);
    }
    let later = enqueue(&w, other, t0 + Duration::seconds(1)).await;
    let now = t0 + Duration::seconds(1);
    let jobs = w.app.state.store.jobs();
    let lease = Duration::seconds(30);
    let claim = async |worker: &str| {
        jobs.claim_within(worker, lease, 2, now)
            .await
            .expect("claim")
            .map(|j| j.id)
    };

    assert_eq!(claim("w1").await, Some(first[0]));
    assert_eq!(claim("w2").await, Some(first[1]));
    // The account has two running: its older jobs wait, the other account's goes on.
    assert_eq!(claim("w3").await, Some(later));
    assert_eq!(claim("w4").await, None);
    // One finishes: the account's next job may run.
    jobs.succeed(first[0], "w1", now).await.expect("succeed");
    assert_eq!(claim("w1").await, Some(first[2]));
    assert_eq!(claim("w4").await, None);
    // Jobs whose leases lapsed no longer count (their workers died): they are taken
    // over, oldest first, until the account is at its cap again.
    let lapsed = now + Duration::seconds(31);
    let claim_lapsed = async |worker: &str| {
        jobs.claim_within(worker, lease, 2, lapsed)
            .await
            .expect("claim")
            .map(|j| j.id)
    };
    assert_eq!(claim_lapsed("w5").await, Some(first[1]));
    assert_eq!(claim_lapsed("w6").await, Some(first[2]));
    assert_eq!(claim_lapsed("w7").await, Some(later));
    assert_eq!(
        claim_lapsed("w8").await,
        None,
        "the account's fourth job waits"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_work_deliveries_are_claimed_beside_an_accounts_running_imports() {
    let w = schedules::world("2026-03-02T09:00:00Z").await;
    let t0 = w.clock_now();
    let imports = [
        enqueue(&w, w.account, t0).await,
        enqueue(&w, w.account, t0 + Duration::milliseconds(1)).await,
    ];
    let third = enqueue(&w, w.account, t0 + Duration::milliseconds(2)).await;
    let delivery = enqueue_kind(
        &w,
        w.account,
        JobKind::FormDelivery,
        t0 + Duration::seconds(1),
    )
    .await;
    let notes = enqueue_kind(
        &w,
        w.account,
        JobKind::NoteDelivery,
        t0 + Duration::seconds(2),
    )
    .await;
    let now = t0 + Duration::seconds(2);
    let jobs = w.app.state.store.jobs();
    let lease = Duration::seconds(30);
    let claim = async |worker: &str| {
        jobs.claim_within(worker, lease, 2, now)
            .await
            .expect("claim")
            .map(|j| j.id)
    };

    assert_eq!(claim("w1").await, Some(imports[0]));
    assert_eq!(claim("w2").await, Some(imports[1]));
    // Two imports running: the third waits, the account's own deliveries do not.
    assert_eq!(claim("w3").await, Some(delivery), "the form delivery");
    assert_eq!(claim("w4").await, Some(notes), "the note delivery");
    assert_eq!(claim("w5").await, None, "the third import waits");
    // Running deliveries take nothing from the account's share of runs.
    jobs.succeed(imports[0], "w1", now).await.expect("succeed");
    assert_eq!(claim("w1").await, Some(third));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_work_concurrent_claimers_keep_the_per_account_cap() {
    let w = schedules::world("2026-03-02T09:00:00Z").await;
    let other_key = w.app.create_account("beta").await;
    let other = account_of(&w.app, &other_key).await;
    let t0 = w.clock_now();
    for n in 0..10 {
        enqueue(&w, w.account, t0 + Duration::milliseconds(n)).await;
    }
    let lone = enqueue(&w, other, t0 + Duration::seconds(1)).await;
    let now = t0 + Duration::seconds(1);
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let store = w.app.state.store.clone();
        tasks.spawn(async move {
            let mut mine = Vec::new();
            let name = format!("worker-{worker}");
            while let Some(job) = store
                .jobs()
                .claim_within(&name, Duration::seconds(30), 2, now)
                .await
                .expect("claim")
            {
                mine.push((job.account_id, job.id));
            }
            mine
        });
    }
    let mut claimed = Vec::new();
    while let Some(mine) = tasks.join_next().await {
        claimed.extend(mine.expect("claimer"));
    }
    let of = |account: AccountId| claimed.iter().filter(|(a, _)| *a == account).count();
    assert_eq!(of(w.account), 2, "{claimed:?}");
    assert_eq!(of(other), 1, "{claimed:?}");
    assert!(claimed.iter().any(|(_, id)| *id == lone));
    let distinct: HashSet<JobId> = claimed.iter().map(|(_, id)| *id).collect();
    assert_eq!(distinct.len(), claimed.len(), "a job was claimed twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_work_one_accounts_imports_run_two_at_a_time_beside_another_account() {
    // Every CRM answer takes a while, so imports queued together overlap.
    let w = world_configured(
        FakeConfig {
            faults: FaultConfig {
                latency_ms: 150,
                ..FaultConfig::default()
            },
            ..crm_config(20, 0)
        },
        fast_services(),
        |_| {},
    )
    .await;
    let other_key = w.app.create_account("beta").await;
    let other_connector = connect(&w.app, &other_key, &w.crm).await;

    let mut mine = Vec::new();
    for n in 0..4 {
        mine.push(start_lead_import(&w, &format!("Leads {n}")).await);
    }
    let (status, body) = read_json(
        w.app
            .post(
                "/v1/lists/import",
                &other_key,
                &json!({ "connector": other_connector, "entity": "lead", "fields": ["Title"] }),
            )
            .await,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let theirs = body["run_id"].as_str().expect("run id").to_string();

    let mut reports: Vec<Value> = Vec::new();
    for run in &mine {
        reports.push(w.wait_run(run).await);
    }
    let their_report =
        crate::support::runs::wait_run_at(&w.app.client, &w.app.base_url, &other_key, &theirs)
            .await;
    assert_eq!(their_report["status"], "succeeded", "{their_report}");
    for report in &reports {
        assert_eq!(report["status"], "succeeded", "{report}");
    }
    // At no instant were more than two of the account's runs executing.
    let spans: Vec<_> = reports
        .iter()
        .map(|r| {
            (
                crate::support::runs::instant(r, "started_at"),
                crate::support::runs::instant(r, "finished_at"),
            )
        })
        .collect();
    for (start, _) in &spans {
        let at_once = spans
            .iter()
            .filter(|(s, f)| s <= start && start < f)
            .count();
        assert!(at_once <= 2, "{at_once} runs at once: {spans:?}");
    }
}
