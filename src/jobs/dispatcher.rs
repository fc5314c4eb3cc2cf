//! The claim loop and the per-job task with its lease heartbeat.

use std::{sync::Arc, time::Duration as StdDuration};

use async_trait::async_trait;
use chrono::Duration;
use listbridge_connector::CrmConnector;
use tokio::{
    sync::{Semaphore, watch},
    task::{JoinHandle, JoinSet},
};
use tracing::Instrument;

use super::backoff::retry_delay;
use crate::{
    AppState,
    engine::{ConnectorSource, Engine, EngineError},
    store::{AccountId, ConnectorId, Job, JobKind, JobStatus, RunId},
};

/// How long a job waits before trying again while another job holds what it needs (a
/// run of the same list, a delivery for the same email).
const BUSY_WAIT: Duration = Duration::seconds(2);

/// How the workers behave.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs executed at once by this instance; 0 runs no background work (an API-only instance).
    pub workers: usize,
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
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            workers: 4,
            lease: Duration::seconds(30),
            poll: StdDuration::from_millis(500),
            worker_id: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            email_lock_lease: Duration::minutes(2),
        }
    }
}

/// Lets the engine open connectors through the application's connector service.
struct StateConnectors(AppState);

#[async_trait]
impl ConnectorSource for StateConnectors {
    async fn open(
        &self,
        account: AccountId,
        connector: ConnectorId,
    ) -> Result<Arc<dyn CrmConnector>, EngineError> {
        self.0
            .connectors()
            .open(account, connector)
            .await
            .map_err(|e| EngineError::Setup(e.to_string()))
    }
}

/// Starts the dispatcher; it stops claiming when `shutdown` turns true and the returned
/// handle completes once running jobs have finished. Aborting the handle drops every
/// running job at its current await point, as a crash would: their leases lapse and
/// another dispatcher resumes them from their checkpoints.
pub fn spawn_workers(
    state: AppState,
    config: WorkerConfig,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let engine = Engine::new(
        state.store.clone(),
        state.clock.clone(),
        Arc::new(StateConnectors(state.clone())),
    );
    tokio::spawn(async move {
        if config.workers == 0 {
            return;
        }
        let permits = Arc::new(Semaphore::new(config.workers));
        let mut running = JoinSet::new();
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
                .claim(&config.worker_id, config.lease, state.clock.now())
                .await;
            match claimed {
                Ok(Some(job)) => {
                    let (state, engine, config) = (state.clone(), engine.clone(), config.clone());
                    let span = tracing::info_span!("job", job_id = %job.id, kind = ?job.kind, attempt = job.attempts);
                    running.spawn(
                        async move {
                            run_job(&state, &engine, &config, job).await;
                            drop(permit);
                        }
                        .instrument(span),
                    );
                    continue;
                }
                Ok(None) => drop(permit),
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

/// Executes one claimed job while renewing its lease; records the outcome.
async fn run_job(state: &AppState, engine: &Engine, config: &WorkerConfig, job: Job) {
    let work = execute(state, engine, &job);
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
    let outcome = match result {
        Ok(()) => jobs
            .succeed(job.id, &config.worker_id, now)
            .await
            .map(|()| JobStatus::Succeeded),
        Err(EngineError::Busy(why)) => {
            tracing::info!(%why, "job postponed");
            jobs.postpone(&job, &config.worker_id, now + BUSY_WAIT, now)
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
            if matches!(status, Ok(JobStatus::Dead))
                && let Some(run) = run_id(&job)
                && let Err(err) = engine
                    .fail_run_by_id(
                        run,
                        &format!("gave up after {} attempts: {e}", job.attempts),
                    )
                    .await
            {
                tracing::error!(error = %err, "recording the failed run failed");
            }
            status
        }
        Err(e) => {
            jobs.fail(&job, &config.worker_id, &e.to_string(), None, now)
                .await
        }
    };
    match outcome {
        Ok(status) => tracing::info!(?status, "job finished"),
        Err(e) => tracing::error!(error = %e, "recording the job's outcome failed"),
    }
}

fn run_id(job: &Job) -> Option<RunId> {
    job.payload
        .get("run_id")
        .and_then(|v| v.as_str())
        .and_then(RunId::from_db)
}

async fn execute(state: &AppState, engine: &Engine, job: &Job) -> Result<(), EngineError> {
    match job.kind {
        JobKind::FormDelivery => crate::forms::run_delivery_job(state, job).await,
        JobKind::NoteDelivery => crate::notes::run_delivery_job(state, job).await,
        JobKind::Run => {
            let id = run_id(job)
                .ok_or_else(|| EngineError::Setup(format!("job {} has no run id", job.id)))?;
            engine.execute(id).await.map(|_| ())
        }
    }
}
