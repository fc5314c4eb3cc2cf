//! `kill -9` of a real `listbridge serve` process in the middle of a push: a second
//! process on the same database takes the run over once the dead one's lease lapses and
//! finishes it, and the CRM ends with every lead exactly once.

mod common;

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use infor_crm_fake::{FakeConfig, FakeCrm, Fault, FaultConfig, FaultRule, Kind};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_listbridge");
const MEMBERS: usize = 1500;

/// A free loopback port (bound and released; the child binds it right after).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn command(database_url: &str, port: u16) -> Command {
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
    cmd
}

async fn serve(database_url: &str, port: u16) -> Child {
    let child = command(database_url, port)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the service did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child
}

/// The database for this test: a SQLite file, or a new database on the PostgreSQL
/// server named by `DATABASE_URL`.
async fn database(dir: &std::path::Path) -> String {
    match std::env::var("DATABASE_URL") {
        Ok(admin) if admin.starts_with("postgres") => {
            use sea_orm::ConnectionTrait;
            let name = format!("lbkill_{}", uuid::Uuid::new_v4().simple());
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

async fn call(client: &reqwest::Client, request: reqwest::RequestBuilder) -> Value {
    let _ = client;
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let body: Value = response.json().await.expect("JSON body");
    assert!(status.is_success(), "{status}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_s_run_is_finished_by_another() {
    common::install_tls_provider();
    let crm = FakeCrm::start(FakeConfig {
        leads: 5,
        ..FakeConfig::default()
    })
    .await
    .expect("fake CRM");
    let dir = std::env::temp_dir().join(format!("listbridge-kill-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let database_url = database(&dir).await;
    let created = command(&database_url, 0)
        .args(["account", "create", "acme"])
        .output()
        .await
        .expect("account create runs");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let key = String::from_utf8_lossy(&created.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string();

    let port = free_port();
    let mut first = serve(&database_url, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let auth = |r: reqwest::RequestBuilder| r.bearer_auth(&key);
    call(&client, auth(client.post(format!("{base}/v1/connectors"))).json(&json!({ "kind": "infor-crm", "base_url": crm.base_url(), "username": "admin", "password": "password" }))).await;
    let mut csv = String::from("Email,First Name,Last Name,Company\n");
    for i in 0..MEMBERS {
        csv.push_str(&format!(
            "killed{i}@kill.example,First{i},Last{i},Company {}\n",
            i % 9
        ));
    }
    let mapping = json!({ "Email": "email", "First Name": "first_name", "Last Name": "last_name", "Company": "company" }).to_string();
    let upload = call(
        &client,
        auth(client.post(format!("{base}/v1/lists/upload")))
            .query(&[("name", "Kill test"), ("mapping", mapping.as_str())])
            .header("content-type", "text/csv")
            .body(csv),
    )
    .await;
    let list = upload["list"]["id"].as_str().expect("list id").to_string();
    call(
        &client,
        auth(client.put(format!("{base}/v1/lists/{list}/sync")))
            .json(&json!({ "push": { "enabled": true, "add_new": true } })),
    )
    .await;
    crm.state().set_faults(FaultConfig {
        rules: vec![FaultRule::always(Fault::Latency { ms: 20 })],
        ..FaultConfig::default()
    });
    let queued = call(
        &client,
        auth(client.post(format!("{base}/v1/lists/{list}/runs"))).json(&json!({})),
    )
    .await;
    let run = queued["run"]["id"].as_str().expect("run id").to_string();

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let report = call(&client, auth(client.get(format!("{base}/v1/runs/{run}")))).await;
        if report["counts"]["pushed_new"].as_u64().unwrap_or(0) >= 200 {
            break;
        }
        assert_ne!(
            report["status"], "succeeded",
            "finished before the kill: {report}"
        );
        assert!(Instant::now() < deadline, "no progress: {report}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().await.expect("kill -9");
    crm.state().clear_faults();

    let port = free_port();
    let _second = serve(&database_url, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(90);
    let report = loop {
        let report = call(&client, auth(client.get(format!("{base}/v1/runs/{run}")))).await;
        if !matches!(report["status"].as_str(), Some("queued" | "running")) {
            break report;
        }
        assert!(
            Instant::now() < deadline,
            "the run was not taken over: {report}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(report["status"], "succeeded", "{report}");
    assert!(report["resumes"].as_i64().unwrap_or(0) >= 1, "{report}");
    let mut emails: Vec<String> = crm
        .state()
        .records(Kind::Lead)
        .iter()
        .filter_map(|l| l.text("Email").map(str::to_lowercase))
        .filter(|e| e.ends_with("@kill.example"))
        .collect();
    let total = emails.len();
    emails.sort();
    emails.dedup();
    assert_eq!(
        (total, emails.len()),
        (MEMBERS, MEMBERS),
        "every member exactly once in the CRM"
    );
    drop(_second);
    let _ = std::fs::remove_dir_all(&dir);
}
