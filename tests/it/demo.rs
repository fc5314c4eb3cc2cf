//! `listbridge demo --exit-after-setup` runs the whole demo flow to completion: the
//! built binary starts the fake CRM and the service, imports, syncs, pushes, prints the
//! key, the URLs and the commands (a form submission among them), and exits 0. A second
//! start on the same database reuses the account and replaces the demo lists.

use std::{path::PathBuf, process::Output, time::Duration};

/// Runs the demo binary on `database` with small data. The two-minute deadline only
/// turns a hung demo into a failure message; it is not a time limit on the demo.
async fn run_demo(database: &str, crm_port: &str) -> Output {
    let dir = std::env::temp_dir();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_listbridge"))
        .current_dir(&dir)
        .args(["demo", "--exit-after-setup", "--bind", "127.0.0.1:0"])
        .args(["--crm-port", crm_port, "--leads", "400", "--contacts", "50"])
        .args(["--database", database])
        .env_remove("LISTBRIDGE_CONFIG")
        .env_remove("DATABASE_URL")
        .env("LISTBRIDGE_LOG", "warn")
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(120), child)
        .await
        .expect("the demo finishes within two minutes")
        .expect("the demo binary runs")
}

fn temp_db() -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("lb-demo-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("demo.db").display());
    (dir, url)
}

fn value_after<'a>(stdout: &'a str, label: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no '{label}' line in:\n{stdout}"))
}

/// The fake CRM's port, from the printed `CRM admin  http://127.0.0.1:PORT/_admin/stats`.
fn crm_port(stdout: &str) -> String {
    let admin = value_after(stdout, "CRM admin");
    url::Url::parse(admin)
        .ok()
        .and_then(|url| url.port())
        .unwrap_or_else(|| panic!("no CRM port in '{admin}'"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_sets_everything_up_and_exits() {
    let (dir, database) = temp_db();
    let output = run_demo(&database, "0").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );

    assert!(
        value_after(&stdout, "API key").starts_with("lb_"),
        "{stdout}"
    );
    assert!(stdout.contains("/openapi.json"), "{stdout}");
    assert!(stdout.contains("/_admin/stats"), "{stdout}");
    assert!(stdout.contains("imported 400 leads"), "{stdout}");
    assert!(
        stdout.contains("25 members updated from the CRM"),
        "{stdout}"
    );
    assert!(stdout.contains("20 new CRM leads created"), "{stdout}");
    assert!(stdout.contains("curl -s -X POST"), "{stdout}");
    assert!(stdout.contains("/members?limit=5"), "{stdout}");
    assert!(stdout.contains("curl -s -X POST $LB/f/"), "{stdout}");
    assert!(
        stdout.contains(&dir.join("demo.db").display().to_string()),
        "{stdout}"
    );
    assert!(!stdout.contains("Press Ctrl-C"), "{stdout}");
    assert!(dir.join("demo.db").is_file());
    assert!(
        value_after(&stdout, "console").starts_with("http://127.0.0.1:"),
        "{stdout}"
    );
    let email = value_after(&stdout, "sign in as");
    let password = value_after(&stdout, "password");
    assert_signs_in(&database, email, password).await;
    let _ = std::fs::remove_dir_all(dir);
}

/// The printed console sign-in works against the demo's database.
async fn assert_signs_in(database: &str, email: &str, password: &str) {
    let store = listbridge::store::Store::connect(database)
        .await
        .expect("demo database opens");
    let people = listbridge::people::People {
        store: &store,
        clock: &listbridge::clock::SystemClock,
        random: &listbridge::clock::OsRandom,
    };
    let user = people
        .sign_in(email, secrecy::SecretString::from(password.to_string()))
        .await
        .expect("the printed sign-in works");
    assert_eq!(user.role, listbridge::store::Role::Admin);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_restarts_on_the_same_database() {
    let (dir, database) = temp_db();
    // The first start's fake CRM takes any free port (port 0) and prints it; the second
    // start asks for that port again, so it finds the same CRM address and reuses the
    // account and its connector.
    let first = run_demo(&database, "0").await;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let first_out = String::from_utf8_lossy(&first.stdout);
    let port = crm_port(&first_out);
    let second = run_demo(&database, &port).await;
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(
        second.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(
        value_after(&first_out, "account"),
        value_after(&stdout, "account"),
        "the account is reused"
    );
    assert_ne!(
        value_after(&first_out, "API key"),
        value_after(&stdout, "API key"),
        "each start prints a new key"
    );
    // The earlier lists were replaced, not duplicated: the import made a list again.
    // A new console password on every start, and it works.
    assert_ne!(
        value_after(&first_out, "password"),
        value_after(&stdout, "password")
    );
    assert_signs_in(
        &database,
        value_after(&stdout, "sign in as"),
        value_after(&stdout, "password"),
    )
    .await;
    assert!(stdout.contains("imported 400 leads"), "{stdout}");
    let _ = std::fs::remove_dir_all(dir);
}
