//! Queuing runs: the one way Run Now, imports and the scheduler start work. The run row
//! and its job are written in one transaction, so a run is never queued without the job
//! that executes it.

use sea_orm::TransactionTrait;

use super::job::job_payload;
use crate::{
    AppState,
    store::{JobKind, JobRepo, NewJob, NewRun, Queued, RunRepo, StoreError},
};

/// Attempts a run's job gets for transient failures before the run is marked failed.
pub const RUN_MAX_ATTEMPTS: i32 = 8;

/// Queues a run unless one is already active for the same list or segment; then the
/// active run is returned instead.
pub async fn queue_run(state: &AppState, new: NewRun) -> Result<Queued, StoreError> {
    let now = state.clock.now();
    let account = new.account_id;
    let tx = state.store.conn().begin().await?;
    let queued = RunRepo
        .queue(&tx, state.random.uuid().into(), new, now)
        .await?;
    if let Queued::New(run) = &queued {
        let job = NewJob {
            id: state.random.uuid().into(),
            account_id: account,
            kind: JobKind::Run,
            payload: job_payload(run.id),
            max_attempts: RUN_MAX_ATTEMPTS,
            run_at: now,
            dedupe_key: Some(format!("run:{}", run.id)),
        };
        JobRepo::on(&tx).enqueue(job, now).await?;
    }
    tx.commit().await?;
    state.job_signal.notify_one();
    Ok(queued)
}
