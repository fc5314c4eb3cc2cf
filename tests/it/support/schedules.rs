//! Shared helpers of the schedule tests: an app with a stopped clock and no job
//! workers (runs stay queued until a test finishes them), lists made directly in the
//! store, and the schedule API.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use listbridge::{
    AppState,
    app::Services,
    clock::TestClock,
    runs::queue_run,
    store::{
        AccountId, Job, JobId, JobKind, JobStatus, ListId, ListKind, ListRepo, ListStatus, NewJob,
        NewList, NewRun, NewSegment, Queued, Run, RunKind, RunRepo, RunStatus, RunTrigger,
        SegmentId, SegmentRepo,
    },
};
use serde_json::Value;

use crate::support::{TestApp, json, services::api_only, spawn_app_with, world::account_of};

/// An app whose clock only moves when told and whose runs are never executed.
pub struct World {
    /// The app.
    pub app: TestApp,
    /// Its clock.
    pub clock: TestClock,
    /// An account's API key.
    pub key: String,
    /// That account.
    pub account: AccountId,
}

/// Parses an RFC 3339 instant.
pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test instant parses")
        .with_timezone(&Utc)
}

/// Services with `clock` and no job workers.
pub fn services(clock: &TestClock) -> Services {
    Services {
        clock: Arc::new(clock.clone()),
        ..api_only()
    }
}

/// Starts an app at `start` with one account.
pub async fn world(start: &str) -> World {
    let clock = TestClock::new(utc(start));
    let app = spawn_app_with(services(&clock)).await;
    let key = app.create_account("acme").await;
    let account = account_of(&app, &key).await;
    World {
        app,
        clock,
        key,
        account,
    }
}

impl World {
    /// Creates an uploaded list named `name`.
    pub async fn list(&self, name: &str) -> ListId {
        create_list(&self.app.state, self.account, name).await
    }

    /// Creates a segment of `list`.
    pub async fn segment(&self, list: ListId, name: &str) -> SegmentId {
        let segment = NewSegment {
            id: SegmentId::from(self.app.state.random.uuid()),
            account_id: self.account,
            list_id: list,
            name: name.to_string(),
            filter: r#"{"combine":"all","conditions":[]}"#.to_string(),
        };
        SegmentRepo
            .create(self.app.state.store.conn(), segment, self.clock_now())
            .await
            .expect("segment created")
            .id
    }

    /// The app clock's now.
    pub fn clock_now(&self) -> DateTime<Utc> {
        self.app.state.clock.now()
    }

    /// A manual sync of `list` (Run Now, not a dry run), ready to queue.
    pub fn manual_sync(&self, list: ListId) -> NewRun {
        NewRun {
            account_id: self.account,
            list_id: list,
            segment_id: None,
            kind: RunKind::Sync,
            trigger: RunTrigger::Manual,
            dry_run: false,
        }
    }

    /// `GET` with the account's key; returns `(status, body)`.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        json(self.app.get(path, &self.key).await).await
    }

    /// `POST` JSON with the account's key; returns `(status, body)`.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        json(self.app.post(path, &self.key, body).await).await
    }

    /// A manual sync of `list` whose job failed for good with `error` and whose run was
    /// then marked failed, as a worker that gave up leaves them (no workers run in this
    /// world: the test plays the worker). Returns the run and its dead job.
    pub async fn dead_sync_run(&self, list: ListId, error: &str) -> (Run, Job) {
        let jobs = self.app.state.store.jobs();
        let now = self.clock_now();
        let run = match queue_run(&self.app.state, self.manual_sync(list))
            .await
            .expect("run queued")
        {
            Queued::New(run) => run,
            Queued::AlreadyActive(run) => panic!("{run:?} was already active"),
        };
        let job = jobs
            .claim("worker-a", Duration::seconds(30), now)
            .await
            .expect("claim")
            .expect("the run's job");
        assert_eq!(
            jobs.fail(&job, "worker-a", error, None, now)
                .await
                .expect("fail"),
            JobStatus::Dead
        );
        RunRepo
            .finish(
                self.app.state.store.conn(),
                run.id,
                RunStatus::Failed,
                Some("gave up"),
                now,
            )
            .await
            .expect("run failed");
        (run, job)
    }

    /// Queues a job of `kind` with `payload`, due at the app clock's now (three
    /// attempts, no dedupe key), as a test that plays the worker needs it.
    pub async fn enqueue_job(&self, kind: JobKind, payload: Value) -> JobId {
        let job = NewJob {
            id: self.app.state.random.uuid().into(),
            account_id: self.account,
            kind,
            payload,
            max_attempts: 3,
            run_at: self.clock_now(),
            dedupe_key: None,
        };
        self.app
            .state
            .store
            .jobs()
            .enqueue(job, self.clock_now())
            .await
            .expect("job queued")
    }

    /// `PUT {path}/schedule`.
    pub async fn put_schedule(&self, path: &str, body: &Value) -> (u16, Value) {
        put_schedule(&self.app, &self.key, path, body).await
    }

    /// `GET {path}/schedule`.
    pub async fn get_schedule(&self, path: &str) -> (u16, Value) {
        json(self.app.get(&format!("{path}/schedule"), &self.key).await).await
    }

    /// The runs of a list (not of its segments), newest first.
    pub async fn runs(&self, list: ListId) -> Vec<Run> {
        RunRepo
            .history(
                self.app.state.store.conn(),
                self.account,
                list,
                None,
                1000,
                self.clock_now(),
            )
            .await
            .expect("run history")
    }

    /// Ends every active run of `list` as succeeded (standing in for the workers).
    pub async fn finish_runs(&self, list: ListId) {
        finish_runs(&self.app.state, self.account, list).await;
    }
}

/// Creates an uploaded list directly in the store.
pub async fn create_list(state: &AppState, account: AccountId, name: &str) -> ListId {
    ListRepo
        .create(
            state.store.conn(),
            NewList {
                account_id: account,
                name: name.to_string(),
                kind: ListKind::Uploaded,
                connector_id: None,
                status: ListStatus::Ready,
                columns: vec![],
            },
            state.random.as_ref(),
            state.clock.now(),
        )
        .await
        .expect("list created")
        .id
}

/// Ends every active run of `list` as succeeded.
pub async fn finish_runs(state: &AppState, account: AccountId, list: ListId) {
    let now = state.clock.now();
    let db = state.store.conn();
    for run in RunRepo
        .history(db, account, list, None, 1000, now)
        .await
        .expect("run history")
    {
        if run.status.is_active() {
            RunRepo
                .finish(db, run.id, RunStatus::Succeeded, None, now)
                .await
                .expect("run finished");
        }
    }
}

/// `PUT {path}/schedule` with a key.
pub async fn put_schedule(app: &TestApp, key: &str, path: &str, body: &Value) -> (u16, Value) {
    json(app.put(&format!("{path}/schedule"), key, body).await).await
}

/// `DELETE {path}/schedule`; the status.
pub async fn delete_schedule(app: &TestApp, key: &str, path: &str) -> u16 {
    app.delete(&format!("{path}/schedule"), key)
        .await
        .status()
        .as_u16()
}
