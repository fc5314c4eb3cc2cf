//! Acceptance 3 of issue 19: a daily export to the platform's SFTP directory, against a
//! real OpenSSH sshd on loopback (`sftp_drop::testing`; skipped with a note when OpenSSH
//! is missing, unless `LISTBRIDGE_REQUIRE_SSHD=1`). The host key is shown and must be
//! confirmed before it is pinned; each run leaves one complete file and never a partial
//! one under a `.csv` name; a second run writes no file again.

use std::{fs, path::Path};

use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sftp_drop::testing::Sshd;

use crate::support::{
    assert_problem,
    conversions::{add_won, won_rule},
    world::{crm_config, world},
};

/// The `.csv` files in `dir` (a temporary upload starts with a dot and ends `.part`).
fn csv_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.ends_with(".csv") && !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn a_daily_sftp_export_drops_one_complete_file_per_run() {
    let Some(sshd) = Sshd::start() else { return };
    let w = world(crm_config(0, 0)).await;
    add_won(&w, 30, 0);

    let (status, shown) = w
        .post(
            "/v1/conversion-exports/host-key",
            &json!({ "host": "127.0.0.1", "port": sshd.port() }),
        )
        .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["fingerprint"], sshd.host_key_fingerprint(), "{shown}");

    let mut body: Value = json!({
        "name": "Daily drop",
        "connector_id": w.connector,
        "source": "opportunity",
        "rule": won_rule(),
        "destination": {
            "kind": "sftp", "host": "127.0.0.1", "port": sshd.port(), "username": sshd.user(),
            "private_key": sshd.client_key().expose_secret(), "directory": sshd.dir().display().to_string()
        },
        "every_minutes": 1440
    });
    // Unconfirmed: refused, showing the key to confirm (as ssh asks on first contact).
    let problem = assert_problem(
        w.app.post("/v1/conversion-exports", &w.key, &body).await,
        422,
        "invalid_value",
    )
    .await;
    let message = problem["message"].as_str().unwrap_or_default();
    assert!(message.contains(&sshd.host_key_fingerprint()), "{message}");
    body["destination"]["host_key"] = json!("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_problem(
        w.app.post("/v1/conversion-exports", &w.key, &body).await,
        422,
        "invalid_value",
    )
    .await;
    body["destination"]["host_key"] = json!(sshd.host_key_fingerprint());
    let export = w.create_export(&body).await;
    let (_, saved) = w.get(&format!("/v1/conversion-exports/{export}")).await;
    assert!(!saved.to_string().contains("PRIVATE KEY"), "{saved}");
    assert_eq!(saved["secret_set"], true);

    let run = w.run_export(&export).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["accepted"], 30, "{run}");
    let files = csv_files(&sshd.dir());
    assert_eq!(files.len(), 1, "one file per run: {files:?}");
    let text = fs::read_to_string(sshd.dir().join(&files[0])).expect("the file reads");
    assert!(text.starts_with("Action Name,Title,Date Time,"), "{text}");
    assert_eq!(text.lines().count(), 31, "the header and 30 rows");
    assert!(
        text.contains("sale,Deal 7,2026-12-04 15:15:30,,1500.5,GBP,,,CR-000007\r\n"),
        "{text}"
    );
    let leftovers: Vec<_> = fs::read_dir(sshd.dir())
        .map(|e| e.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");

    let again = w.run_export(&export).await;
    assert_eq!(again["accepted"], 0, "{again}");
    assert_eq!(csv_files(&sshd.dir()), files, "nothing written twice");
}
