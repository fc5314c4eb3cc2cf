//! Runs (imports and syncs); their per-record reports are in `run_records`.
//!
//! A run row is the durable state of one execution: status, phase, progress, counts and
//! a checkpoint the engine resumes from. `active_key` holds the list or segment id while
//! the run is queued or running; its unique index is what guarantees one active run per
//! list, across instances.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Alias, Expr, OnConflict, Order, Query, SelectStatement},
};
use serde::{Deserialize, Serialize};

use super::{
    AccountId, ConnectorId, ListId, RunId, SegmentId, StoreError,
    entity::{list, run},
};

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// Fill a new CRM list from the CRM.
    Import,
    /// Push and/or pull a list or segment.
    Sync,
}

/// Why a run started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunTrigger {
    /// Run Now, or an import request.
    Manual,
    /// A schedule slot.
    Schedule,
}

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Waiting for a worker.
    Queued,
    /// Being executed.
    Running,
    /// Finished; every record synced.
    Succeeded,
    /// Finished; some records failed or were rejected (see the run's records).
    CompletedWithErrors,
    /// Stopped by an error that affects the whole run (see `error`).
    Failed,
}

impl RunStatus {
    fn parse(raw: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(raw.to_string())).ok()
    }
    fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    }
    /// True while the run holds its list's active slot.
    pub fn is_active(self) -> bool {
        matches!(self, RunStatus::Queued | RunStatus::Running)
    }
}

/// What a run did, by outcome. Every record a run touches lands in exactly one bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RunCounts {
    /// Records read from the CRM.
    pub read: u64,
    /// Members added from CRM records (imports and pulls).
    pub pulled_new: u64,
    /// Members updated from CRM records.
    pub pulled_updated: u64,
    /// CRM leads created from members.
    pub pushed_new: u64,
    /// CRM records updated from members.
    pub pushed_updated: u64,
    /// Records or members that needed nothing.
    pub unchanged: u64,
    /// Fields changed on both sides, settled by the conflict rule.
    pub conflicts: u64,
    /// Records that failed (CRM rejection or transient failure after retries).
    pub failed: u64,
    /// CRM records with a missing or invalid email (not members).
    pub invalid: u64,
    /// CRM records that shared an email with another and lost.
    pub duplicates: u64,
    /// Members skipped because the CRM rejected them before and nothing changed since.
    pub parked: u64,
    /// Records the setup excluded (new records with add-new off), and members whose CRM
    /// record was deleted in the CRM.
    pub skipped: u64,
    /// Members whose newly added columns were filled from the CRM (*Add List Columns*).
    pub filled: u64,
    /// Members whose CRM record became another (a lead converted into a contact) and
    /// that now follow the new record.
    pub followed: u64,
}

/// A run as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Run {
    /// Run id.
    pub id: RunId,
    /// Owning account.
    pub account_id: AccountId,
    /// The list (for a segment: the segment's list).
    pub list_id: ListId,
    /// The segment, for segment pushes.
    pub segment_id: Option<SegmentId>,
    /// Import or sync.
    pub kind: RunKind,
    /// What started it.
    pub trigger: RunTrigger,
    /// A plan only: nothing was written.
    pub dry_run: bool,
    /// Where it is.
    pub status: RunStatus,
    /// The phase a running run is in.
    pub phase: String,
    /// Records processed.
    pub progress_done: i64,
    /// Records expected, when known.
    pub progress_total: Option<i64>,
    /// Outcome counts.
    pub counts: RunCounts,
    /// Times it resumed after an interruption (a crash or restart).
    pub resumes: i32,
    /// Why it failed.
    pub error: Option<String>,
    /// Why it failed as the error's fixed kind word (`auth` when the CRM refused the
    /// login, `unreachable`, `setup`…): what alerts act on, never its text. Internal.
    #[serde(skip)]
    pub failure_kind: Option<String>,
    /// The CRM connector the run used, once it opened one. Internal.
    #[serde(skip)]
    pub crm_connector_id: Option<ConnectorId>,
    /// Whether the CRM answered a logged-in request of the run (it got past the
    /// login): a run with nothing to read or write never asks. Internal.
    #[serde(skip)]
    pub crm_answered: bool,
    /// Queued at.
    pub created_at: DateTime<Utc>,
    /// First started at.
    pub started_at: Option<DateTime<Utc>>,
    /// Finished at.
    pub finished_at: Option<DateTime<Utc>>,
    /// Seconds from start to finish (or to now, while running).
    pub duration_seconds: Option<f64>,
    /// Resume position (engine-internal).
    #[serde(skip)]
    pub checkpoint: Option<serde_json::Value>,
}

