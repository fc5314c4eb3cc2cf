//! Runs seen from outside, as their reports: waiting for a run to end or to come far
//! enough to be interrupted, and checking that runs took turns.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::support::{json as read_json, wait};

/// A run's report from `GET {base}/v1/runs/{run}`.
async fn run_report(client: &reqwest::Client, base: &str, key: &str, run: &str) -> Value {
    let response = client
        .get(format!("{base}/v1/runs/{run}"))
        .bearer_auth(key)
        .send()
        .await
        .expect("request sent");
    let (status, body) = read_json(response).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Whether a run report says the run is still to do or going on.
fn is_active(report: &Value) -> bool {
    matches!(report["status"].as_str(), Some("queued" | "running"))
}

/// Polls a run until it has ended; returns its report. `base` is any service on the
/// database (tests with several processes ask the survivor).
pub async fn wait_run_at(client: &reqwest::Client, base: &str, key: &str, run: &str) -> Value {
    wait::until("the run's end", async || {
        let report = run_report(client, base, key, run).await;
        if is_active(&report) {
            Err(report.to_string())
        } else {
            Ok(report)
        }
    })
    .await
}

/// Polls a run until `reached` says it has come far enough to be interrupted midway;
/// returns that report. Fails if the run ends first.
pub async fn wait_run_midway(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    run: &str,
    reached: impl Fn(&Value) -> bool,
) -> Value {
    wait::until("the run's progress", async || {
        let report = run_report(client, base, key, run).await;
        if reached(&report) {
            return Ok(report);
        }
        assert!(
            is_active(&report),
            "the run ended before it was interrupted: {report}"
        );
        Err(report.to_string())
    })
    .await
}

/// An RFC 3339 instant in a report (`started_at`, `finished_at`…).
pub fn instant(report: &Value, field: &str) -> DateTime<Utc> {
    report[field]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{field} of {report}"))
}

/// Asserts no two of these ended runs executed at the same time.
pub fn assert_took_turns(runs: &[Value]) {
    let mut runs: Vec<&Value> = runs.iter().collect();
    runs.sort_by_key(|r| instant(r, "started_at"));
    for pair in runs.windows(2) {
        assert!(
            instant(pair[0], "finished_at") <= instant(pair[1], "started_at"),
            "two runs at once: {} / {}",
            pair[0],
            pair[1]
        );
    }
}
