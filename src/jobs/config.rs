//! How this instance's job workers behave: how many jobs at once, how many of one
//! account's runs at once, the lease a claim holds, how often an idle dispatcher looks, and
//! the lease of a form delivery's email lock. Part of `AppState`, so the services that run jobs read the same settings.

use std::time::Duration as StdDuration;

use chrono::Duration;

/// How the workers behave.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs executed at once by this instance; 0 runs no background work (an API-only instance).
    pub workers: usize,
    /// The most run jobs (sync and import runs) of one account running at once, across
    /// every instance; the account's other runs wait so one account's backlog cannot
    /// hold every worker (setting `max_running_jobs_per_account`). Deliveries are not
    /// capped: they are short and must not wait behind the account's imports.
    pub max_running_per_account: u32,
    /// How long a claim holds before another instance may take the job over.
    pub lease: Duration,
    /// How often an idle dispatcher looks for due jobs (it also wakes when this
    /// instance queues a job).
    pub poll: StdDuration,
    /// This instance's name in lease records.
    pub worker_id: String,
    /// How long a form delivery's (account, email) lock holds without a renewal; the
    /// holder renews it as it works through the email's backlog, so only a dead or
    /// stalled holder's lock lapses and is taken over.
    pub email_lock_lease: Duration,
    /// How long a job that succeeded stays listed before an idle dispatcher deletes it
    /// (its outcome lives on in its run, submission or note events); failed and dead
    /// jobs stay until retried or handled.
    pub keep_succeeded: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            workers: 4,
            max_running_per_account: crate::config::DEFAULT_MAX_RUNNING_JOBS_PER_ACCOUNT,
            lease: Duration::seconds(30),
            poll: StdDuration::from_millis(500),
            worker_id: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            email_lock_lease: Duration::minutes(2),
            keep_succeeded: Duration::days(7),
        }
    }
}
