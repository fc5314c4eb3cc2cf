//! The bounds every run keeps to: a page cap and a wall-time cap. A CRM that never stops
//! sending pages (or sends them very slowly) would otherwise hold a worker for ever; a
//! run that reaches a cap fails with that reason in words the marketer reads in the run
//! report, and what it committed before stays committed.
//!
//! Time is the injectable clock's, measured from the run's first start (waits between
//! retries count: it is how long the run has taken), so tests are deterministic.

use chrono::{DateTime, Duration, Utc};

/// The page and time caps of every run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunLimits {
    /// The most pages (CRM pages read, list pages pushed) one run works through.
    pub max_pages: u64,
    /// The longest a run may take from its first start.
    pub max_duration: Duration,
}

impl RunLimits {
    /// Caps of `max_pages` pages and `max_seconds` seconds (each at least 1).
    pub fn new(max_pages: u32, max_seconds: u32) -> Self {
        RunLimits {
            max_pages: u64::from(max_pages.max(1)),
            max_duration: Duration::seconds(i64::from(max_seconds.max(1))),
        }
    }

    /// Fails when a run first started at `started` has taken its time by `now`.
    pub(crate) fn check_time(
        &self,
        started: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), LimitReached> {
        if now - started >= self.max_duration {
            return Err(LimitReached::Time {
                limit: self.max_duration,
            });
        }
        Ok(())
    }

    /// Pages a run that has worked through `pages_done` may still read, plus the one
    /// that tells it the cap is reached: a read ahead never fetches more than this.
    pub(crate) fn pages_worth_reading(&self, pages_done: u64) -> u64 {
        self.max_pages.saturating_sub(pages_done).saturating_add(1)
    }

    /// Fails when a run that has worked through `pages_done` pages may not start
    /// another, or has taken its time.
    pub(crate) fn check_page(
        &self,
        pages_done: u64,
        started: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), LimitReached> {
        if pages_done >= self.max_pages {
            return Err(LimitReached::Pages {
                pages: self.max_pages,
            });
        }
        self.check_time(started, now)
    }

    /// The wall time left to a run first started at `started`, for a backstop on a
    /// call that never returns (none when it is already up).
    pub(crate) fn time_left(
        &self,
        started: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<std::time::Duration> {
        (started + self.max_duration - now)
            .to_std()
            .ok()
            .filter(|d| !d.is_zero())
    }
}

/// The default caps: 100,000 pages (ten million records in pages of 100) and six hours.
impl Default for RunLimits {
    fn default() -> Self {
        RunLimits::new(100_000, 6 * 60 * 60)
    }
}

/// Which cap a run reached; its text is the run's failure reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitReached {
    /// The page cap (`run_max_pages`).
    #[error("stopped after {pages} pages, the most a run may work through (run_max_pages)")]
    Pages {
        /// The cap.
        pages: u64,
    },
    /// The wall-time cap (`run_max_seconds`).
    #[error("stopped after {}, the longest a run may take (run_max_seconds)", spoken(*limit))]
    Time {
        /// The cap.
        limit: Duration,
    },
}

/// A duration as a person says it: `6 h`, `1 h 30 min`, `45 min`, `90 s`.
fn spoken(duration: Duration) -> String {
    let seconds = duration.num_seconds();
    let (hours, minutes, rest) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (hours, minutes, rest) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (h, 0, 0) => format!("{h} h"),
        (h, m, 0) => format!("{h} h {m} min"),
        _ => format!("{seconds} s"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn the_page_cap_allows_exactly_max_pages() {
        let limits = RunLimits::new(2, 3600);
        assert_eq!(limits.check_page(0, at(0), at(1)), Ok(()));
        assert_eq!(limits.check_page(1, at(0), at(1)), Ok(()));
        let reached = limits.check_page(2, at(0), at(1));
        assert_eq!(reached, Err(LimitReached::Pages { pages: 2 }));
        let text = reached.err().map(|r| r.to_string()).unwrap_or_default();
        assert_eq!(
            text,
            "stopped after 2 pages, the most a run may work through (run_max_pages)"
        );
    }

    #[test]
    fn a_read_ahead_fetches_no_page_past_the_one_that_reaches_the_cap() {
        let limits = RunLimits::new(2, 3600);
        // A fresh run may read its two pages and the third that tells it to stop.
        assert_eq!(limits.pages_worth_reading(0), 3);
        assert_eq!(limits.pages_worth_reading(2), 1);
        assert_eq!(limits.pages_worth_reading(5), 1, "resumed past the cap");
    }

    #[test]
    fn the_time_cap_counts_from_the_first_start_and_says_how_long() {
        let limits = RunLimits::default();
        assert_eq!(limits.check_time(at(0), at(6 * 3600 - 1)), Ok(()));
        let reached = limits.check_time(at(0), at(6 * 3600));
        let text = reached.err().map(|r| r.to_string()).unwrap_or_default();
        assert_eq!(
            text,
            "stopped after 6 h, the longest a run may take (run_max_seconds)"
        );
        assert!(limits.check_page(0, at(0), at(7 * 3600)).is_err());
        assert_eq!(
            limits.time_left(at(0), at(3600)),
            Some(std::time::Duration::from_secs(5 * 3600))
        );
        assert_eq!(limits.time_left(at(0), at(6 * 3600)), None);
    }

    #[test]
    fn durations_are_spoken_in_their_largest_whole_units() {
        let s = |n| spoken(Duration::seconds(n));
        assert_eq!(s(90), "90 s");
        assert_eq!(s(45 * 60), "45 min");
        assert_eq!(s(5400), "1 h 30 min");
        assert_eq!(s(3601), "3601 s");
        assert_eq!(s(1), "1 s");
    }
}