/// A run to queue.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// Owning account.
    pub account_id: AccountId,
    /// The list.
    pub list_id: ListId,
    /// The segment, for segment pushes.
    pub segment_id: Option<SegmentId>,
    /// Import or sync.
    pub kind: RunKind,
    /// What started it.
    pub trigger: RunTrigger,
    /// Plan only.
    pub dry_run: bool,
}

fn parse_enum<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T, serde_json::Error> {
    serde_json::from_value(serde_json::Value::String(raw.into()))
}

fn to_run(row: run::Model, now: DateTime<Utc>) -> Result<Run, StoreError> {
    let corrupt = |m: &str| StoreError::Corrupt {
        table: "runs",
        id: row.id.clone(),
        message: m.into(),
    };
    let duration = row
        .started_at
        .map(|s| (row.finished_at.unwrap_or(now) - s).num_milliseconds() as f64 / 1000.0);
    Ok(Run {
        id: RunId::from_db(&row.id).ok_or_else(|| corrupt("id"))?,
        account_id: AccountId::from_db(&row.account_id).ok_or_else(|| corrupt("account_id"))?,
        list_id: ListId::from_db(&row.list_id).ok_or_else(|| corrupt("list_id"))?,
        segment_id: row.segment_id.as_deref().and_then(SegmentId::from_db),
        kind: parse_enum(&row.kind).map_err(|_| corrupt("kind"))?,
        trigger: parse_enum(&row.trigger).map_err(|_| corrupt("trigger"))?,
        dry_run: row.dry_run,
        status: RunStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        phase: row.phase.clone(),
        progress_done: row.progress_done,
        progress_total: row.progress_total,
        counts: serde_json::from_str(&row.counts).map_err(|_| corrupt("counts"))?,
        resumes: row.resumes,
        error: row.error.clone(),
        failure_kind: row.failure_kind.clone(),
        crm_connector_id: row
            .crm_connector_id
            .as_deref()
            .and_then(ConnectorId::from_db),
        crm_answered: row.crm_answered,
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
        duration_seconds: duration,
        checkpoint: row
            .checkpoint
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok()),
    })
}

/// The alias of `runs` inside a per-list pick, told apart from the `runs` it feeds.
fn picked_runs() -> Alias {
    Alias::new("r2")
}

/// The start of a per-list pick: the ids of the runs (aliased [`picked_runs`]) whose
/// `column` holds the id of the list the outer statement is at.
fn pick_by_list(column: run::Column) -> SelectStatement {
    Query::select()
        .column((picked_runs(), run::Column::Id))
        .from_as(run::Entity, picked_runs())
        .and_where(Expr::col((picked_runs(), column)).equals((list::Entity, list::Column::Id)))
        .to_owned()
}

/// The runs `pick` names, one at most per list of `account`, in one statement.
async fn one_per_list<C: ConnectionTrait>(
    db: &C,
    account: AccountId,
    pick: SelectStatement,
    now: DateTime<Utc>,
) -> Result<Vec<Run>, StoreError> {
    let per_list = Query::select()
        .expr(Expr::from(pick))
        .from(list::Entity)
        .and_where(Expr::col((list::Entity, list::Column::AccountId)).eq(account.as_db()))
        .to_owned();
    run::Entity::find()
        .filter(run::Column::Id.in_subquery(per_list))
        .all(db)
        .await?
        .into_iter()
        .map(|r| to_run(r, now))
        .collect()
}

/// The outcome of queuing a run: a new one, or the run already active for the target.
#[derive(Debug, Clone)]
pub enum Queued {
    /// A new run was queued.
    New(Run),
    /// A run for this list or segment was already queued or running.
    AlreadyActive(Run),
}

