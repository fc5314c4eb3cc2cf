//! The job that executes a run: its payload (`{"run_id": …}`) written when the run is
//! queued and read back by the worker, and the reopening of a failed run when its dead
//! job is retried by hand.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::store::{Job, JobKind, RunId, RunRepo, StoreError};

/// The payload key naming the run a job executes.
const RUN_ID: &str = "run_id";

/// The payload of the job that executes run `run`.
pub(super) fn job_payload(run: RunId) -> serde_json::Value {
    serde_json::json!({ RUN_ID: run })
}

/// The run a job executes; `None` for other kinds of job and for a payload without a
/// readable run id.
pub fn run_of_job(job: &Job) -> Option<RunId> {
    if job.kind != JobKind::Run {
        return None;
    }
    job.payload
        .get(RUN_ID)
        .and_then(|v| v.as_str())
        .and_then(RunId::from_db)
}

/// Why the run of a retried job could not be put back in the queue.
#[derive(Debug, thiserror::Error)]
pub enum ReopenError {
    /// Another run of the same list or segment holds its active slot.
    #[error("run {0} cannot be reopened while another run of its list or segment is active")]
    Blocked(RunId),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// When a dead run job is retried by hand, puts its failed run back in the queue in the
/// caller's transaction `db` (the retry's), so it resumes from its checkpoint instead of
/// the job finding a finished run and doing nothing. Nothing to do for other jobs.
pub async fn reopen_run_of_job<C: ConnectionTrait>(
    db: &C,
    job: &Job,
    now: DateTime<Utc>,
) -> Result<(), ReopenError> {
    let Some(run) = run_of_job(job) else {
        return Ok(());
    };
    match RunRepo.reopen_failed(db, run, now).await {
        Ok(_) => Ok(()),
        Err(StoreError::Duplicate { .. }) => Err(ReopenError::Blocked(run)),
        Err(e) => Err(e.into()),
    }
}
