//! Accounts, API keys, the problem JSON every error uses (with `details` where the
//! error has them, never internals), and the health probes.

use crate::support::{TestApp, assert_problem, json, logs, spawn_app, wait};
use listbridge::{store::entity::api_key, tokens::hash_key};
use sea_orm::{
    DbBackend, EntityTrait,
    sqlx::{Postgres, Sqlite, pool::PoolConnection},
};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_endpoint_shows_only_the_callers_account() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let globex = app.create_account("globex").await;

    let (status, body) = json(app.get("/v1/account", &acme).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], "acme");
    let (status, body) = json(app.get("/v1/account", &globex).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], "globex");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_wrong_or_malformed_keys_get_401_problem_json() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;

    let response = app.client.get(app.url("/v1/account")).send().await.unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_problem(response, 401, "unauthorized").await;
    assert_problem(
        app.get("/v1/account", "lb_not-a-key").await,
        401,
        "unauthorized",
    )
    .await;
    // A key with one character changed is just as unknown.
    let mut tampered = key.clone();
    tampered.pop();
    tampered.push(if key.ends_with('A') { 'B' } else { 'A' });
    assert_problem(app.get("/v1/account", &tampered).await, 401, "unauthorized").await;
    let basic = app
        .client
        .get(app.url("/v1/account"))
        .header("authorization", format!("Basic {key}"))
        .send()
        .await
        .unwrap();
    assert_problem(basic, 401, "unauthorized").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_stored_only_as_their_sha256() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    assert!(
        key.starts_with("lb_") && key.len() >= 40,
        "weak key format: {key}"
    );

    let rows = api_key::Entity::find()
        .all(&app.raw_db().await)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let secret_part = &key[3..];
    for row in &rows {
        assert_eq!(row.key_hash, hash_key(&key));
        for column in [
            &row.id,
            &row.key_hash,
            &row.prefix,
            &row.label,
            &row.account_id,
        ] {
            assert!(
                !column.contains(secret_part),
                "key stored in plain text: {column}"
            );
        }
    }
    if let Some(bytes) = app.sqlite_bytes() {
        assert!(
            !bytes
                .windows(secret_part.len())
                .any(|w| w == secret_part.as_bytes()),
            "the API key appears in the SQLite file"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_problem_json() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;

    let body = assert_problem(app.get("/nowhere", &key).await, 404, "not_found").await;
    assert!(body["message"].as_str().unwrap().contains("/nowhere"));
    let response = app.client.delete(app.url("/healthz")).send().await.unwrap();
    assert!(response.headers().contains_key("allow"));
    assert_problem(response, 405, "method_not_allowed").await;

    // Extractor rejections: a body that is not JSON, a JSON body of the wrong
    // shape, and a malformed path parameter.
    let not_json = post_raw_json(&app, &key, "{not json").await;
    assert_problem(not_json, 400, "bad_request").await;
    let wrong_shape = app.post("/v1/connectors", &key, &json!({"kind": 5})).await;
    assert_problem(wrong_shape, 422, "invalid_body").await;
    let no_content_type = app
        .client
        .post(app.url("/v1/connectors"))
        .bearer_auth(&key)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(no_content_type, 415, "unsupported_media_type").await;
    assert_problem(
        app.get("/v1/connectors/not-a-uuid", &key).await,
        400,
        "bad_request",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_need_no_key() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let (status, body) = json(app.client.get(app.url(path)).send().await.unwrap()).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("ok")),
            "{path}"
        );
    }
}