/// Reads and writes `runs` and `run_records`. Methods take any connection so the engine
/// can commit progress and member writes in one transaction.
#[derive(Debug, Default, Clone, Copy)]
pub struct RunRepo;

impl RunRepo {
    /// Queues a run with the id `id_if_new` unless one is active for the same list or
    /// segment.
    pub async fn queue<C: ConnectionTrait>(
        &self,
        db: &C,
        id_if_new: RunId,
        new: NewRun,
        now: DateTime<Utc>,
    ) -> Result<Queued, StoreError> {
        let active_key = new
            .segment_id
            .map_or_else(|| new.list_id.as_db(), |s| s.as_db());
        let id = id_if_new.as_db();
        let row = run::ActiveModel {
            id: Set(id.clone()),
            account_id: Set(new.account_id.as_db()),
            list_id: Set(new.list_id.as_db()),
            segment_id: Set(new.segment_id.map(|s| s.as_db())),
            kind: Set(if new.kind == RunKind::Import {
                "import"
            } else {
                "sync"
            }
            .into()),
            trigger: Set(if new.trigger == RunTrigger::Manual {
                "manual"
            } else {
                "schedule"
            }
            .into()),
            dry_run: Set(new.dry_run),
            status: Set(RunStatus::Queued.as_str()),
            phase: Set("queued".into()),
            active_key: Set(Some(active_key.clone())),
            running_key: Set(None),
            progress_done: Set(0),
            progress_total: Set(None),
            counts: Set(
                serde_json::to_string(&RunCounts::default()).unwrap_or_else(|_| "{}".into())
            ),
            checkpoint: Set(None),
            resumes: Set(0),
            error: Set(None),
            failure_kind: Set(None),
            crm_connector_id: Set(None),
            crm_answered: Set(false),
            created_at: Set(now),
            started_at: Set(None),
            finished_at: Set(None),
            updated_at: Set(now),
        };
        // ON CONFLICT DO NOTHING rather than catching the unique violation: on PostgreSQL
        // a violation aborts the caller's transaction, and the lookup below would fail.
        let inserted = run::Entity::insert(row)
            .on_conflict(
                OnConflict::column(run::Column::ActiveKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        if inserted == 1 {
            let run = run::Entity::find_by_id(id.clone())
                .one(db)
                .await?
                .ok_or_else(|| StoreError::Corrupt {
                    table: "runs",
                    id,
                    message: "vanished after insert".into(),
                })?;
            return Ok(Queued::New(to_run(run, now)?));
        }
        let active = run::Entity::find()
            .filter(run::Column::ActiveKey.eq(active_key.as_str()))
            .one(db)
            .await?;
        match active {
            Some(row) => Ok(Queued::AlreadyActive(to_run(row, now)?)),
            None => Err(StoreError::Duplicate {
                what: "an active run for this list".into(),
            }),
        }
    }

    /// A run of an account.
    pub async fn get<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        id: RunId,
        now: DateTime<Utc>,
    ) -> Result<Option<Run>, StoreError> {
        run::Entity::find_by_id(id.as_db())
            .filter(run::Column::AccountId.eq(account.as_db()))
            .one(db)
            .await?
            .map(|r| to_run(r, now))
            .transpose()
    }

    /// A run by id alone, for the worker executing it.
    pub async fn get_for_worker<C: ConnectionTrait>(
        &self,
        db: &C,
        id: RunId,
        now: DateTime<Utc>,
    ) -> Result<Option<Run>, StoreError> {
        run::Entity::find_by_id(id.as_db())
            .one(db)
            .await?
            .map(|r| to_run(r, now))
            .transpose()
    }

    /// The queued or running whole-list run of one list, if any (found by its indexed
    /// `active_key`), for the list page's progress.
    pub async fn active_for_list<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        list: ListId,
        now: DateTime<Utc>,
    ) -> Result<Option<Run>, StoreError> {
        run::Entity::find()
            .filter(run::Column::ActiveKey.eq(list.as_db()))
            .filter(run::Column::AccountId.eq(account.as_db()))
            .one(db)
            .await?
            .map(|r| to_run(r, now))
            .transpose()
    }

