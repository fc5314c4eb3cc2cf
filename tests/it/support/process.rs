//! Real `listbridge` processes for tests that kill or run several of them: the binary
//! started with `serve` on port 0 (it says where it listens in its log, which is read
//! back), a database it can share with others (a SQLite file, or a new database on the
//! PostgreSQL server named by `DATABASE_URL`), an account made with
//! `listbridge account create`, and JSON calls to its API. With `LB_TEST_LOG_DIR` set,
//! each process's log is copied there (`serve-PID.log`).

use std::{path::PathBuf, process::Stdio};

use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::{Child, ChildStderr, Command},
    sync::oneshot,
};

use crate::support::{TEST_MASTER_KEY, wait::HANG_AFTER};

/// The service binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_listbridge");

/// The message `listbridge serve` logs once it is bound, with the address as `addr`.
const LISTENING: &str = "listbridge is listening";

/// The binary with a database, port 0, short job leases, outbound requests allowed to
/// loopback and `extra` settings (which win). Logs are
/// JSON lines, warnings and up plus listbridge's own info lines (among them
/// [`LISTENING`]).
pub fn command(database_url: &str, extra: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("DATABASE_URL", database_url)
        .env("LISTBRIDGE_BIND", "127.0.0.1:0")
        .env("LISTBRIDGE_JOB_LEASE_SECONDS", "2")
        .env("LISTBRIDGE_WORKERS", "2")
        .env("LISTBRIDGE_LOG", "warn,listbridge=info")
        .env("LISTBRIDGE_LOG_FORMAT", "json")
        // The fake CRM listens on loopback, which the default refuses.
        .env(
            "LISTBRIDGE_ALLOW_PRIVATE_HOSTS",
            "127.0.0.0/8,::1,localhost",
        )
        .env_remove("LISTBRIDGE_CONFIG")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if database_url.starts_with("postgres") {
        cmd.env("LISTBRIDGE_MASTER_KEY", TEST_MASTER_KEY);
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

/// Starts `listbridge serve` and returns once it has said where it listens (the port is
/// bound then, so requests wait in its backlog rather than being refused).
pub async fn serve(database_url: &str, extra: &[(&str, &str)]) -> Process {
    let mut child = command(database_url, extra)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stderr = child.stderr.take().expect("stderr is piped");
    let (tell, told) = oneshot::channel();
    tokio::spawn(read_log(stderr, child.id(), tell));
    let addr = tokio::time::timeout(HANG_AFTER, told)
        .await
        .expect("the service said where it listens before the hang deadline")
        .expect("the service logged its address before exiting");
    Process {
        child,
        base: format!("http://{addr}"),
    }
}

impl Process {
    /// Stops the process as an operator would (SIGTERM) and waits until it has exited:
    /// its graceful shutdown waits for the scheduler's tick in progress, so whatever
    /// that tick was going to write is written by then.
    pub async fn stop(mut self) {
        let pid = self.child.id().expect("the process is running");
        let status = tokio::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await
            .expect("kill runs");
        assert!(status.success(), "SIGTERM sent");
        let exited = self.child.wait().await.expect("the process exits");
        assert!(exited.success(), "a clean shutdown: {exited}");
    }
}

/// Reads the service's log to its end: sends the bound address once it is logged, and
/// copies every line to `LB_TEST_LOG_DIR` when that is set (reading also keeps the pipe
/// from filling up and blocking the service).
async fn read_log(stderr: ChildStderr, pid: Option<u32>, tell: oneshot::Sender<String>) {
    let mut copy = match std::env::var("LB_TEST_LOG_DIR") {
        Ok(dir) => {
            let file = format!("{dir}/serve-{}.log", pid.unwrap_or_default());
            tokio::fs::File::create(file).await.ok()
        }
        Err(_) => None,
    };
    let mut tell = Some(tell);
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(file) = copy.as_mut() {
            let _ = file.write_all(format!("{line}\n").as_bytes()).await;
        }
        let event: Value = serde_json::from_str(&line).unwrap_or_default();
        if event["fields"]["message"] == LISTENING || event["message"] == LISTENING {
            let addr = event["fields"]["addr"]
                .as_str()
                .or_else(|| event["addr"].as_str());
            if let (Some(addr), Some(tell)) = (addr, tell.take()) {
                let _ = tell.send(addr.to_string());
            }
        }
    }
}

/// A database several processes share for one test, with the scratch directory that
/// holds it on SQLite (removed afterwards).
pub struct SharedDatabase {
    /// Its URL.
    pub url: String,
    dir: PathBuf,
}

impl SharedDatabase {
    /// A new database: a SQLite file in a new directory, or a new database on the
    /// PostgreSQL server named by `DATABASE_URL`.
    pub async fn create(label: &str) -> SharedDatabase {
        let dir = std::env::temp_dir().join(format!("listbridge-{label}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = match std::env::var("DATABASE_URL") {
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
        };
        SharedDatabase { url, dir }
    }
}

impl Drop for SharedDatabase {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Creates an account with the binary; returns its API key (the last line printed).
pub async fn create_account(database_url: &str, name: &str) -> String {
    let created = command(database_url, &[])
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
