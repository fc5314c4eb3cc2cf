//! Retrying a dead job by hand (`POST /v1/jobs/{id}/retry`).
//!
//! A dead run job left its run failed; retrying only the job would find a finished run
//! and do nothing. So the run is reopened in the same transaction: it takes its list's
//! active slot again and resumes from its checkpoint, or the retry is refused while
//! another run of that list is active.

use sea_orm::TransactionTrait;

use crate::{
    AppState,
    runs::{ReopenError, reopen_run_of_job},
    store::{AccountId, Job, JobId, JobRepo, RunId, StoreError},
};

/// Why a job could not be retried.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    /// No such job in the account.
    #[error("job {0} was not found")]
    NotFound(JobId),
    /// Only dead jobs are retried by hand; the others retry by themselves or are done.
    #[error("job {id} is {status}; only dead jobs can be retried")]
    NotDead {
        /// The job.
        id: JobId,
        /// Its status.
        status: &'static str,
    },
    /// The job's run cannot be reopened while another run of its list is active.
    #[error(
        "run {run} of job {job} cannot be retried while another run of its list or segment is active; retry after it finishes"
    )]
    RunActive {
        /// The job.
        job: JobId,
        /// Its run.
        run: RunId,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Puts a dead job back in the queue with fresh attempts (and reopens its run).
pub async fn retry_dead_job(
    state: &AppState,
    account: AccountId,
    id: JobId,
) -> Result<Job, RetryError> {
    let now = state.clock.now();
    let tx = state.store.conn().begin().await.map_err(StoreError::from)?;
    let jobs = JobRepo::on(&tx);
    if !jobs.retry_dead(account, id, now).await? {
        return Err(match jobs.get(account, id).await? {
            None => RetryError::NotFound(id),
            Some(job) => RetryError::NotDead {
                id,
                status: job.status.as_str(),
            },
        });
    }
    let job = jobs
        .get(account, id)
        .await?
        .ok_or(RetryError::NotFound(id))?;
    match reopen_run_of_job(&tx, &job, now).await {
        Ok(()) => {}
        // Dropping the transaction rolls the job back to dead.
        Err(ReopenError::Blocked(run)) => return Err(RetryError::RunActive { job: id, run }),
        Err(ReopenError::Store(e)) => return Err(e.into()),
    }
    tx.commit().await.map_err(StoreError::from)?;
    state.job_signal.notify_one();
    tracing::info!(job = %id, "dead job retried");
    Ok(job)
}
