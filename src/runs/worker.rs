//! Executing run jobs: the bridge between the job queue and the engine. The dispatcher
//! hands a claimed run job here; the engine runs it with connectors opened through the
//! application's connector service, and its failures are reported as [`JobError`]s.

use std::sync::Arc;

use async_trait::async_trait;
use listbridge_connector::CrmConnector;

use super::job::run_of_job;
use crate::{
    AppState,
    engine::{ConnectorSource, Engine, EngineError},
    jobs::JobError,
    store::{AccountId, ConnectorId, Job},
};

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

/// Executes the run jobs a dispatcher claims; one per dispatcher, cloned into each job.
#[derive(Clone)]
pub struct RunWorker {
    engine: Engine,
}

impl RunWorker {
    /// A worker running the engine over the application's store, clock and connectors,
    /// within the application's run caps.
    pub fn new(state: &AppState) -> Self {
        RunWorker {
            engine: Engine::new(
                state.store.clone(),
                state.clock.clone(),
                state.random.clone(),
                Arc::new(StateConnectors(state.clone())),
                state.run_limits,
            ),
        }
    }

    /// Executes the run of a claimed run job (from its checkpoint, if it had started).
    pub async fn execute(&self, job: &Job) -> Result<(), JobError> {
        let run = run_of_job(job)
            .ok_or_else(|| JobError::Fatal(format!("job {} has no run id", job.id)))?;
        self.engine
            .execute(run)
            .await
            .map(|_| ())
            .map_err(job_error)
    }

    /// Records the run of a job that has used up its attempts as failed with `why`, so
    /// it frees its list instead of staying "running" for ever. Nothing for other jobs.
    pub async fn give_up(&self, job: &Job, why: &JobError) {
        let Some(run) = run_of_job(job) else {
            return;
        };
        let reason = format!("gave up after {} attempts: {why}", job.attempts);
        let kind = match why {
            JobError::Crm(e) => e.kind(),
            JobError::Store(_) => "store",
            JobError::Busy(_) => "busy",
            JobError::Fatal(_) => "setup",
        };
        if let Err(err) = self.engine.fail_run_by_id(run, &reason, kind).await {
            tracing::error!(error = %err, "recording the failed run failed");
        }
    }
}

/// The engine's failure in the job queue's terms (same classes, same words).
fn job_error(err: EngineError) -> JobError {
    match err {
        EngineError::Connector(e) => JobError::Crm(e),
        EngineError::Store(e) => JobError::Store(e),
        EngineError::Setup(message) => JobError::Fatal(message),
        EngineError::Limit(reached) => JobError::Fatal(reached.to_string()),
        EngineError::Busy(why) => JobError::Busy(why),
    }
}
