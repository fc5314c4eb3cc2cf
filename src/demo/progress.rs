//! Following a run on the terminal: a progress bar fed by the run's own progress
//! (`progress_done` / `progress_total` of `GET /v1/runs/{id}`).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use super::{DemoError, client::ApiClient};

/// How often the run's progress is read.
const POLL_EVERY: Duration = Duration::from_millis(150);
/// The longest the demo waits for one run.
const RUN_DEADLINE: Duration = Duration::from_secs(30 * 60);

/// Polls run `run_id` until it ends, drawing a bar labelled `label`; returns the final
/// run report. A failed run is an error carrying the run's own message.
pub async fn follow_run(api: &ApiClient, run_id: &str, label: &str) -> Result<Value, DemoError> {
    let bar = ProgressBar::new(0).with_message(label.to_string());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg:<28} [{bar:40}] {pos}/{len} ({per_sec}, {elapsed})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let path = format!("/v1/runs/{run_id}");
    let deadline = tokio::time::Instant::now() + RUN_DEADLINE;
    let report = loop {
        let run = api.get("reading the run's progress", &path).await?;
        if let Some(total) = run["progress_total"].as_u64() {
            bar.set_length(total);
        }
        if let Some(done) = run["progress_done"].as_u64() {
            if bar.length().is_none_or(|len| done > len) {
                bar.set_length(done);
            }
            bar.set_position(done);
        }
        if !matches!(run["status"].as_str(), Some("queued" | "running")) {
            break run;
        }
        if tokio::time::Instant::now() >= deadline {
            bar.abandon();
            return Err(DemoError::Run {
                what: label.to_string(),
                message: format!("still {} after {RUN_DEADLINE:?}", run["status"]),
            });
        }
        tokio::time::sleep(POLL_EVERY).await;
    };
    bar.finish_and_clear();
    match report["status"].as_str() {
        Some("succeeded" | "completed_with_errors") => Ok(report),
        other => Err(DemoError::Run {
            what: label.to_string(),
            message: format!(
                "ended as {}: {}",
                other.unwrap_or("unknown"),
                report["error"].as_str().unwrap_or("no error message")
            ),
        }),
    }
}
