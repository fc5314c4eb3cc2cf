//! A run's progress as the console shows it: status and phase in words, the bar's
//! numbers, the time left and the counts. Built from a [`Run`] without a query, so the
//! lists table and the polled fragment show the same thing.

use crate::console::words::{thousands, when};
use chrono::{DateTime, Duration, Utc};

use crate::{
    runs::estimate_remaining,
    store::{Run, RunCounts, RunKind, RunStatus},
};

/// How often the fragment of a run page asks again, while the run is active.
const POLL_FULL: &str = "every 1s";
/// How often a lists-table cell asks again (many may be on one page).
const POLL_COMPACT: &str = "every 2s";

/// One run's progress, ready for `console/progress_fragment.html`.
#[derive(Debug, Clone)]
pub struct ProgressView {
    /// The run's id.
    pub run_id: String,
    /// Its list's id, for the link.
    pub list_id: String,
    /// Its list's name (empty in the compact form, which does not show it).
    pub list_name: String,
    /// The small form for a cell of the lists table.
    pub compact: bool,
    /// Queued or running: the fragment asks again.
    pub active: bool,
    /// The fragment's own URL, to poll.
    pub poll_url: String,
    /// The `hx-trigger` of an active fragment.
    pub poll_every: &'static str,
    /// "Import" / "Sync" / "Dry run".
    pub kind: &'static str,
    /// The status in words.
    pub status: &'static str,
    /// The status badge's class (`ok`, `warn`, `bad`, or empty).
    pub status_class: &'static str,
    /// The phase in words.
    pub phase: String,
    /// Records processed.
    pub done: String,
    /// Records expected, when known.
    pub total: Option<String>,
    /// The bar's value.
    pub bar_value: i64,
    /// The bar's maximum; `None` for an indeterminate bar.
    pub bar_max: Option<i64>,
    /// Percent done, when the total is known.
    pub percent: Option<i64>,
    /// The time left in words, while it can be told.
    pub estimate: Option<String>,
    /// Non-zero counts, labelled.
    pub counts: Vec<(&'static str, String)>,
    /// Why the run failed.
    pub error: Option<String>,
    /// What an ended run came to, in a sentence; empty while it is active.
    pub outcome: String,
    /// When an ended run finished.
    pub finished_at: Option<String>,
    /// How long an ended run took, in words.
    pub took: Option<String>,
    /// Shown on the run's own page: an ended run's fragment does not link to the page
    /// it is on.
    pub on_run_page: bool,
}

impl ProgressView {
    /// The view of `run` (of the list named `list_name`) at `now`.
    pub fn new(run: &Run, list_name: &str, compact: bool, now: DateTime<Utc>) -> Self {
        let active = run.status.is_active();
        let (status, status_class) = status_words(run.status);
        let elapsed = run.started_at.map(|s| now - s);
        let estimate = match (active, elapsed) {
            (true, Some(elapsed)) => {
                estimate_remaining(run.progress_done, run.progress_total, elapsed)
                    .map(remaining_words)
            }
            _ => None,
        };
        let total = run.progress_total.filter(|t| *t > 0);
        let (bar_value, bar_max) = match (active, total) {
            (_, Some(t)) => (run.progress_done.min(t), Some(t)),
            // An ended run without a known total is complete as far as the bar goes.
            (false, None) => (1, Some(1)),
            (true, None) => (run.progress_done, None),
        };
        ProgressView {
            run_id: run.id.to_string(),
            list_id: run.list_id.to_string(),
            list_name: list_name.to_string(),
            compact,
            active,
            poll_url: progress_url(run, compact),
            poll_every: if compact { POLL_COMPACT } else { POLL_FULL },
            kind: kind_words(run),
            status,
            status_class,
            phase: phase_words(run.status, &run.phase),
            done: thousands(run.progress_done),
            total: run.progress_total.map(thousands),
            bar_value,
            bar_max,
            percent: total.map(|t| (run.progress_done.min(t) * 100) / t),
            estimate,
            counts: count_rows(&run.counts),
            error: run.error.clone(),
            outcome: outcome_sentence(run),
            finished_at: run.finished_at.map(when),
            took: match (active, run.started_at, run.finished_at) {
                (false, Some(start), Some(end)) => Some(duration_words(end - start)),
                _ => None,
            },
            on_run_page: false,
        }
    }

    /// The view as the run's own page shows it (no link to the page it is on).
    pub fn on_run_page(mut self) -> Self {
        self.on_run_page = true;
        self
    }

    /// The run's own page (its report once ended, a dry run's preview).
    pub fn run_url(&self) -> String {
        format!("/runs/{}", self.run_id)
    }

