//! Shared test harness: the real app on a random loopback port with a fresh
//! database per test. SQLite (a temp file) by default; when `DATABASE_URL` points
//! at PostgreSQL, a new database is created on that server for each test, so
//! tests stay independent and can run in parallel.

pub mod alerts;
pub mod browser;
pub mod calls;
pub mod console;
pub mod conversions;
pub mod crm;
pub mod forms;
pub mod list_page;
pub mod lists;
pub mod logs;
pub mod metrics;
pub mod ports;
pub mod process;
pub mod runs;
pub mod salesforce;
pub mod schedules;
pub mod services;
pub mod smtp;
pub mod sync;
pub mod wait;
pub mod webhook;
pub mod world;

use std::path::PathBuf;

use listbridge::{
    AppState,
    accounts::AccountAdmin,
    app::{self, Services},
    config::{Config, CrmLimits, LogFormat},
};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;
use serde_json::Value;
use tokio::sync::oneshot;

/// A running app and what a test needs to drive it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The app's state, for assertions on the store.
    pub state: AppState,
    /// The database URL the app uses.
    pub database_url: String,
    /// A plain HTTP client.
    pub client: reqwest::Client,
    db: TestDb,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Installs the TLS provider reqwest needs (once per process).
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The master key every test service on PostgreSQL is given (SQLite tests exercise
/// the key file instead).
pub const TEST_MASTER_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// The settings of a test service on `database_url`: port 0 on loopback, warnings only,
/// outbound requests allowed to loopback (where every fake CRM listens), defaults for
/// the rest.
pub fn test_config(database_url: &str) -> Config {
    Config {
        bind: "127.0.0.1:0".parse().expect("literal address"),
        database_url: database_url.to_string(),
        master_key: database_url
            .starts_with("postgres")
            .then(|| SecretString::from(TEST_MASTER_KEY.to_string())),
        log: "warn".to_string(),
        log_format: LogFormat::Text,
        // The fake CRM listens on loopback; the default (nothing private) is what
        // `outbound_guard` tests start without.
        allow_private_hosts: listbridge_connector::AllowList::loopback(),
        workers: listbridge::config::DEFAULT_WORKERS,
        job_lease_seconds: listbridge::config::DEFAULT_JOB_LEASE_SECONDS,
        scheduler_tick_ms: listbridge::config::DEFAULT_SCHEDULER_TICK_MS,
        crm: CrmLimits::default(),
        work: Default::default(),
        console: Default::default(),
        trusted_proxies: Default::default(),
        forwarded_header: Default::default(),
        form_limits: Default::default(),
        metrics_token: None,
        metrics_bind: None,
        alerts: Default::default(),
        salesforce: Default::default(),
    }
}

/// Allows outbound requests to loopback addresses only, not the name `localhost`, so
/// [`INSECURE_LOOPBACK_URL`] is refused as plain http to a host not allowed. (The
/// fake CRMs listen on `127.0.0.1`, which stays allowed.)
pub fn loopback_addresses_only(config: &mut Config) {
    config.allow_private_hosts =
        listbridge_connector::AllowList::parse("127.0.0.0/8,::1").expect("loopback networks");
}

/// A plain-http CRM URL that [`loopback_addresses_only`] settings refuse as insecure
/// before any request. Were the guard broken, it would reach only this machine, on a
/// port nobody listens on: never a real resolver or a remote host.
pub const INSECURE_LOOPBACK_URL: &str = "http://localhost:1";

/// Starts the app with a fresh database and the default connector registry.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Services::default()).await
}

/// Starts the app with a fresh database and the given services.
pub async fn spawn_app_with(services: Services) -> TestApp {
    spawn_app_configured(services, |_| {}).await
}

/// Starts the app with a fresh database, the given services, and settings changed by
/// `adjust` (the database URL and master key are the harness's).
pub async fn spawn_app_configured(services: Services, adjust: impl FnOnce(&mut Config)) -> TestApp {
    install_tls_provider();
    let db = TestDb::create().await;
    let mut config = test_config(&db.url);
    adjust(&mut config);
    let state = app::build_state(&config, services)
        .await
        .expect("app state builds");
    let listener = app::bind(config.bind).await.expect("bind port 0");
    let addr = listener.local_addr().expect("bound address");
    let (tx, rx) = oneshot::channel();
    let served = state.clone();
    tokio::spawn(async move {
        let _ = app::serve(listener, served, async {
            let _ = rx.await;
        })
        .await;
    });
    TestApp {
        base_url: format!("http://{addr}"),
        state,
        database_url: db.url.clone(),
        client: reqwest::Client::new(),
        db,
        shutdown: Some(tx),
    }
}

