//! Storage settings and injected time.

use crate::support::{json, spawn_app, spawn_app_with};
use chrono::{DateTime, Utc};
use listbridge::{app::Services, clock::TestClock};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_uses_wal_a_busy_timeout_and_foreign_keys() {
    let app = spawn_app().await;
    let db = app.state.store.conn();
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return; // The PostgreSQL run has nothing to check here.
    }
    let pragma = |name: &str| {
        let sql = format!("PRAGMA {name}");
        async move {
            let row = db
                .query_one_raw(Statement::from_string(DatabaseBackend::Sqlite, sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .unwrap()
        }
    };
    assert_eq!(pragma("journal_mode").await, "wal");
    assert_eq!(pragma("foreign_keys").await, "1");
    assert_eq!(pragma("busy_timeout").await, "5000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_plans_each_statement_for_its_parameters() {
    let app = spawn_app().await;
    let db = app.state.store.conn();
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return; // The SQLite run has nothing to check here.
    }
    let sql = "SELECT current_setting('plan_cache_mode')";
    let row = db
        .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, sql))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.try_get_by_index::<String>(0).unwrap(),
        "force_custom_plan"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_times_come_from_the_injected_clock() {
    let pinned: DateTime<Utc> = "2030-01-02T03:04:05Z".parse().unwrap();
    let clock = TestClock::new(pinned);
    let app = spawn_app_with(Services {
        clock: Arc::new(clock.clone()),
        ..Services::default()
    })
    .await;
    let key = app.create_account("acme").await;
    let (status, account) = json(app.get("/v1/account", &key).await).await;
    assert_eq!(status, 200);
    assert_eq!(account["created_at"], "2030-01-02T03:04:05Z");
}
