//! The sync engine: imports, pulls and pushes, executed as durable runs.
//!
//! The engine knows CRMs only through the `CrmConnector` trait and storage only through
//! the repositories. Every run works page by page: it reads a page (from the CRM or the
//! list), plans what to change, applies the plan, and commits the page's member writes,
//! report records, progress and resume point in one transaction. A run interrupted at
//! any point resumes from its last committed page; a CRM create whose answer was lost is
//! found again by email before anything is created twice. Every run keeps to a page cap
//! and a time cap ([`RunLimits`]); one that reaches either fails with that reason.

mod backfill;
mod conflicts;
mod consent;
mod contact;
mod crm_read;
pub mod field_map;
pub mod fields;
mod import;
mod limits;
pub mod matching;
mod moved;
mod phase;
mod pull;
mod push;
mod read_ahead;
pub mod report;
pub mod setup;
#[cfg(test)]
pub(crate) mod test_vocabulary;
pub mod validate;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;
use listbridge_connector::{ConnectorError, CrmConnector, EntityKind, Vocabulary};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::{
    clock::{Clock, Random},
    store::{
        AccountId, ConnectorId, FieldUsageRepo, List, ListColumn, ListKind, ListRepo, ListStatus,
        Progress, Run, RunCounts, RunId, RunKind, RunRepo, RunStatus, ScratchRepo, SegmentRepo,
        Store, StoreError,
    },
};

use contact::CrmContact;
pub use limits::{LimitReached, RunLimits};
use phase::{Phase, PushStage};
pub use setup::SyncSetup;

/// Gives the engine a live connector for a stored connector id.
#[async_trait]
pub trait ConnectorSource: Send + Sync {
    /// Opens the account's connector, or says why it cannot be used (reset, missing).
    async fn open(
        &self,
        account: AccountId,
        connector: ConnectorId,
    ) -> Result<Arc<dyn CrmConnector>, EngineError>;
}

/// Why a run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The CRM failed; transient failures are retried by the job queue.
    #[error("{0}")]
    Connector(#[from] ConnectorError),
    /// The database failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The run cannot proceed until the marketer changes something; the message says what.
    #[error("{0}")]
    Setup(String),
    /// Another job holds what this one needs (a run of the same list, a delivery for the
    /// same email); this one waits its turn (it costs no attempt).
    #[error("{0}")]
    Busy(String),
    /// The run reached its page or time cap; it ends failed, what it committed stays.
    #[error("{0}")]
    Limit(#[from] LimitReached),
}

impl EngineError {
    /// The failure as a short fixed word (`setup`, or the connector's kind such as
    /// `rejected`), for logs at info and above: the messages may carry the CRM's own
    /// words or a list's name, so they are logged at debug only.
    pub fn kind(&self) -> &'static str {
        match self {
            EngineError::Connector(e) => e.kind(),
            EngineError::Store(_) => "store",
            EngineError::Setup(_) => "setup",
            EngineError::Busy(_) => "busy",
            EngineError::Limit(LimitReached::Pages { .. }) => "page-cap",
            EngineError::Limit(LimitReached::Time { .. }) => "time-cap",
        }
    }

    /// Whether trying the run again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            EngineError::Connector(e) => e.is_transient(),
            EngineError::Store(_) | EngineError::Busy(_) => true,
            EngineError::Setup(_) | EngineError::Limit(_) => false,
        }
    }
}

/// Where a run resumes: saved with each committed page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Checkpoint {
    /// The phase in progress.
    pub phase: Phase,
    /// Pull/import: the position of the last committed record.
    pub cursor: Option<listbridge_connector::Watermark>,
    /// Push: the last member id committed.
    pub push_after: Option<String>,
    /// Push: with `push_after`, the change number of the last member committed while
    /// scanning changed members.
    pub push_after_seq: Option<i64>,
    /// Push: which scan is in progress.
    pub push_stage: PushStage,
    /// Push: members changed after this change number are looked at (the number the
    /// last complete push covered, or 0 when the setup changed since).
    pub push_since: i64,
    /// Push: the list's change number when the push began; what it covers when it ends.
    pub push_upto: i64,
    /// Records processed.
    pub done: i64,
    /// Records expected.
    pub total: Option<i64>,
    /// Counts so far.
    pub counts: RunCounts,
    /// Next report sequence number.
    pub seq: i64,
    /// When this run's read of CRM records began (kept across resumes: the earliest).
    pub read_began: Option<chrono::DateTime<chrono::Utc>>,
    /// Pages (CRM pages read, list pages pushed) the run has worked through, for its
    /// page cap.
    pub pages: u64,
}