    /// The list page's address.
    pub fn list_url(&self) -> String {
        list_url(&self.list_id)
    }
}

/// What an ended run came to; empty while it is active.
fn outcome_sentence(run: &Run) -> String {
    let what = match kind_words(run) {
        "Import" => "The import",
        "Sync" => "The sync",
        _ => "The dry run",
    };
    match run.status {
        RunStatus::Queued | RunStatus::Running => String::new(),
        RunStatus::Succeeded => format!("{what} has finished."),
        RunStatus::CompletedWithErrors => {
            format!("{what} has finished, but some records were not taken: see the counts.")
        }
        RunStatus::Failed => format!("{what} failed."),
    }
}

/// A run's duration in words: `42 s`, `3 min 5 s`, `2 h 10 min`.
pub fn duration_words(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// The fragment URL of a run, compact or full.
fn progress_url(run: &Run, compact: bool) -> String {
    if compact {
        format!("/runs/{}/progress?compact=1", run.id)
    } else {
        format!("/runs/{}/progress", run.id)
    }
}

/// A list page's address.
pub fn list_url(id: &str) -> String {
    format!("/lists/{id}")
}

/// What a run does, in a word.
pub fn kind_words(run: &Run) -> &'static str {
    match (run.kind, run.dry_run) {
        (_, true) => "Dry run",
        (RunKind::Import, false) => "Import",
        (RunKind::Sync, false) => "Sync",
    }
}

/// A status in words and its badge class.
pub fn status_words(status: RunStatus) -> (&'static str, &'static str) {
    match status {
        RunStatus::Queued => ("Queued", ""),
        RunStatus::Running => ("Running", ""),
        RunStatus::Succeeded => ("Succeeded", "ok"),
        RunStatus::CompletedWithErrors => ("Completed with errors", "warn"),
        RunStatus::Failed => ("Failed", "bad"),
    }
}

/// The engine's phase name in words.
fn phase_words(status: RunStatus, phase: &str) -> String {
    match phase {
        "queued" | "" if status == RunStatus::Running => "Starting".to_string(),
        "queued" | "" => "Waiting to start".to_string(),
        "import" => "Importing records from the CRM".to_string(),
        "pull" => "Reading changes from the CRM".to_string(),
        "push" => "Sending changes to the CRM".to_string(),
        "backfill" => "Filling new columns from the CRM".to_string(),
        "done" => "Finished".to_string(),
        other => other.to_string(),
    }
}

/// The time left in words, rounded up to what a person cares about.
pub fn remaining_words(left: Duration) -> String {
    let seconds = left.num_seconds();
    if seconds <= 0 {
        return "almost done".to_string();
    }
    if seconds < 60 {
        return "less than a minute left".to_string();
    }
    let minutes = (seconds + 59) / 60;
    if minutes < 60 {
        return match minutes {
            1 => "about 1 minute left".to_string(),
            m => format!("about {m} minutes left"),
        };
    }
    let (hours, minutes) = (minutes / 60, minutes % 60);
    if hours >= 48 {
        return format!("about {} days left", (hours + 12) / 24);
    }
    match minutes {
        0 => format!("about {hours} h left"),
        m => format!("about {hours} h {m} min left"),
    }
}

/// The counts a marketer reads, labelled, leaving out zeros.
pub fn count_rows(c: &RunCounts) -> Vec<(&'static str, String)> {
    [
        ("Read from the CRM", c.read),
        ("Members added", c.pulled_new),
        ("Members updated from the CRM", c.pulled_updated),
        ("Leads created in the CRM", c.pushed_new),
        ("Records updated in the CRM", c.pushed_updated),
        ("Unchanged", c.unchanged),
        ("Conflicts settled", c.conflicts),
        ("New columns filled", c.filled),
        ("Followed a lead converted into a contact", c.followed),
        ("Failed", c.failed),
        ("Without a valid email", c.invalid),
        ("Duplicate emails", c.duplicates),
        ("Skipped: refused before, unchanged since", c.parked),
        ("Skipped", c.skipped),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(label, n)| (label, thousands(i64::try_from(n).unwrap_or(i64::MAX))))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_as_words() {
        assert_eq!(remaining_words(Duration::zero()), "almost done");
        assert_eq!(
            remaining_words(Duration::seconds(59)),
            "less than a minute left"
        );
        assert_eq!(
            remaining_words(Duration::seconds(61)),
            "about 2 minutes left"
        );
        assert_eq!(
            remaining_words(Duration::seconds(60)),
            "about 1 minute left"
        );
        assert_eq!(
            remaining_words(Duration::minutes(125)),
            "about 2 h 5 min left"
        );
        assert_eq!(remaining_words(Duration::hours(3)), "about 3 h left");
        assert_eq!(remaining_words(Duration::days(5)), "about 5 days left");
    }

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration_words(Duration::seconds(42)), "42 s");
        assert_eq!(duration_words(Duration::seconds(185)), "3 min 5 s");
        assert_eq!(duration_words(Duration::minutes(130)), "2 h 10 min");
    }

    #[test]
    fn counts_get_separators() {
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
