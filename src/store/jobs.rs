//! The durable job queue: runs, form deliveries and note deliveries survive restarts
//! and are shared safely by several service instances.
//!
//! A worker claims one due job at a time with a lease ([`claim`] says how claims stay
//! exclusive and fair); it renews the lease while it works (heartbeat); a job whose
//! lease lapses (its process died) is claimed again by anyone and resumes from its own
//! checkpoint.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, OnConflict, Order, Query},
};
use serde::{Deserialize, Serialize};

use super::{AccountId, JobId, StoreError, entity::job};

mod claim;

/// What a job does; the worker dispatches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Execute an import or sync run (payload: `{"run_id": …}`).
    Run,
    /// Deliver a form submission to the CRM (payload: `{"submission_id": …}`).
    FormDelivery,
    /// Write a batch of "message sent" notes (payload: `{"batch_id": …}`).
    NoteDelivery,
    /// Write a batch of call notes (payload: `{"batch_id": …}`).
    InteractionDelivery,
    /// Send one alert to one channel (payload: `{"channel_id": …, "alert": …}`).
    Alert,
    /// Execute a conversion export run (payload: `{"run_id": …}`).
    ConversionRun,
}

impl JobKind {
    /// Every kind, so a report (the `/metrics` queue gauges) can name the empty ones too.
    pub const ALL: [JobKind; 6] = [
        JobKind::Run,
        JobKind::FormDelivery,
        JobKind::NoteDelivery,
        JobKind::InteractionDelivery,
        JobKind::Alert,
        JobKind::ConversionRun,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Run => "run",
            JobKind::FormDelivery => "form_delivery",
            JobKind::NoteDelivery => "note_delivery",
            JobKind::InteractionDelivery => "interaction_delivery",
            JobKind::Alert => "alert",
            JobKind::ConversionRun => "conversion_run",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// Where a job is in its life (also what the API's job listing filters by).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for a worker (or for `run_at`).
    Queued,
    /// Held by a worker's lease.
    Running,
    /// Finished.
    Succeeded,
    /// Failed and waiting to retry at `run_at`.
    Failed,
    /// Failed too often; kept with its last error until retried by hand.
    Dead,
}

impl JobStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Dead => "dead",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Dead,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// A job as the API and the workers see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Job {
    /// Job id.
    pub id: JobId,
    /// Owning account (not shown: the API only shows the caller its own jobs).
    #[serde(skip_serializing)]
    pub account_id: AccountId,
    /// What it does.
    pub kind: JobKind,
    /// Its input, e.g. `{"run_id": …}`.
    pub payload: serde_json::Value,
    /// `queued`, `running`, `succeeded`, `failed` (retrying at `run_at`) or `dead`.
    pub status: JobStatus,
    /// Attempts started.
    pub attempts: i32,
    /// Attempts allowed before it is dead.
    pub max_attempts: i32,
    /// Not before this instant (UTC).
    pub run_at: DateTime<Utc>,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// When it was queued (UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
}

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Id for the job.
    pub id: JobId,
    /// Owning account.
    pub account_id: AccountId,
    /// What it does.
    pub kind: JobKind,
    /// Its input.
    pub payload: serde_json::Value,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// Not before this instant.
    pub run_at: DateTime<Utc>,
    /// While the job is queued or running, no other job may have this key.
    pub dedupe_key: Option<String>,
}