impl Checkpoint {
    fn from_run(run: &Run) -> Self {
        run.checkpoint
            .clone()
            .and_then(|c| serde_json::from_value(c).ok())
            .unwrap_or_default()
    }

    /// Records a committed page of `ctx`'s run: `processed` more records, the report's
    /// counts and pending records, and this checkpoint, all in the page's transaction.
    async fn save_page<C: sea_orm::ConnectionTrait>(
        &mut self,
        tx: &C,
        ctx: &RunContext<'_>,
        report: &mut report::Report,
        processed: usize,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), EngineError> {
        self.done += i64::try_from(processed).unwrap_or(i64::MAX);
        self.counts = report.counts.clone();
        self.seq = report.next_seq;
        let run = ctx.run.id;
        RunRepo
            .add_records(tx, run, &report.take_pending(), ctx.ids(), now)
            .await?;
        RunRepo
            .save_progress(tx, run, &self.progress(), now)
            .await?;
        Ok(())
    }

    fn progress(&self) -> Progress {
        Progress {
            phase: self.phase.as_str().to_string(),
            done: self.done,
            total: self.total,
            counts: self.counts.clone(),
            checkpoint: serde_json::to_value(self).unwrap_or_default(),
        }
    }
}

/// How far back an incremental pull starts before the saved watermark, so records
/// committed in the CRM with a slightly earlier timestamp are not missed.
pub const PULL_OVERLAP: Duration = Duration::seconds(2);

/// How far this service's clock may differ from the CRM's before skipping the pull
/// overlap becomes unsafe; see [`pull`].
pub const CLOCK_MARGIN: Duration = Duration::seconds(60);

