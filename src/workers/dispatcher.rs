//! The claim loop and the per-job task with its lease heartbeat.

use std::{sync::Arc, time::Duration as StdDuration};

use chrono::Duration;
use tokio::{
    sync::{Semaphore, watch},
    task::{JoinHandle, JoinSet},
};
use tracing::Instrument;

use crate::{
    AppState,
    jobs::{JobError, WorkerConfig, retry_delay},
    runs::RunWorker,
    store::{Job, JobKind, JobStatus},
};

/// How long a job waits before trying again while another job holds what it needs (a
/// run of the same list, a delivery for the same email).
const BUSY_WAIT: Duration = Duration::seconds(2);

/// How long a job waits when the CRM's API allowance is used up (a Salesforce org's is a
/// rolling 24 hours): long enough not to spend the first requests it frees up on
/// refusals, short enough that deliveries resume within the hour it returns.
const ALLOWANCE_WAIT: Duration = Duration::hours(1);

/// How often an idle dispatcher deletes jobs that succeeded longer ago than
/// [`WorkerConfig::keep_succeeded`], and how many at most each time (a backlog is worked
/// off over the following idle moments rather than in one long statement).
const PRUNE_EVERY: StdDuration = StdDuration::from_secs(3600);
const PRUNE_MOST: u64 = 5_000;

/// Starts the dispatcher; it stops claiming when `shutdown` turns true and the returned
/// handle completes once running jobs have finished. Aborting the handle drops every
/// running job at its current await point, as a crash would: their leases lapse and
/// another dispatcher resumes them from their checkpoints.
pub fn spawn_workers(
    state: AppState,
    config: WorkerConfig,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let runs = RunWorker::new(&state);
    tokio::spawn(async move {
        if config.workers == 0 {
            return;
        }
        let permits = Arc::new(Semaphore::new(config.workers));
        let mut running = JoinSet::new();
        let mut pruned_at: Option<tokio::time::Instant> = None;
        loop {
            while running.try_join_next().is_some() {}
            if *shutdown.borrow() {
                break;
            }
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let claimed = state
                .store
                .jobs()
                .claim_within(
                    &config.worker_id,
                    config.lease,
                    config.max_running_per_account,
                    state.clock.now(),
                )
                .await;
            match claimed {
                Ok(Some(job)) => {
                    let (state, runs, config) = (state.clone(), runs.clone(), config.clone());
                    let span = tracing::info_span!("job", job_id = %job.id, kind = ?job.kind, attempt = job.attempts);
                    running.spawn(
                        async move {
                            run_job(&state, &runs, &config, job).await;
                            drop(permit);
                        }
                        .instrument(span),
                    );
                    continue;
                }
                Ok(None) => {
                    drop(permit);
                    if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                        pruned_at = Some(tokio::time::Instant::now());
                        prune_succeeded(&state, &config).await;
                    }
                }
                Err(e) => {
                    drop(permit);
                    tracing::error!(error = %e, "claiming a job failed");
                }
            }
            tokio::select! {
                _ = state.job_signal.notified() => {}
                _ = tokio::time::sleep(config.poll) => {}
                _ = shutdown.changed() => {}
            }
        }
        while running.join_next().await.is_some() {}
    })
}

/// Deletes jobs that succeeded before the retention ([`WorkerConfig::keep_succeeded`]);
/// a failure is logged and tried again at the next idle hour.
async fn prune_succeeded(state: &AppState, config: &WorkerConfig) {
    let before = state.clock.now() - config.keep_succeeded;
    match state.store.jobs().prune_succeeded(before, PRUNE_MOST).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            deleted = n,
            "deleted jobs that succeeded before the retention"
        ),
        Err(e) => tracing::warn!(error = %e, "deleting old succeeded jobs failed"),
    }
}