/// Asserts a problem body holds only `error`, `message` and `details`, and nothing that
/// looks like a panic, a stack trace, a source location or SQL.
fn assert_no_internals(body: &Value) {
    let keys: Vec<&str> = body
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert!(
        keys.iter()
            .all(|k| matches!(*k, "error" | "message" | "details")),
        "unexpected keys: {body}"
    );
    let text = body.to_string().to_ascii_lowercase();
    for needle in [
        "panicked",
        "backtrace",
        "stack",
        ".rs:",
        "src/",
        "thread '",
        "select ",
        "sqlx",
        "pool",
    ] {
        assert!(!text.contains(needle), "'{needle}' in {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problem_bodies_carry_details_when_there_are_some_and_never_internals() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;

    // An error with details: the field at fault (no CRM is contacted before this check).
    let blank_user = json!({
        "kind": "infor-crm",
        "base_url": "http://127.0.0.1:1",
        "username": "  ",
        "password": "pw"
    });
    let body = assert_problem(
        app.post("/v1/connectors", &key, &blank_user).await,
        400,
        "missing_field",
    )
    .await;
    assert_eq!(body["details"], json!({ "field": "username" }), "{body}");
    assert!(body["message"].as_str().unwrap().contains("username"));
    assert_no_internals(&body);

    // Errors without details leave the key out; none shows internals.
    let not_json = post_raw_json(&app, &key, "{\"kind\": \"infor-crm\", oops}").await;
    let unknown_route = app.get("/v1/no-such-thing", &key).await;
    let wrong_method = app
        .client
        .delete(app.url("/v1/account"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let no_key = app.client.get(app.url("/v1/account")).send().await.unwrap();
    for (response, status, code) in [
        (not_json, 400, "bad_request"),
        (unknown_route, 404, "not_found"),
        (wrong_method, 405, "method_not_allowed"),
        (no_key, 401, "unauthorized"),
    ] {
        let body = assert_problem(response, status, code).await;
        assert!(body.get("details").is_none(), "{body}");
        assert_no_internals(&body);
    }
}

/// Holds every connection of the app's pool, as long-running work or a hung database
/// server would, so nothing else gets one (until dropped).
struct Held {
    _sqlite: Vec<PoolConnection<Sqlite>>,
    _postgres: Vec<PoolConnection<Postgres>>,
}

/// `POST /v1/connectors` with a body sent as JSON whatever it holds.
async fn post_raw_json(app: &TestApp, key: &str, body: &'static str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/connectors"))
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request sent")
}

async fn hold_every_connection(app: &TestApp) -> Held {
    let db = app.state.store.conn();
    let mut held = Held {
        _sqlite: Vec::new(),
        _postgres: Vec::new(),
    };
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            for _ in 0..pool.options().get_max_connections() {
                held._sqlite
                    .push(pool.acquire().await.expect("a pooled connection"));
            }
        }
        _ => {
            let pool = db.get_postgres_connection_pool();
            for _ in 0..pool.options().get_max_connections() {
                held._postgres
                    .push(pool.acquire().await.expect("a pooled connection"));
            }
        }
    }
    held
}

async fn readyz(app: &TestApp) -> reqwest::Response {
    app.client.get(app.url("/readyz")).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_is_503_problem_json_when_the_database_is_unreachable() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    assert_eq!(readyz(&app).await.status(), 200);

    // The pool is gone: every connection closed, no new ones.
    app.state
        .store
        .conn()
        .close_by_ref()
        .await
        .expect("pool closes");
    let body = assert_problem(readyz(&app).await, 503, "database_unavailable").await;
    assert_eq!(body["message"], "the database does not answer");
    assert_no_internals(&body);
    // Liveness does not depend on the database.
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // A request that needs the database says it is unavailable (retry later), without
    // the driver's words.
    let body = assert_problem(
        app.get("/v1/account", &key).await,
        503,
        "database_unavailable",
    )
    .await;
    assert_no_internals(&body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_answers_503_in_time_when_the_database_hangs() {
    let logged = logs::capture();
    let app = spawn_app().await;
    let held = hold_every_connection(&app).await;
    let body = assert_problem(readyz(&app).await, 503, "database_unavailable").await;
    assert_no_internals(&body);
    // The probe's own timeout answered, not the pool's much longer acquire timeout (which
    // would have failed the check with the pool's error instead).
    let text = logged.info();
    assert!(
        text.lines()
            .any(|l| l.contains("readiness check failed") && l.contains("no answer within")),
        "{text}"
    );

    drop(held);
    wait::until(
        "readiness after the database came back",
        async || match readyz(&app).await.status().as_u16() {
            200 => Ok(()),
            status => Err(status.to_string()),
        },
    )
    .await;
}