/// Executes runs.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    connectors: Arc<dyn ConnectorSource>,
    limits: RunLimits,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine over a store, a clock, the source of the ids of the rows it creates
    /// (members, report records), a way to open connectors and the caps every run
    /// keeps to.
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        connectors: Arc<dyn ConnectorSource>,
        limits: RunLimits,
    ) -> Self {
        Engine {
            store,
            clock,
            random,
            connectors,
            limits,
        }
    }

    /// Executes (or resumes) a run to its end. A retryable error leaves the run active
    /// with its checkpoint, for the job queue to try again; any other ends it as failed.
    pub async fn execute(&self, id: RunId) -> Result<Run, EngineError> {
        let db = self.store.conn();
        let now = self.clock.now();
        let run = match RunRepo.start(db, id, now).await {
            Ok(Some(run)) => run,
            Ok(None) => return Err(EngineError::Setup(format!("run {id} does not exist"))),
            Err(StoreError::Duplicate { .. }) => {
                return Err(EngineError::Busy(format!(
                    "run {id} waits: another run of its list is in progress"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        if !run.status.is_active() {
            return Ok(run);
        }
        if run.resumes == 0 {
            crate::metrics::record::run_started(&run);
        }
        let span = tracing::info_span!("run", run_id = %id, list_id = %run.list_id, kind = ?run.kind, resumes = run.resumes);
        let contact = CrmContact::default();
        let result = self.execute_bounded(&run, &contact).instrument(span).await;
        let now = self.clock.now();
        if !matches!(&result, Err(e) if e.is_retryable()) {
            RunRepo
                .record_crm_contact(db, id, contact.connector(), contact.answered())
                .await?;
        }
        match result {
            Ok(report_failed) => {
                let status = if report_failed {
                    RunStatus::CompletedWithErrors
                } else {
                    RunStatus::Succeeded
                };
                RunRepo.finish(db, id, status, None, now).await?;
            }
            Err(e) if e.is_retryable() => {
                tracing::warn!(run_id = %id, kind = e.kind(), "run interrupted; it will resume");
                tracing::debug!(run_id = %id, error = %e, "run interrupted");
                return Err(e);
            }
            Err(e) => {
                tracing::warn!(run_id = %id, kind = e.kind(), "run failed");
                tracing::debug!(run_id = %id, error = %e, "run failed");
                self.fail_run(&run, &e.to_string(), e.kind()).await?;
            }
        }
        let ended = RunRepo
            .get_for_worker(db, id, self.clock.now())
            .await?
            .ok_or_else(|| EngineError::Setup(format!("run {id} vanished")))?;
        crate::metrics::record::run_finished(&ended);
        Ok(ended)
    }

    /// Ends a run as failed (also when its job gave up after retries), with the
    /// error's words and its fixed kind word ([`EngineError::kind`]), which alerts read.
    pub async fn fail_run(&self, run: &Run, error: &str, kind: &str) -> Result<(), EngineError> {
        let db = self.store.conn();
        let now = self.clock.now();
        RunRepo.fail(db, run.id, error, kind, now).await?;
        if run.dry_run {
            ScratchRepo.clear(db, run.id).await?;
        }
        if run.kind == RunKind::Import {
            ListRepo
                .set_status(db, run.list_id, ListStatus::Failed, now)
                .await?;
        }
        Ok(())
    }

    /// Ends a run by id as failed, if it is still active (see [`Engine::fail_run`]).
    pub async fn fail_run_by_id(
        &self,
        id: RunId,
        error: &str,
        kind: &str,
    ) -> Result<(), EngineError> {
        if let Some(run) = RunRepo
            .get_for_worker(self.store.conn(), id, self.clock.now())
            .await?
            && run.status.is_active()
        {
            self.fail_run(&run, error, kind).await?;
            crate::metrics::record::run_finished(&Run {
                status: RunStatus::Failed,
                ..run
            });
        }
        Ok(())
    }

    /// [`Engine::execute_started`] within the run's time cap: checked before anything
    /// is done (a run resumed after long waits), at every page (deterministic, by the
    /// clock), and as a backstop on the whole execution, so a call that never returns
    /// cannot hold the worker past the cap either. Cutting the execution short is a
    /// crash at an await point: the open page's transaction rolls back, committed pages
    /// stay.
    async fn execute_bounded(&self, run: &Run, contact: &CrmContact) -> Result<bool, EngineError> {
        let now = self.clock.now();
        let started = run.started_at.unwrap_or(now);
        let Some(left) = self.limits.time_left(started, now) else {
            return Err(LimitReached::Time {
                limit: self.limits.max_duration,
            }
            .into());
        };
        match tokio::time::timeout(left, self.execute_started(run, contact)).await {
            Ok(result) => result,
            Err(_) => Err(LimitReached::Time {
                limit: self.limits.max_duration,
            }
            .into()),
        }
    }

    /// Returns whether any record failed; `contact` learns whether the CRM answered.
    async fn execute_started(&self, run: &Run, contact: &CrmContact) -> Result<bool, EngineError> {
        let db = self.store.conn();
        let list = ListRepo
            .get(db, run.account_id, run.list_id)
            .await?
            .ok_or_else(|| EngineError::Setup("the list was deleted".into()))?;
        let ctx = RunContext {
            engine: self,
            run,
            list: &list,
            contact,
        };
        let report = match run.kind {
            RunKind::Import => import::import(&ctx).await?,
            RunKind::Sync => {
                let segment = match run.segment_id {
                    Some(s) => Some(
                        SegmentRepo
                            .get(db, run.account_id, s)
                            .await?
                            .ok_or_else(|| EngineError::Setup("the segment was deleted".into()))?,
                    ),
                    None => None,
                };
                let setup_json = segment
                    .as_ref()
                    .map_or(list.sync_setup.clone(), |s| s.sync_setup.clone());
                let setup: SyncSetup = setup_json
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| {
                        EngineError::Setup(format!("the saved sync setup cannot be read: {e}"))
                    })?
                    .ok_or_else(|| {
                        EngineError::Setup(format!(
                            "list '{}' has no sync setup: save one first",
                            list.name
                        ))
                    })?;
                let mut cp = Checkpoint::from_run(run);
                let crm_list = segment.is_none() && list.kind != ListKind::Uploaded;
                if crm_list && !run.dry_run && cp.phase.reaches(Phase::Backfill) {
                    backfill::backfill(&ctx, &mut cp).await?;
                }
                // An uploaded list's members are linked by its pushes: they follow too.
                let follows = crm_list || (segment.is_none() && setup.push.enabled);
                if follows && !run.dry_run && cp.phase.reaches(Phase::Pull) {
                    moved::follow(&ctx, &mut cp).await?;
                }
                let pulls = setup.pull.enabled && crm_list;
                if pulls && cp.phase.reaches(Phase::Pull) {
                    pull::pull(&ctx, &setup, &mut cp).await?;
                }
                if setup.push.enabled {
                    push::push(&ctx, &setup, segment.as_ref(), &mut cp).await?;
                }
                if run.dry_run {
                    ScratchRepo.clear(db, run.id).await?;
                } else {
                    ListRepo.mark_synced(db, list.id, self.clock.now()).await?;
                }
                cp.counts
            }
        };
        Ok(report.failed > 0)
    }
}

/// What every phase of one run needs.
pub(crate) struct RunContext<'a> {
    engine: &'a Engine,
    run: &'a Run,
    list: &'a List,
    /// Whether the CRM answered, through which connector (for the login alert).
    contact: &'a CrmContact,
}

impl RunContext<'_> {
    async fn connector(&self) -> Result<Arc<dyn CrmConnector>, EngineError> {
        let id = self.list.connector_id.ok_or_else(|| {
            EngineError::Setup(format!(
                "list '{}' is not linked to a CRM connector",
                self.list.name
            ))
        })?;
        let connector = self.engine.connectors.open(self.run.account_id, id).await?;
        Ok(self.contact.watch(id, connector))
    }

    /// The CRM connector a push uses: the list's own, the one an uploaded list's setup
    /// chose, or the account's only one.
    async fn push_connector(&self) -> Result<Arc<dyn CrmConnector>, EngineError> {
        if self.list.connector_id.is_some() {
            return self.connector().await;
        }
        let found = self
            .engine
            .store
            .connectors()
            .of_list(self.run.account_id, self.list)
            .await?;
        if let Some(reason) = found.missing_reason(self.list) {
            return Err(EngineError::Setup(reason));
        }
        let Some(record) = found.found() else {
            return Err(EngineError::Setup(format!(
                "list '{}' has no CRM to push to",
                self.list.name
            )));
        };
        let connector = self
            .engine
            .connectors
            .open(self.run.account_id, record.id)
            .await?;
        Ok(self.contact.watch(record.id, connector))
    }

    fn entity(&self) -> EntityKind {
        self.list.entity.unwrap_or(EntityKind::Lead)
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.engine.clock.now()
    }

    /// CRM pages worth reading ahead of `cp`: none past the one that reaches the page
    /// cap (the CRM's request budget is the account's).
    fn pages_worth_reading(&self, cp: &Checkpoint) -> u64 {
        self.engine.limits.pages_worth_reading(cp.pages)
    }

    /// Counts one more page of work in `cp`, or fails when the run has reached its page
    /// or time cap (see [`limits`]).
    fn begin_page(&self, cp: &mut Checkpoint) -> Result<(), LimitReached> {
        let now = self.now();
        let started = self.run.started_at.unwrap_or(now);
        self.engine.limits.check_page(cp.pages, started, now)?;
        cp.pages += 1;
        Ok(())
    }

    /// Where the ids of the members and report records the run creates come from.
    fn ids(&self) -> &dyn Random {
        self.engine.random.as_ref()
    }

    fn store(&self) -> &Store {
        &self.engine.store
    }

    /// The list's columns and how they reach CRM fields (through the account's field
    /// usages and the CRM's `vocab` for uploaded lists), as pulls and pushes read them
    /// when they start.
    async fn field_map(
        &self,
        vocab: &dyn Vocabulary,
    ) -> Result<(Vec<ListColumn>, field_map::FieldMap), EngineError> {
        let db = self.store().conn();
        let columns = ListRepo.columns(db, self.list.id).await?;
        let usages = FieldUsageRepo.all(db, self.run.account_id).await?;
        let map = field_map::FieldMap::build(&columns, &usages, vocab, self.entity());
        Ok((columns, map))
    }
}
