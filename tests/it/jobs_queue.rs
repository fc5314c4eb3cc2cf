//! The durable job queue: a job whose worker died is taken over once its lease lapses,
//! concurrent claimers never share a job, and dead jobs are listed with their last error
//! and can be retried by hand (a run job's run is reopened with it).

use crate::support::schedules::world;
use chrono::Duration;
use listbridge::{
    runs::queue_run,
    store::{JobKind, JobStatus, Queued, RunRepo, RunStatus},
};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_worker_died_is_taken_over_after_its_lease_expires() {
    let w = world("2025-06-01T00:00:00Z").await;
    let id = w.enqueue_job(JobKind::FormDelivery, json!({"n": 1})).await;
    let jobs = w.app.state.store.jobs();
    let lease = Duration::seconds(30);
    let t0 = w.clock_now();

    let claimed = jobs.claim("worker-a", lease, t0).await.expect("claim");
    assert_eq!(claimed.as_ref().map(|j| (j.id, j.attempts)), Some((id, 1)));
    assert!(
        jobs.claim("worker-b", lease, t0)
            .await
            .expect("claim")
            .is_none()
    );
    // Worker A renews its lease while alive…
    assert!(
        jobs.heartbeat(id, "worker-a", lease, t0 + Duration::seconds(20))
            .await
            .expect("heartbeat")
    );
    assert!(
        jobs.claim("worker-b", lease, t0 + Duration::seconds(40))
            .await
            .expect("claim")
            .is_none(),
        "a renewed lease was taken over"
    );
    // …then dies: after the lease lapses, B takes the job over.
    let taken = jobs
        .claim("worker-b", lease, t0 + Duration::seconds(51))
        .await
        .expect("claim")
        .expect("the lapsed job is claimed again");
    assert_eq!(
        (taken.id, taken.attempts, taken.status),
        (id, 2, JobStatus::Running)
    );
    // A's late heartbeat and outcome do not touch B's job.
    assert!(
        !jobs
            .heartbeat(id, "worker-a", lease, t0 + Duration::seconds(52))
            .await
            .expect("heartbeat")
    );
    jobs.succeed(id, "worker-a", t0 + Duration::seconds(53))
        .await
        .expect("succeed");
    let job = jobs.get(w.account, id).await.expect("get").expect("job");
    assert_eq!(job.status, JobStatus::Running);
    jobs.succeed(id, "worker-b", t0 + Duration::seconds(54))
        .await
        .expect("succeed");
    let job = jobs.get(w.account, id).await.expect("get").expect("job");
    assert_eq!(job.status, JobStatus::Succeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claimers_never_take_the_same_job() {
    let w = world("2025-06-01T00:00:00Z").await;
    for n in 0..20 {
        w.enqueue_job(JobKind::FormDelivery, json!({ "n": n }))
            .await;
    }
    let now = w.clock_now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..4 {
        let store = w.app.state.store.clone();
        tasks.spawn(async move {
            let mut mine = Vec::new();
            let name = format!("worker-{worker}");
            while let Some(job) = store
                .jobs()
                .claim(&name, Duration::seconds(30), now)
                .await
                .expect("claim")
            {
                mine.push(job.id);
            }
            mine
        });
    }
    let mut all = Vec::new();
    while let Some(mine) = tasks.join_next().await {
        all.extend(mine.expect("claimer"));
    }
    let claimed = all.len();
    all.sort();
    all.dedup();
    assert_eq!(
        (claimed, all.len()),
        (20, 20),
        "a job was claimed twice or not at all"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_jobs_are_listed_and_retry_puts_them_back() {
    let w = world("2025-06-01T00:00:00Z").await;
    let list = w.list("Newsletter").await;
    // The worker gives up: the job is dead and its run failed.
    let (run, job) = w
        .dead_sync_run(list, "CRM unreachable: connection refused")
        .await;
    let jobs = w.app.state.store.jobs();
    let now = w.clock_now();

    let (status, dead) = w.get("/v1/jobs?status=dead").await;
    assert_eq!(status, 200, "{dead}");
    assert_eq!(dead.as_array().map(Vec::len), Some(1), "{dead}");
    assert_eq!(dead[0]["id"], job.id.to_string());
    assert_eq!(dead[0]["status"], "dead");
    assert_eq!(dead[0]["attempts"], 1);
    assert_eq!(dead[0]["last_error"], "CRM unreachable: connection refused");
    assert_eq!(dead[0]["payload"]["run_id"], run.id.to_string());
    let (_, queued) = w.get("/v1/jobs?status=queued").await;
    assert_eq!(queued, json!([]));
    let other = w.app.create_account("globex").await;
    let (_, theirs) = crate::support::json(w.app.get("/v1/jobs", &other).await).await;
    assert_eq!(theirs, json!([]), "jobs leak across accounts");
    let retry = w
        .app
        .post(&format!("/v1/jobs/{}/retry", job.id), &other, &json!({}))
        .await;
    crate::support::assert_problem(retry, 404, "not_found").await;
    let bad = w.app.get("/v1/jobs?status=sleeping", &w.key).await;
    assert_eq!(bad.status().as_u16(), 400);

    // While another run of the list is active, the dead run cannot be reopened.
    let run_now = w.manual_sync(list);
    let Queued::New(blocking) = queue_run(&w.app.state, run_now).await.expect("run queued") else {
        panic!("the failed run is still active");
    };
    let retry = w
        .app
        .post(&format!("/v1/jobs/{}/retry", job.id), &w.key, &json!({}))
        .await;
    crate::support::assert_problem(retry, 409, "run_active").await;
    let still = jobs
        .get(w.account, job.id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!(
        still.status,
        JobStatus::Dead,
        "a refused retry changed the job"
    );
    RunRepo
        .finish(
            w.app.state.store.conn(),
            blocking.id,
            RunStatus::Succeeded,
            None,
            now,
        )
        .await
        .expect("finish");

    let (status, retried) = w
        .post(&format!("/v1/jobs/{}/retry", job.id), &json!({}))
        .await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(
        (retried["status"].as_str(), retried["attempts"].as_i64()),
        (Some("queued"), Some(0))
    );
    let reopened = RunRepo
        .get(w.app.state.store.conn(), w.account, run.id, now)
        .await
        .expect("get")
        .expect("run");
    assert_eq!((reopened.status, reopened.error), (RunStatus::Queued, None));
    let (_, queued) = w.get("/v1/jobs?status=queued").await;
    let queued_ids: Vec<&str> = queued
        .as_array()
        .map(|a| a.iter().filter_map(|j| j["id"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        queued_ids.contains(&job.id.to_string().as_str()),
        "{queued}"
    );
    // Only dead jobs are retried by hand.
    let again = w
        .app
        .post(&format!("/v1/jobs/{}/retry", job.id), &w.key, &json!({}))
        .await;
    crate::support::assert_problem(again, 409, "job_not_dead").await;
    // And a worker claims it again (beside the blocking run's job).
    let mut claimed = Vec::new();
    while let Some(next) = jobs
        .claim("worker-b", Duration::seconds(30), now)
        .await
        .expect("claim")
    {
        claimed.push(next.id);
    }
    assert!(claimed.contains(&job.id), "{claimed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dedupe_key_held_by_a_live_job_yields_that_job_without_breaking_the_transaction() {
    use listbridge::store::{JobId, JobRepo, NewJob};
    use sea_orm::TransactionTrait;

    let w = world("2025-06-01T00:00:00Z").await;
    let now = w.clock_now();
    let account = w.account;
    let job = |n: u128| NewJob {
        id: JobId(uuid::Uuid::from_u128(n)),
        account_id: account,
        kind: JobKind::FormDelivery,
        payload: json!({ "n": n }),
        max_attempts: 3,
        run_at: now,
        dedupe_key: Some("form:held".to_string()),
    };
    let db = w.app.state.store.conn();
    let tx = db.begin().await.expect("transaction");
    let first = JobRepo::on(&tx).enqueue(job(1), now).await.expect("queued");
    let again = JobRepo::on(&tx)
        .enqueue(job(2), now)
        .await
        .expect("the held key answers, on PostgreSQL too (no aborted transaction)");
    assert_eq!(again, first);
    tx.commit().await.expect("the transaction still commits");

    // Once the job has ended, the key is free for a new one.
    let jobs = w.app.state.store.jobs();
    let claimed = jobs
        .claim("worker", Duration::seconds(30), now)
        .await
        .expect("claim")
        .expect("the job");
    assert_eq!(claimed.id, first);
    jobs.succeed(first, "worker", now).await.expect("succeeded");
    let next = JobRepo::on(db).enqueue(job(3), now).await.expect("queued");
    assert_eq!(next, JobId(uuid::Uuid::from_u128(3)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_jobs_that_succeeded_before_the_retention_are_pruned() {
    let w = world("2025-06-01T00:00:00Z").await;
    let jobs = w.app.state.store.jobs();
    let lease = Duration::seconds(30);
    let t0 = w.clock_now();
    let old = w
        .enqueue_job(JobKind::FormDelivery, json!({"n": "old"}))
        .await;
    let recent = w
        .enqueue_job(JobKind::FormDelivery, json!({"n": "recent"}))
        .await;
    let waiting = w
        .enqueue_job(JobKind::FormDelivery, json!({"n": "waiting"}))
        .await;
    let claimed = jobs.claim("w", lease, t0).await.expect("claim");
    assert_eq!(claimed.map(|j| j.id), Some(old));
    jobs.succeed(old, "w", t0).await.expect("succeed");
    let later = t0 + Duration::days(6);
    let claimed = jobs.claim("w", lease, later).await.expect("claim");
    assert_eq!(claimed.map(|j| j.id), Some(recent));
    jobs.succeed(recent, "w", later).await.expect("succeed");

    let pruned = jobs
        .prune_succeeded(t0 + Duration::days(1), 1000)
        .await
        .expect("prune");
    assert_eq!(pruned, 1);
    for (id, kept, what) in [
        (old, false, "succeeded before the retention: deleted"),
        (recent, true, "succeeded since: kept"),
        (waiting, true, "never ran: kept"),
    ] {
        let found = jobs.get(w.account, id).await.expect("get").is_some();
        assert_eq!(found, kept, "{what}");
    }
    assert_eq!(
        jobs.prune_succeeded(t0 + Duration::days(1), 1000)
            .await
            .expect("prune"),
        0
    );
}
