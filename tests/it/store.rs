//! Storage settings and injected time.

use crate::support::{json, spawn_app, spawn_app_with};
use chrono::{DateTime, Utc};
use listbridge::{app::Services, clock::TestClock, store::Store};
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
async fn sqlite_lookup_reads_use_read_only_connections_that_see_committed_writes() {
    let app = spawn_app().await;
    let store = &app.state.store;
    if store.conn().get_database_backend() != DatabaseBackend::Sqlite {
        return; // PostgreSQL reads through its one pool.
    }
    let sql = |text: &str| Statement::from_string(DatabaseBackend::Sqlite, text.to_string());
    store
        .conn()
        .execute_raw(sql("CREATE TABLE read_probe (n INTEGER)"))
        .await
        .unwrap();
    store
        .conn()
        .execute_raw(sql("INSERT INTO read_probe (n) VALUES (7)"))
        .await
        .unwrap();
    let row = store
        .reads()
        .query_one_raw(sql("SELECT n FROM read_probe"))
        .await
        .unwrap()
        .expect("the committed row");
    assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 7);
    let refused = store
        .reads()
        .execute_raw(sql("INSERT INTO read_probe (n) VALUES (8)"))
        .await
        .expect_err("a read connection must not write");
    assert!(refused.to_string().contains("readonly"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_copies_the_wal_into_the_database_file_beside_the_writer() {
    let app = spawn_app().await;
    let Some(file) = app.sqlite_file() else {
        return; // PostgreSQL has no WAL file of its own to copy.
    };
    // The migrations' pages went to the WAL. The writer copies them back itself only
    // past 256 MiB of log, so only the checkpointer can have grown the file.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        if size >= 64 * 1024 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the database file is still {size} bytes: nothing checkpointed the WAL"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_memory_sqlite_database_reads_through_its_one_pool() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    let row = store
        .reads()
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT COUNT(*) FROM accounts",
        ))
        .await
        .unwrap()
        .expect("a count");
    assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 0);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_looks_members_up_through_the_email_index_before_any_statistics() {
    use listbridge::{
        accounts::AccountAdmin,
        store::{ListKind, ListRepo, ListStatus, MemberRepo, NewList},
    };
    let app = spawn_app().await;
    let store = &app.state.store;
    let db = store.conn();
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return; // SQLite serves `IN (…)` by the index without statistics.
    }
    let now = app.state.clock.now();
    let admin = AccountAdmin {
        store,
        clock: app.state.clock.as_ref(),
        random: app.state.random.as_ref(),
    };
    let (account, _key) = admin.create_account("plans").await.unwrap();
    let list = ListRepo
        .create(
            db,
            NewList {
                account_id: account.id,
                name: "Big".into(),
                kind: ListKind::Uploaded,
                connector_id: None,
                status: ListStatus::Ready,
                columns: vec![],
            },
            app.state.random.as_ref(),
            now,
        )
        .await
        .unwrap();
    // A first import's state: many members, the table never analysed.
    let fill = format!(
        "INSERT INTO members (id, list_id, email, opted_out, field_values, synced, \
         list_changed_at, created_at, updated_at) \
         SELECT '00000000-0000-7000-8000-' || lpad(g::text, 12, '0'), '{list}', 'person' || g || '@example.com', false, '{{}}', '{{}}', \
         now(), now(), now() FROM generate_series(1, 20000) AS g",
        list = list.id
    );
    db.execute_unprepared(&fill).await.unwrap();
    let emails: Vec<String> = (19_500..20_000)
        .map(|n| format!("person{n}@example.com"))
        .collect();
    let lookup = MemberRepo.email_lookup_statement(DatabaseBackend::Postgres, list.id, &emails);
    let explain = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        format!("EXPLAIN {}", lookup.sql),
        lookup.values.map(|v| v.0).unwrap_or_default(),
    );
    let plan: Vec<String> = db
        .query_all_raw(explain)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect();
    let plan = plan.join("\n");
    assert!(plan.contains("uq_members_list_email"), "{plan}");
    assert!(!plan.contains("Bitmap Heap Scan"), "{plan}");

    let found = MemberRepo.by_emails(db, list.id, &emails).await.unwrap();
    assert_eq!(found.len(), 500, "every looked-up member is found");
}
