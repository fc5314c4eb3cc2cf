//! Shared helpers of the schedule tests: an app with a stopped clock and no job
//! workers (runs stay queued until a test finishes them), lists made directly in the
//! store, and the schedule API.

#![allow(dead_code)] // Each test binary uses a different part.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use listbridge::{
    AppState,
    app::Services,
    clock::TestClock,
    jobs::WorkerConfig,
    store::{
        AccountId, ListId, ListKind, ListRepo, ListStatus, NewList, Run, RunRepo, RunStatus,
        SegmentId, SegmentRepo,
    },
};
use serde_json::Value;

use crate::common::{TestApp, json, spawn_app_with};

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
        workers: WorkerConfig {
            workers: 0,
            ..WorkerConfig::default()
        },
        ..Services::default()
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

/// The account an API key belongs to.
pub async fn account_of(app: &TestApp, key: &str) -> AccountId {
    let (status, me) = json(app.get("/v1/account", key).await).await;
    assert_eq!(status, 200, "{me}");
    me["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("account id in {me}"))
}

impl World {
    /// Creates an uploaded list named `name`.
    pub async fn list(&self, name: &str) -> ListId {
        create_list(&self.app.state, self.account, name).await
    }

    /// Creates a segment of `list`.
    pub async fn segment(&self, list: ListId, name: &str) -> SegmentId {
        SegmentRepo
            .create(
                self.app.state.store.conn(),
                self.account,
                list,
                name,
                r#"{"all":[]}"#,
                self.clock_now(),
            )
            .await
            .expect("segment created")
            .id
    }

    /// The app clock's now.
    pub fn clock_now(&self) -> DateTime<Utc> {
        self.app.state.clock.now()
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
    let response = app
        .client
        .put(app.url(&format!("{path}/schedule")))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .expect("request sent");
    json(response).await
}

/// `DELETE {path}/schedule`; the status.
pub async fn delete_schedule(app: &TestApp, key: &str, path: &str) -> u16 {
    app.client
        .delete(app.url(&format!("{path}/schedule")))
        .bearer_auth(key)
        .send()
        .await
        .expect("request sent")
        .status()
        .as_u16()
}