    /// The run history of a list (or of one segment), newest first.
    pub async fn history<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        list: ListId,
        segment: Option<SegmentId>,
        limit: u64,
        now: DateTime<Utc>,
    ) -> Result<Vec<Run>, StoreError> {
        let mut q = run::Entity::find()
            .filter(run::Column::AccountId.eq(account.as_db()))
            .filter(run::Column::ListId.eq(list.as_db()));
        q = match segment {
            Some(s) => q.filter(run::Column::SegmentId.eq(s.as_db())),
            None => q.filter(run::Column::SegmentId.is_null()),
        };
        q.order_by_desc(run::Column::CreatedAt)
            .limit(limit)
            .all(db)
            .await?
            .into_iter()
            .map(|r| to_run(r, now))
            .collect()
    }

    /// The latest ended run (import or sync, not a dry run, not a segment push) of each
    /// of an account's lists, in one statement for the lists table: per list, an indexed
    /// walk of its runs newest first (`idx_runs_list`) to the first one that ended, so
    /// the cost grows with the number of lists, not with their run history.
    pub async fn latest_ended_per_list<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Run>, StoreError> {
        let picked = picked_runs();
        let latest = pick_by_list(run::Column::ListId)
            .and_where(Expr::col((picked.clone(), run::Column::FinishedAt)).is_not_null())
            .and_where(Expr::col((picked.clone(), run::Column::SegmentId)).is_null())
            .and_where(Expr::col((picked.clone(), run::Column::DryRun)).eq(false))
            .order_by((picked, run::Column::CreatedAt), Order::Desc)
            .limit(1)
            .to_owned();
        one_per_list(db, account, latest, now).await
    }

    /// The queued or running whole-list run of each of an account's lists, in one
    /// statement: per list, a lookup of the run holding the list id as its `active_key`
    /// (unique, indexed); then those runs by primary key. (A plain `active_key IN (…)`
    /// lets SQLite's planner scan `runs` once it has statistics: most keys are NULL.)
    pub async fn active_per_list<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Run>, StoreError> {
        one_per_list(db, account, pick_by_list(run::Column::ActiveKey), now).await
    }

    /// Marks a run running; a run that had started before is counted as resumed. A run
    /// that already ended is returned as it is. [`StoreError::Duplicate`] while another
    /// run of the same list executes (one list's runs never execute at once).
    pub async fn start<C: ConnectionTrait>(
        &self,
        db: &C,
        id: RunId,
        now: DateTime<Utc>,
    ) -> Result<Option<Run>, StoreError> {
        let Some(row) = run::Entity::find_by_id(id.as_db()).one(db).await? else {
            return Ok(None);
        };
        if !RunStatus::parse(&row.status).is_some_and(RunStatus::is_active) {
            return self.get_for_worker(db, id, now).await;
        }
        let resumed = row.started_at.is_some();
        // Taking the list's running key fails while another run of the same list (its own
        // sync, a segment push, an import) executes: this one waits its turn.
        run::Entity::update_many()
            .col_expr(run::Column::RunningKey, Expr::value(row.list_id.as_str()))
            .filter(run::Column::Id.eq(id.as_db()))
            .exec(db)
            .await
            .map_err(|e| {
                StoreError::from_write(e, || format!("a running run of list {}", row.list_id))
            })?;
        run::Entity::update_many()
            .col_expr(
                run::Column::Status,
                Expr::value(RunStatus::Running.as_str()),
            )
            .col_expr(
                run::Column::StartedAt,
                Expr::value(row.started_at.unwrap_or(now)),
            )
            .col_expr(
                run::Column::Resumes,
                Expr::col(run::Column::Resumes).add(i32::from(resumed)),
            )
            .col_expr(run::Column::UpdatedAt, Expr::value(now))
            .filter(run::Column::Id.eq(id.as_db()))
            .exec(db)
            .await?;
        self.get_for_worker(db, id, now).await
    }

    /// Saves progress, counts and the resume point.
    pub async fn save_progress<C: ConnectionTrait>(
        &self,
        db: &C,
        id: RunId,
        progress: &Progress,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        run::Entity::update_many()
            .col_expr(run::Column::Phase, Expr::value(progress.phase.as_str()))
            .col_expr(run::Column::ProgressDone, Expr::value(progress.done))
            .col_expr(run::Column::ProgressTotal, Expr::value(progress.total))
            .col_expr(
                run::Column::Counts,
                Expr::value(serde_json::to_string(&progress.counts).unwrap_or_default()),
            )
            .col_expr(
                run::Column::Checkpoint,
                Expr::value(progress.checkpoint.to_string()),
            )
            .col_expr(run::Column::UpdatedAt, Expr::value(now))
            .filter(run::Column::Id.eq(id.as_db()))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Ends a run and frees its list's active slot.
    pub async fn finish<C: ConnectionTrait>(
        &self,
        db: &C,
        id: RunId,
        status: RunStatus,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.end(db, id, status, error, None, now).await
    }

    /// Records the CRM connector an execution of the run used and whether the CRM
    /// answered it (see `engine::contact`), for the connector's login alert.
    pub async fn record_crm_contact<C: ConnectionTrait>(
        &self,
        db: &C,
        id: RunId,
        connector: Option<ConnectorId>,
        answered: bool,
    ) -> Result<(), StoreError> {
        run::Entity::update_many()
            .col_expr(
                run::Column::CrmConnectorId,
                Expr::value(connector.map(|c| c.as_db())),
            )
            .col_expr(run::Column::CrmAnswered, Expr::value(answered))
            .filter(run::Column::Id.eq(id.as_db()))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Ends a run as failed with `error` (its words) and `kind` (the error's fixed kind
    /// word, e.g. `auth`), so what reacts to the failure reads a stored value.
    pub async fn fail<C: ConnectionTrait>(
        &self,
        db: &C,
        id: RunId,
        error: &str,
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.end(db, id, RunStatus::Failed, Some(error), Some(kind), now)
            .await
    }

    async fn end<C: ConnectionTrait>(
        &self,
        db: &C,
        id: RunId,
        status: RunStatus,
        error: Option<&str>,
        kind: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        run::Entity::update_many()
            .col_expr(run::Column::Status, Expr::value(status.as_str()))
            .col_expr(run::Column::Phase, Expr::value("done"))
            .col_expr(run::Column::ActiveKey, Expr::value(Option::<String>::None))
            .col_expr(run::Column::RunningKey, Expr::value(Option::<String>::None))
            .col_expr(run::Column::Error, Expr::value(error.map(String::from)))
            .col_expr(
                run::Column::FailureKind,
                Expr::value(kind.map(String::from)),
            )
            .col_expr(run::Column::FinishedAt, Expr::value(now))
            .col_expr(run::Column::UpdatedAt, Expr::value(now))
            .filter(run::Column::Id.eq(id.as_db()))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Puts a failed run back in the queue because its dead job is retried by hand: it
    /// takes its list's (or segment's) active slot again and resumes from its checkpoint.
    /// False when the run is not failed; `Duplicate` when another run is active for the
    /// same list or segment.
    pub async fn reopen_failed<C: ConnectionTrait>(
        &self,
        db: &C,
        id: RunId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let Some(row) = run::Entity::find_by_id(id.as_db()).one(db).await? else {
            return Ok(false);
        };
        let key = row
            .segment_id
            .clone()
            .unwrap_or_else(|| row.list_id.clone());
        let res = run::Entity::update_many()
            .col_expr(run::Column::Status, Expr::value(RunStatus::Queued.as_str()))
            .col_expr(run::Column::Phase, Expr::value("queued"))
            .col_expr(run::Column::ActiveKey, Expr::value(Some(key)))
            .col_expr(run::Column::Error, Expr::value(Option::<String>::None))
            .col_expr(
                run::Column::FailureKind,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                run::Column::FinishedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(run::Column::UpdatedAt, Expr::value(now))
            .filter(run::Column::Id.eq(id.as_db()))
            .filter(run::Column::Status.eq(RunStatus::Failed.as_str()))
            .exec(db)
            .await
            .map_err(|e| StoreError::from_write(e, || "an active run for this list".into()))?;
        Ok(res.rows_affected == 1)
    }
}

/// The progress a run saves with each committed page.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// The phase it is in.
    pub phase: String,
    /// Records processed.
    pub done: i64,
    /// Records expected.
    pub total: Option<i64>,
    /// Counts so far.
    pub counts: RunCounts,
    /// Where to resume.
    pub checkpoint: serde_json::Value,
}
