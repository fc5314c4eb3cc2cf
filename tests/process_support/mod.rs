//! Real `listbridge` processes for tests that kill or run several of them: the binary
//! started with `serve` on a free loopback port, a database it can share with others
//! (a SQLite file, or a new database on the PostgreSQL server named by `DATABASE_URL`),
//! an account made with `listbridge account create`, and JSON calls to its API. With
//! `LB_TEST_LOG_DIR` set, each process writes its log there (`serve-PORT.log`); raise
//! `LISTBRIDGE_LOG` through a test's extra settings to see more.

#![allow(dead_code)] // Each test binary uses a different part.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use serde_json::Value;
use tokio::process::{Child, Command};

/// The service binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_listbridge");

/// A free loopback port (bound and released; the child binds it right after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The binary with a database, a port, short job leases and `extra` settings.
pub fn command(database_url: &str, port: u16, extra: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("DATABASE_URL", database_url)
        .env("LISTBRIDGE_BIND", format!("127.0.0.1:{port}"))
        .env("LISTBRIDGE_JOB_LEASE_SECONDS", "2")
        .env("LISTBRIDGE_WORKERS", "2")
        .env("LISTBRIDGE_LOG", "warn")
        .env_remove("LISTBRIDGE_CONFIG")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if database_url.starts_with("postgres") {
        cmd.env(
            "LISTBRIDGE_MASTER_KEY",
            "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        );
    }
    for (name, value) in extra {
        cmd.env(name, value);
    }
    cmd
}

/// A running `listbridge serve` and its base URL.
pub struct Process {
    /// The child (killed when dropped).
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

/// Starts `listbridge serve` and waits until it answers `/healthz`.
pub async fn serve(database_url: &str, extra: &[(&str, &str)]) -> Process {
    let port = free_port();
    let child = command(database_url, port, extra)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(match std::env::var("LB_TEST_LOG_DIR") {
            Ok(dir) => std::fs::File::create(format!("{dir}/serve-{port}.log"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
            Err(_) => Stdio::null(),
        })
        .spawn()
        .expect("serve starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the service did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Process { child, base }
}

/// A database for this test that several processes can share.
pub async fn database(dir: &std::path::Path) -> String {
    match std::env::var("DATABASE_URL") {
        Ok(admin) if admin.starts_with("postgres") => {
            use sea_orm::ConnectionTrait;
            let name = format!("lbproc_{}", uuid::Uuid::new_v4().simple());
            let db = sea_orm::Database::connect(admin.as_str())
                .await
                .expect("admin connection");
            db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("database created");
            let mut url = url::Url::parse(&admin).expect("admin URL");
            url.set_path(&name);
            url.to_string()
        }
        _ => format!("sqlite://{}?mode=rwc", dir.join("listbridge.db").display()),
    }
}

/// Creates an account with the binary; returns its API key (the last line printed).
pub async fn create_account(database_url: &str, name: &str) -> String {
    let created = command(database_url, 0, &[])
        .args(["account", "create", name])
        .output()
        .await
        .expect("account create runs");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    String::from_utf8_lossy(&created.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Sends a request and returns its JSON body, asserting a 2xx status.
pub async fn call(request: reqwest::RequestBuilder) -> Value {
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let body: Value = response.json().await.expect("JSON body");
    assert!(status.is_success(), "{status}: {body}");
    body
}