impl TestApp {
    /// Creates an account and returns its API key.
    pub async fn create_account(&self, name: &str) -> String {
        let admin = AccountAdmin {
            store: &self.state.store,
            clock: self.state.clock.as_ref(),
            random: self.state.random.as_ref(),
        };
        let (_, key) = admin.create_account(name).await.expect("account created");
        key.expose().to_string()
    }

    /// The URL of a path on the app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// A request with a bearer key and, when given, a JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let request = self.client.request(method, self.url(path)).bearer_auth(key);
        let request = match body {
            Some(body) => request.json(body),
            None => request,
        };
        request.send().await.expect("request sent")
    }

    /// GET with a bearer key.
    pub async fn get(&self, path: &str, key: &str) -> reqwest::Response {
        self.send(reqwest::Method::GET, path, key, None).await
    }

    /// POST JSON with a bearer key.
    pub async fn post(&self, path: &str, key: &str, body: &Value) -> reqwest::Response {
        self.send(reqwest::Method::POST, path, key, Some(body))
            .await
    }

    /// PUT JSON with a bearer key.
    pub async fn put(&self, path: &str, key: &str, body: &Value) -> reqwest::Response {
        self.send(reqwest::Method::PUT, path, key, Some(body)).await
    }

    /// PATCH JSON with a bearer key.
    pub async fn patch(&self, path: &str, key: &str, body: &Value) -> reqwest::Response {
        self.send(reqwest::Method::PATCH, path, key, Some(body))
            .await
    }

    /// DELETE with a bearer key.
    pub async fn delete(&self, path: &str, key: &str) -> reqwest::Response {
        self.send(reqwest::Method::DELETE, path, key, None).await
    }

    /// The SQLite database file, when the test runs on SQLite.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        match &self.db.kind {
            DbKind::Sqlite { dir } => Some(dir.join("listbridge.db")),
            DbKind::Postgres { .. } => None,
        }
    }

    /// Every byte the SQLite database holds on disk (main file and WAL).
    pub fn sqlite_bytes(&self) -> Option<Vec<u8>> {
        let file = self.sqlite_file()?;
        let mut bytes = std::fs::read(&file).unwrap_or_default();
        let wal = file.with_extension("db-wal");
        bytes.extend(std::fs::read(wal).unwrap_or_default());
        Some(bytes)
    }

    /// A separate connection to the app's database, for looking at raw rows.
    pub async fn raw_db(&self) -> sea_orm::DatabaseConnection {
        Database::connect(self.database_url.as_str())
            .await
            .expect("raw connection")
    }
}

/// Reads a response as `(status, json)`.
pub async fn json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body read");
    let value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("body is not JSON ({e}): {text}"));
    (status, value)
}

/// Asserts a response is the problem JSON with this status and code.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    let (got, body) = json(response).await;
    assert_eq!(got, status, "unexpected status, body: {body}");
    assert_eq!(body["error"], code, "unexpected code, body: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "no message: {body}"
    );
    body
}

enum DbKind {
    Sqlite { dir: PathBuf },
    Postgres { admin_url: String, name: String },
}

/// A database that exists for one test and is removed after it.
struct TestDb {
    kind: DbKind,
    url: String,
}

impl TestDb {
    async fn create() -> TestDb {
        match std::env::var("DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("lbtest_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(admin_url.as_str())
                    .await
                    .expect("PostgreSQL admin connection");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.expect("close admin connection");
                let mut url = url::Url::parse(&admin_url).expect("DATABASE_URL parses");
                url.set_path(&name);
                TestDb {
                    url: url.to_string(),
                    kind: DbKind::Postgres { admin_url, name },
                }
            }
            _ => {
                let dir =
                    std::env::temp_dir().join(format!("listbridge-test-{}", uuid::Uuid::new_v4()));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.join("listbridge.db").display());
                TestDb {
                    url,
                    kind: DbKind::Sqlite { dir },
                }
            }
        }
    }
}

/// Removing a PostgreSQL test database blocks the test's thread until the server has
/// dropped it. Tests run on a multi-threaded runtime (`#[tokio::test(flavor =
/// "multi_thread")]`) so the app's own connections keep being driven meanwhile: on a
/// single-threaded runtime a connection caught mid-handshake stalls, and PostgreSQL's
/// `DROP DATABASE … WITH (FORCE)` waits for it until the server's 60-second
/// authentication timeout.
impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.kind {
            DbKind::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            DbKind::Postgres { admin_url, name } => {
                // Drop runs outside async; use a private runtime on its own thread.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}