/// Executes one claimed job while renewing its lease; records the outcome.
async fn run_job(state: &AppState, runs: &RunWorker, config: &WorkerConfig, job: Job) {
    let work = execute(state, runs, &job);
    let heartbeat = async {
        let lease = config.lease.to_std().unwrap_or(StdDuration::from_secs(30));
        let every = lease / 3;
        let mut renewed = std::time::Instant::now();
        loop {
            tokio::time::sleep(every).await;
            match state
                .store
                .jobs()
                .heartbeat(job.id, &config.worker_id, config.lease, state.clock.now())
                .await
            {
                Ok(true) => renewed = std::time::Instant::now(),
                Ok(false) => return,
                // Past the lease without a renewal another instance may already hold the
                // job: stop rather than run it twice at once.
                Err(e) if renewed.elapsed() + every >= lease => {
                    tracing::warn!(error = %e, "the job's lease could not be renewed in time; stopping it");
                    return;
                }
                Err(e) => tracing::warn!(error = %e, "renewing a job lease failed"),
            }
        }
    };
    let result = tokio::select! {
        r = work => r,
        () = heartbeat => {
            tracing::warn!("lost the job's lease; another worker has taken it over");
            return;
        }
    };
    let jobs = state.store.jobs();
    let now = state.clock.now();
    let error = result.as_ref().err().map(ToString::to_string);
    let outcome = match result {
        Ok(()) => jobs
            .succeed(job.id, &config.worker_id, now)
            .await
            .map(|()| JobStatus::Succeeded),
        Err(JobError::Busy(why)) => {
            // Why names what it waits for (a form delivery's email): debug only.
            tracing::info!("job postponed");
            tracing::debug!(%why, "job postponed");
            jobs.postpone(&job, &config.worker_id, now + BUSY_WAIT, None, now)
                .await
                .map(|()| JobStatus::Queued)
        }
        Err(JobError::Crm(e)) if e.is_allowance_used_up() => {
            // Form and note deliveries wait for the allowance without spending their
            // attempts: they would be dead long before it frees up. (A run stops instead.)
            tracing::warn!(kind = ?job.kind, "the CRM's API allowance is used up; the job waits for it");
            jobs.postpone(
                &job,
                &config.worker_id,
                now + ALLOWANCE_WAIT,
                error.as_deref(),
                now,
            )
            .await
            .map(|()| JobStatus::Queued)
        }
        Err(e) if e.is_retryable() => {
            let status = jobs
                .fail(
                    &job,
                    &config.worker_id,
                    &e.to_string(),
                    Some(now + retry_delay(job.attempts)),
                    now,
                )
                .await;
            if matches!(status, Ok(JobStatus::Dead)) {
                runs.give_up(&job, &e).await;
            }
            status
        }
        Err(e) => {
            jobs.fail(&job, &config.worker_id, &e.to_string(), None, now)
                .await
        }
    };
    match outcome {
        Ok(status) => {
            tracing::info!(?status, "job finished");
            crate::alerts::after_job(state, &job, status, error.as_deref()).await;
        }
        Err(e) => tracing::error!(error = %e, "recording the job's outcome failed"),
    }
    if job.kind == JobKind::Run {
        crate::alerts::after_run_job(state, &job).await;
        crate::conversions::exports::after_list_sync(state, &job).await;
    }
}

/// Hands a job to the module that executes its kind.
async fn execute(state: &AppState, runs: &RunWorker, job: &Job) -> Result<(), JobError> {
    match job.kind {
        JobKind::FormDelivery => crate::forms::run_delivery_job(state, job).await,
        JobKind::NoteDelivery => crate::notes::run_delivery_job(state, job).await,
        JobKind::InteractionDelivery => {
            crate::callers::interactions::run_delivery_job(state, job).await
        }
        JobKind::Alert => crate::alerts::run_delivery_job(state, job).await,
        JobKind::Run => runs.execute(job).await,
        JobKind::ConversionRun => crate::conversions::run_job(state, job).await,
    }
}
