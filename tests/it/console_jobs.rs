//! The console's *Jobs* page over plain HTTP: the account's jobs by status with what
//! each works on, attempts and the last error as text; a dead job's *Retry* puts it
//! back in the queue (its run reopened) through the same service as the API; another
//! account's job is the 404 page; a marketer may use it all.

use crate::support::schedules::world;
use listbridge::store::{JobKind, JobStatus, Role, RunRepo, RunStatus};
use serde_json::json;

/// The CRM's words for the failure, with markup that must show as text.
const CRM_ERROR: &str = "The CRM refused the request: <Account> is read-only for user 'lee'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_job_shows_its_error_and_retry_requeues_it() {
    let w = world("2026-06-01T08:00:00Z").await;
    w.app
        .create_user("acme", "mia@acme.example", Role::Marketer)
        .await;
    let console = w.app.sign_in("mia@acme.example").await;

    // No jobs yet: the page says what it is for.
    let empty = console.get("/jobs").await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert!(empty.body.contains("id=\"jobs-empty\""));
    assert!(empty.body.contains("No background jobs yet"));

    // A sync run whose job fails for good (no workers run in this world: the test is
    // the worker), as in `jobs_queue`.
    let list = w.list("Newsletter").await;
    let (run, job) = w.dead_sync_run(list, CRM_ERROR).await;
    let jobs = w.app.state.store.jobs();
    let now = w.clock_now();
    // Two queued jobs whose subjects are gone still show their kind.
    w.enqueue_job(JobKind::NoteDelivery, json!({ "batch_id": "gone" }))
        .await;
    w.enqueue_job(JobKind::FormDelivery, json!({ "submission_id": "gone" }))
        .await;

    let dead = console.get("/jobs?status=dead").await;
    assert_eq!(dead.status, 200, "{}", dead.body);
    assert!(
        dead.body.contains(
            "The CRM refused the request: &#60;Account&#62; is read-only for user &#39;lee&#39;"
        ),
        "the CRM's words, as text: {}",
        dead.body
    );
    assert!(!dead.body.contains("<Account>"));
    dead.assert_shows("A sync run of “Newsletter”");
    assert!(dead.body.contains(&format!("href=\"/runs/{}\"", run.id)));
    assert!(dead.body.contains(&format!("1 of {}", job.max_attempts)));
    assert!(dead.body.contains(&format!("id=\"retry-{}\"", job.id)));
    assert!(
        !dead.body.contains("A note batch"),
        "the dead tab shows only dead jobs"
    );
    assert!(dead.body.contains("Dead (1)"));

    let all = console.get("/jobs").await;
    all.assert_shows("All (3)");
    assert!(all.body.contains("A note batch"));
    assert!(all.body.contains("A form delivery"));
    assert!(all.body.contains("Queued (2)"));
    assert!(
        all.body.contains("1 Jun 2026, 08:00 UTC"),
        "next attempt time"
    );

    // Without the CSRF token nothing happens.
    let forged = console
        .post_raw(&format!("/jobs/{}/retry", job.id), &[])
        .await;
    assert_eq!(forged.status, 403);

    // Another account's user cannot retry it, nor see it.
    w.app.create_account("globex").await;
    w.app
        .create_user("globex", "gus@globex.example", Role::Admin)
        .await;
    let other = w.app.sign_in("gus@globex.example").await;
    let theirs = other.get("/jobs").await;
    assert!(!theirs.body.contains(&job.id.to_string()));
    assert!(theirs.body.contains("id=\"jobs-empty\""));
    let denied = other.post(&format!("/jobs/{}/retry", job.id), &[]).await;
    assert_eq!(denied.status, 404, "{}", denied.body);
    let not_an_id = other.post("/jobs/not-a-job/retry", &[]).await;
    assert_eq!(not_an_id.status, 404);
    let still = jobs
        .get(w.account, job.id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!(
        still.status,
        JobStatus::Dead,
        "another account's retry touched it"
    );

    // *Retry* puts it back in the queue and reopens its run.
    let retried = console.post(&format!("/jobs/{}/retry", job.id), &[]).await;
    assert_eq!(retried.status, 303, "{}", retried.body);
    assert_eq!(retried.location.as_deref(), Some("/jobs?done=retried"));
    let after = console.get("/jobs?done=retried").await;
    after.assert_shows("put back in the queue");
    let job_now = jobs
        .get(w.account, job.id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!((job_now.status, job_now.attempts), (JobStatus::Queued, 0));
    let reopened = RunRepo
        .get(w.app.state.store.conn(), w.account, run.id, now)
        .await
        .expect("get")
        .expect("run");
    assert_eq!(reopened.status, RunStatus::Queued);
    let dead = console.get("/jobs?status=dead").await;
    dead.assert_shows("No dead jobs");

    // Retrying a job that is not dead is refused in words.
    let again = console.post(&format!("/jobs/{}/retry", job.id), &[]).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("only dead jobs can be retried"));
}
