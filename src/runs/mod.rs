//! Runs (imports and syncs): the one home of a run's life above storage. Queuing (the
//! run row and its job in one transaction), Run Now, the job that executes a run and
//! its payload, a list's or segment's history, a run's report and records, and the
//! progress the console shows. The API and the console call these functions, never the
//! run repository; `store::RunRepo` keeps the rows and the engine executes the run.

mod error;
mod history;
mod job;
mod progress;
mod queue;
mod report;
mod run_now;
mod worker;

pub use error::RunError;
pub use history::{history, latest_ended_per_list};
pub use job::{ReopenError, reopen_run_of_job, run_of_job};
pub use progress::{active_per_list, active_run_of_list, estimate_remaining};
pub use queue::{RUN_MAX_ATTEMPTS, queue_run};
pub use report::{RecordsPage, RecordsQuery, record_outcomes, records, report};
pub use run_now::{RunRequest, run_now};
pub use worker::RunWorker;