fn to_job(row: job::Model) -> Result<Job, StoreError> {
    let corrupt = |message: &str| StoreError::Corrupt {
        table: "jobs",
        id: row.id.clone(),
        message: message.into(),
    };
    Ok(Job {
        id: JobId::from_db(&row.id).ok_or_else(|| corrupt("id is not a UUID"))?,
        account_id: AccountId::from_db(&row.account_id)
            .ok_or_else(|| corrupt("account_id is not a UUID"))?,
        kind: JobKind::parse(&row.kind).ok_or_else(|| corrupt("unknown kind"))?,
        payload: serde_json::from_str(&row.payload)
            .map_err(|e| corrupt(&format!("payload: {e}")))?,
        status: JobStatus::parse(&row.status).ok_or_else(|| corrupt("unknown status"))?,
        attempts: row.attempts,
        max_attempts: row.max_attempts,
        run_at: row.run_at,
        last_error: row.last_error.clone(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The row of a job queued at `now`.
fn queued_row(job: &NewJob, now: DateTime<Utc>) -> job::ActiveModel {
    job::ActiveModel {
        id: Set(job.id.as_db()),
        account_id: Set(job.account_id.as_db()),
        kind: Set(job.kind.as_str().into()),
        payload: Set(job.payload.to_string()),
        status: Set(JobStatus::Queued.as_str().into()),
        attempts: Set(0),
        max_attempts: Set(job.max_attempts),
        run_at: Set(job.run_at),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        last_error: Set(None),
        dedupe_key: Set(job.dedupe_key.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// Reads and writes `jobs`.
#[derive(Debug)]
pub struct JobRepo<'a, C = DatabaseConnection> {
    db: &'a C,
}

impl<'a, C: ConnectionTrait> JobRepo<'a, C> {
    /// The queue over a connection or a transaction (to queue a job atomically with
    /// the row it works on).
    pub fn on(db: &'a C) -> Self {
        JobRepo { db }
    }

    /// Queues a job. With a dedupe key already held by a live job, nothing is queued and
    /// that job's id is returned instead.
    pub async fn enqueue(&self, job: NewJob, now: DateTime<Utc>) -> Result<JobId, StoreError> {
        let row = queued_row(&job, now);
        // ON CONFLICT DO NOTHING rather than catching the unique violation: on
        // PostgreSQL an error aborts the caller's transaction (the lookup below and the
        // caller's commit would fail with it).
        let inserted = job::Entity::insert(row)
            .on_conflict(
                OnConflict::column(job::Column::DedupeKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(self.db)
            .await
            .map_err(|e| StoreError::from_write(e, String::new))?;
        if inserted > 0 {
            return Ok(job.id);
        }
        let key = job.dedupe_key.as_deref().unwrap_or_default();
        let existing = job::Entity::find()
            .filter(job::Column::DedupeKey.eq(key))
            .one(self.db)
            .await?;
        existing
            .and_then(|j| JobId::from_db(&j.id))
            .ok_or_else(|| StoreError::Duplicate {
                what: format!("job for {key}"),
            })
    }

    /// Queues jobs whose dedupe keys are new (a fresh submission's, say) in one
    /// statement, for callers that queue many at once. A key already held fails the
    /// statement with [`StoreError::Duplicate`] and queues none of them; on PostgreSQL the
    /// caller's transaction is then aborted, so the caller rolls back and queues them
    /// one by one with [`JobRepo::enqueue`].
    pub async fn enqueue_new(&self, jobs: &[NewJob], now: DateTime<Utc>) -> Result<(), StoreError> {
        if jobs.is_empty() {
            return Ok(());
        }
        job::Entity::insert_many(jobs.iter().map(|j| queued_row(j, now)))
            .exec_without_returning(self.db)
            .await
            .map_err(|e| StoreError::from_write(e, || "a job with the same dedupe key".into()))?;
        Ok(())
    }
}

impl<'a, C: ConnectionTrait> JobRepo<'a, C> {
    /// Extends the lease of a job this worker holds; false when the lease was lost.
    pub async fn heartbeat(
        &self,
        id: JobId,
        worker: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let res = job::Entity::update_many()
            .col_expr(job::Column::LeaseExpiresAt, Expr::value(now + lease))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(job::Column::Id.eq(id.as_db()))
            .filter(job::Column::LeaseOwner.eq(worker))
            .filter(job::Column::Status.eq(JobStatus::Running.as_str()))
            .exec(self.db)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Marks a held job done and frees its dedupe key.
    pub async fn succeed(
        &self,
        id: JobId,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.finish(id, worker, JobStatus::Succeeded, None, now, None)
            .await
    }

    /// Hands a held job back to wait until `until` without spending an attempt: it could
    /// not start yet (another run of its list is executing, the CRM's allowance is used
    /// up). A `reason` is kept as its last error, for whoever wonders why it waits.
    pub async fn postpone(
        &self,
        job: &Job,
        worker: &str,
        until: DateTime<Utc>,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut update = job::Entity::update_many();
        if let Some(reason) = reason {
            update = update.col_expr(job::Column::LastError, Expr::value(reason));
        }
        update
            .col_expr(job::Column::Status, Expr::value(JobStatus::Queued.as_str()))
            .col_expr(job::Column::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(
                job::Column::LeaseExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::RunAt, Expr::value(until))
            .col_expr(
                job::Column::Attempts,
                Expr::value(std::cmp::Ord::max(job.attempts.saturating_sub(1), 0)),
            )
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(job::Column::Id.eq(job.id.as_db()))
            .filter(job::Column::LeaseOwner.eq(worker))
            .exec(self.db)
            .await?;
        Ok(())
    }

    /// Records a failure: the job retries at `retry_at`, or is dead when it has no
    /// attempts left (or `retry_at` is `None`: a failure retrying cannot fix).
    pub async fn fail(
        &self,
        job: &Job,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<JobStatus, StoreError> {
        let status = match retry_at {
            Some(_) if job.attempts < job.max_attempts => JobStatus::Failed,
            _ => JobStatus::Dead,
        };
        self.finish(job.id, worker, status, Some(error), now, retry_at)
            .await?;
        Ok(status)
    }

    async fn finish(
        &self,
        id: JobId,
        worker: &str,
        status: JobStatus,
        error: Option<&str>,
        now: DateTime<Utc>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let mut update = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::value(status.as_str()))
            .col_expr(job::Column::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(
                job::Column::LeaseExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::UpdatedAt, Expr::value(now));
        if let Some(error) = error {
            update = update.col_expr(job::Column::LastError, Expr::value(error));
        }
        if status == JobStatus::Failed {
            if let Some(at) = retry_at {
                update = update.col_expr(job::Column::RunAt, Expr::value(at));
            }
        } else {
            // Finished or dead: the key is free for the next job of its kind.
            update = update.col_expr(job::Column::DedupeKey, Expr::value(Option::<String>::None));
        }
        update
            .filter(job::Column::Id.eq(id.as_db()))
            .filter(job::Column::LeaseOwner.eq(worker))
            .exec(self.db)
            .await?;
        Ok(())
    }

    /// An account's jobs, newest first, optionally of one status.
    pub async fn list(
        &self,
        account: AccountId,
        status: Option<JobStatus>,
        limit: u64,
    ) -> Result<Vec<Job>, StoreError> {
        let mut q = job::Entity::find().filter(job::Column::AccountId.eq(account.as_db()));
        if let Some(status) = status {
            q = q.filter(job::Column::Status.eq(status.as_str()));
        }
        q.order_by_desc(job::Column::CreatedAt)
            .limit(limit)
            .all(self.db)
            .await?
            .into_iter()
            .map(to_job)
            .collect()
    }

    /// One of an account's jobs.
    pub async fn get(&self, account: AccountId, id: JobId) -> Result<Option<Job>, StoreError> {
        job::Entity::find_by_id(id.as_db())
            .filter(job::Column::AccountId.eq(account.as_db()))
            .one(self.db)
            .await?
            .map(to_job)
            .transpose()
    }

    /// Puts a dead job back in the queue with fresh attempts; false when it is not dead.
    pub async fn retry_dead(
        &self,
        account: AccountId,
        id: JobId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let res = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::value(JobStatus::Queued.as_str()))
            .col_expr(job::Column::Attempts, Expr::value(0))
            .col_expr(job::Column::RunAt, Expr::value(now))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(job::Column::Id.eq(id.as_db()))
            .filter(job::Column::AccountId.eq(account.as_db()))
            .filter(job::Column::Status.eq(JobStatus::Dead.as_str()))
            .exec(self.db)
            .await?;
        Ok(res.rows_affected == 1)
    }
}

/// What a job works on, in terms a person knows, for the jobs page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobSubject {
    /// An import or sync run of a list.
    Run {
        /// The run (its page is `/runs/{id}`).
        run_id: String,
        /// `import` or `sync`.
        kind: String,
        /// A dry run writes nothing.
        dry_run: bool,
        /// A segment's push rather than the whole list's.
        segment: bool,
        /// The list.
        list_id: String,
        /// The list's name.
        list_name: String,
    },
    /// Delivering one form submission.
    Submission {
        /// The form.
        form_id: String,
        /// The form's name.
        form_name: String,
        /// The submission's email.
        email: String,
    },
    /// Writing a batch of "message sent" notes.
    NoteBatch {
        /// The campaign the batch belongs to.
        campaign_id: String,
    },
}

/// The text of a job payload's `key`.
fn payload_text<'j>(job: &'j Job, key: &str) -> Option<&'j str> {
    job.payload.get(key).and_then(|v| v.as_str())
}

/// The jobs of one kind waiting for a worker (queued, or failed and waiting to retry),
/// all accounts together: what `/metrics` reports as the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitingJobs {
    /// The kind.
    pub kind: JobKind,
    /// How many wait.
    pub count: i64,
    /// The earliest `run_at` among them: the oldest one's due time (it may lie ahead
    /// when every waiting job is a retry not yet due).
    pub oldest_run_at: Option<DateTime<Utc>>,
}

impl<C: ConnectionTrait> JobRepo<'_, C> {
    /// Deletes up to `most` jobs that succeeded before `before` (oldest due first);
    /// returns how many. Their work is done and recorded where it belongs (runs,
    /// submissions, note events); the queue keeps them a while only for its listing.
    /// Queued, running, failed and dead jobs are never pruned.
    pub async fn prune_succeeded(
        &self,
        before: DateTime<Utc>,
        most: u64,
    ) -> Result<u64, StoreError> {
        // Walks idx_jobs_claim (status, run_at): a job succeeds after it is due.
        let oldest = Query::select()
            .column(job::Column::Id)
            .from(job::Entity)
            .and_where(job::Column::Status.eq(JobStatus::Succeeded.as_str()))
            .and_where(job::Column::RunAt.lt(before))
            .and_where(job::Column::UpdatedAt.lt(before))
            .order_by(job::Column::RunAt, Order::Asc)
            .limit(most)
            .to_owned();
        let deleted = job::Entity::delete_many()
            .filter(job::Column::Id.in_subquery(oldest))
            .exec(self.db)
            .await?;
        Ok(deleted.rows_affected)
    }
}

impl<C: ConnectionTrait> JobRepo<'_, C> {
    /// The waiting jobs of every kind (each [`JobKind::ALL`] present, zero when none
    /// wait), in one grouped statement over all accounts.
    pub async fn waiting_by_kind(&self) -> Result<Vec<WaitingJobs>, StoreError> {
        let rows: Vec<(String, i64, Option<DateTime<Utc>>)> = job::Entity::find()
            .select_only()
            .column(job::Column::Kind)
            .column_as(job::Column::Id.count(), "n")
            .column_as(job::Column::RunAt.min(), "oldest")
            .filter(
                job::Column::Status.is_in([JobStatus::Queued.as_str(), JobStatus::Failed.as_str()]),
            )
            .group_by(job::Column::Kind)
            .into_tuple()
            .all(self.db)
            .await?;
        Ok(JobKind::ALL
            .into_iter()
            .map(|kind| {
                let row = rows.iter().find(|(k, _, _)| k == kind.as_str());
                WaitingJobs {
                    kind,
                    count: row.map_or(0, |(_, n, _)| *n),
                    oldest_run_at: row.and_then(|(_, _, oldest)| *oldest),
                }
            })
            .collect())
    }

    /// How many of an account's jobs are in each status, in one grouped statement.
    pub async fn counts(&self, account: AccountId) -> Result<Vec<(JobStatus, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = job::Entity::find()
            .select_only()
            .column(job::Column::Status)
            .column_as(job::Column::Id.count(), "n")
            .filter(job::Column::AccountId.eq(account.as_db()))
            .group_by(job::Column::Status)
            .into_tuple()
            .all(self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, n)| JobStatus::parse(&s).map(|s| (s, n)))
            .collect())
    }

    /// What each of these jobs of `account` works on, keyed by job id, in at most five
    /// statements whatever the number of jobs (runs and their lists, submissions and
    /// their forms, note batches). A job whose subject is gone is left out.
    pub async fn subjects(
        &self,
        account: AccountId,
        jobs: &[Job],
    ) -> Result<std::collections::HashMap<JobId, JobSubject>, StoreError> {
        use super::entity::{form, form_submission, list, run};
        use std::collections::HashMap;

        let ids_of = |kind: JobKind, key: &str| -> Vec<String> {
            let mut ids: Vec<String> = jobs
                .iter()
                .filter(|j| j.kind == kind)
                .filter_map(|j| payload_text(j, key).map(str::to_string))
                .collect();
            ids.sort();
            ids.dedup();
            ids
        };
        let account_db = account.as_db();

        let run_ids = ids_of(JobKind::Run, "run_id");
        let runs = if run_ids.is_empty() {
            Vec::new()
        } else {
            run::Entity::find()
                .filter(run::Column::AccountId.eq(account_db.clone()))
                .filter(run::Column::Id.is_in(run_ids))
                .all(self.db)
                .await?
        };
        let list_ids: Vec<String> = runs.iter().map(|r| r.list_id.clone()).collect();
        let list_names: HashMap<String, String> = if list_ids.is_empty() {
            HashMap::new()
        } else {
            list::Entity::find()
                .select_only()
                .column(list::Column::Id)
                .column(list::Column::Name)
                .filter(list::Column::AccountId.eq(account_db.clone()))
                .filter(list::Column::Id.is_in(list_ids))
                .into_tuple::<(String, String)>()
                .all(self.db)
                .await?
                .into_iter()
                .collect()
        };
        let runs: HashMap<String, JobSubject> = runs
            .into_iter()
            .map(|r| {
                let subject = JobSubject::Run {
                    run_id: r.id.clone(),
                    kind: r.kind,
                    dry_run: r.dry_run,
                    segment: r.segment_id.is_some(),
                    list_name: list_names.get(&r.list_id).cloned().unwrap_or_default(),
                    list_id: r.list_id,
                };
                (r.id, subject)
            })
            .collect();

        let submission_ids = ids_of(JobKind::FormDelivery, "submission_id");
        let submissions: Vec<(String, String, String)> = if submission_ids.is_empty() {
            Vec::new()
        } else {
            form_submission::Entity::find()
                .select_only()
                .column(form_submission::Column::Id)
                .column(form_submission::Column::FormId)
                .column(form_submission::Column::Email)
                .filter(form_submission::Column::AccountId.eq(account_db.clone()))
                .filter(form_submission::Column::Id.is_in(submission_ids))
                .into_tuple()
                .all(self.db)
                .await?
        };
        let form_ids: Vec<String> = submissions.iter().map(|s| s.1.clone()).collect();
        let form_names: HashMap<String, String> = if form_ids.is_empty() {
            HashMap::new()
        } else {
            form::Entity::find()
                .select_only()
                .column(form::Column::Id)
                .column(form::Column::Name)
                .filter(form::Column::AccountId.eq(account_db.clone()))
                .filter(form::Column::Id.is_in(form_ids))
                .into_tuple::<(String, String)>()
                .all(self.db)
                .await?
                .into_iter()
                .collect()
        };
        let submissions: HashMap<String, JobSubject> = submissions
            .into_iter()
            .map(|(id, form_id, email)| {
                let subject = JobSubject::Submission {
                    form_name: form_names.get(&form_id).cloned().unwrap_or_default(),
                    form_id,
                    email,
                };
                (id, subject)
            })
            .collect();

        let batch_ids = ids_of(JobKind::NoteDelivery, "batch_id");
        let batches: HashMap<String, String> = super::NoteEventRepo
            .campaigns_of_batches(self.db, account, &batch_ids)
            .await?
            .into_iter()
            .collect();

        let mut out = HashMap::new();
        for job in jobs {
            let subject = match job.kind {
                JobKind::Run => payload_text(job, "run_id")
                    .and_then(|id| runs.get(id))
                    .cloned(),
                JobKind::FormDelivery => payload_text(job, "submission_id")
                    .and_then(|id| submissions.get(id))
                    .cloned(),
                JobKind::NoteDelivery => payload_text(job, "batch_id")
                    .and_then(|id| batches.get(id))
                    .map(|campaign| JobSubject::NoteBatch {
                        campaign_id: campaign.clone(),
                    }),
                JobKind::InteractionDelivery | JobKind::Alert | JobKind::ConversionRun => None,
            };
            if let Some(subject) = subject {
                out.insert(job.id, subject);
            }
        }
        Ok(out)
    }
}
