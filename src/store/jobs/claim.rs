//! A worker claims one due job at a time with a lease. On PostgreSQL the claim selects
//! with `FOR UPDATE SKIP LOCKED`, so concurrent instances never take the same row; on
//! SQLite the single writer makes the claiming `UPDATE … RETURNING` atomic. A worker
//! renews its lease while it works (heartbeat); a job whose lease lapses (its process
//! died) is claimed again by anyone and resumes from its own checkpoint.
//!
//! Claims are fair between accounts: [`JobRepo::claim_within`] skips the run jobs (sync
//! and import runs, which may take hours) of an account that already has N of them
//! running (leased, unexpired), so one account's many runs cannot hold every worker
//! while other accounts' runs wait. Form and note deliveries are short and are not
//! capped: an account's own deliveries never wait behind its long imports, nor do they
//! use up its share of runs.
//! On PostgreSQL such claims take turns on a transaction-scoped advisory lock: the count
//! of an account's running run jobs and the claim are then never read from a snapshot that
//! misses another instance's claim, so the cap holds exactly, also under concurrency
//! (without it, two claimers could each see N-1 running and both claim). A claim is one
//! short statement, so taking turns costs little. On SQLite the single writer already
//! serializes claims.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ConnectionTrait, DbBackend, EntityTrait, ExprTrait, Order, QueryFilter, Statement,
    TransactionSession, TransactionTrait,
    sea_query::{Alias, Expr, LockBehavior, LockType, Query, UnionType},
};

use super::{Job, JobKind, JobRepo, JobStatus, to_job};
use crate::store::{StoreError, entity::job};

impl<'a, C: ConnectionTrait> JobRepo<'a, C> {
    /// Claims the next due job for `worker`, or a running job whose lease has lapsed,
    /// whatever its account already runs. The dispatcher claims with
    /// [`JobRepo::claim_within`]; this is for tools and tests that play the worker.
    pub async fn claim(
        &self,
        worker: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<Job>, StoreError> {
        claim_on(self.db, worker, lease, None, now).await
    }
}

impl<'a, C: ConnectionTrait + TransactionTrait> JobRepo<'a, C> {
    /// Claims the next due job (or a running job whose lease has lapsed), oldest first,
    /// skipping the run jobs of an account with `max_running_per_account` run jobs
    /// running (leased, unexpired), so one account's backlog of runs waits while the
    /// other accounts' runs go on. Deliveries (forms, notes) are claimed whatever their
    /// account runs: they are short, and must not wait behind its imports.
    pub async fn claim_within(
        &self,
        worker: &str,
        lease: Duration,
        max_running_per_account: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<Job>, StoreError> {
        let cap = Some(std::cmp::Ord::max(max_running_per_account, 1));
        if self.db.get_database_backend() != DbBackend::Postgres {
            return claim_on(self.db, worker, lease, cap, now).await;
        }
        let tx = self.db.begin().await?;
        tx.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_advisory_xact_lock({CLAIM_LOCK_KEY})"),
        ))
        .await?;
        let claimed = claim_on(&tx, worker, lease, cap, now).await?;
        tx.commit().await?;
        Ok(claimed)
    }
}

/// The PostgreSQL advisory lock capped claims take turns on (`lbjobs` in ASCII).
const CLAIM_LOCK_KEY: i64 = 0x6c62_6a6f_6273;

/// The alias of `jobs` rows counted as an account's running jobs, told apart from the
/// candidate row the count is for.
fn running_jobs() -> Alias {
    Alias::new("running_jobs")
}

/// The claim itself, one statement: the oldest due job (when capped, a run job only of
/// an account under `cap` running run jobs; any other kind regardless) becomes
/// `worker`'s for `lease`.
async fn claim_on<C: ConnectionTrait>(
    db: &C,
    worker: &str,
    lease: Duration,
    cap: Option<u32>,
    now: DateTime<Utc>,
) -> Result<Option<Job>, StoreError> {
    let claimed = claim_statement(worker, lease, cap, now)
        .exec_with_returning(db)
        .await?;
    claimed.into_iter().next().map(to_job).transpose()
}

/// The claiming `UPDATE` (see [`claim_on`]), apart so its plan can be checked.
fn claim_statement(
    worker: &str,
    lease: Duration,
    cap: Option<u32>,
    now: DateTime<Utc>,
) -> sea_orm::UpdateMany<job::Entity> {
    let waiting = |status: JobStatus| {
        Expr::col((job::Entity, job::Column::Status))
            .eq(status.as_str())
            .and(Expr::col((job::Entity, job::Column::RunAt)).lte(now))
    };
    let lapsed = || {
        Expr::col((job::Entity, job::Column::Status))
            .eq(JobStatus::Running.as_str())
            .and(Expr::col((job::Entity, job::Column::LeaseExpiresAt)).lt(now))
    };
    // One head per way of being due, each the first match of an ordered walk of
    // `idx_jobs_claim` (status, run_at), then the oldest head. A single `status IN (…)
    // OR …` condition made both databases collect and sort every due job per claim,
    // which under a backlog (thousands of queued form deliveries) cost milliseconds a
    // claim and grew with the queue.
    let heads = [
        ("queued_head", waiting(JobStatus::Queued)),
        ("failed_head", waiting(JobStatus::Failed)),
        ("lapsed_head", lapsed()),
    ]
    .map(|(name, due)| {
        Query::select()
            .column(job::Column::Id)
            .column(job::Column::RunAt)
            .from_subquery(head(due, cap, now), Alias::new(name))
            .to_owned()
    });
    let [first, rest @ ..] = heads;
    let candidates = rest.into_iter().fold(first, |mut all, head| {
        all.union(UnionType::All, head).to_owned()
    });
    let next = Query::select()
        .column(job::Column::Id)
        .from_subquery(candidates, Alias::new("heads"))
        .order_by(job::Column::RunAt, Order::Asc)
        .limit(1)
        .to_owned();
    // Still due when updated: a claimer that lost the race to the same head (another
    // instance, without the advisory lock) updates nothing rather than taking it twice.
    let still_due = waiting(JobStatus::Queued)
        .or(waiting(JobStatus::Failed))
        .or(lapsed());
    job::Entity::update_many()
        .col_expr(
            job::Column::Status,
            Expr::value(JobStatus::Running.as_str()),
        )
        .col_expr(job::Column::LeaseOwner, Expr::value(worker))
        .col_expr(job::Column::LeaseExpiresAt, Expr::value(now + lease))
        .col_expr(
            job::Column::Attempts,
            Expr::col(job::Column::Attempts).add(1),
        )
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        // `id = (…)`, not `id IN (…)`: offered the `IN` list beside the OR of
        // `still_due`, SQLite walked every queued job of the claim index (a multi-index
        // OR) and looked each up in the list: 4 ms a claim under a backlog of 20,000
        // submissions, on the one writing connection the form intake commits through.
        // Equal to one id, the row is found by its key.
        .filter(Expr::col((job::Entity, job::Column::Id)).eq(Expr::from(next)))
        .filter(still_due)
}

/// The oldest job that is due by `due` (and, when capped, not a run job of an account
/// at its cap), locked on PostgreSQL (others' locked rows skipped).
fn head(
    due: sea_orm::sea_query::SimpleExpr,
    cap: Option<u32>,
    now: DateTime<Utc>,
) -> sea_orm::sea_query::SelectStatement {
    let mut next = Query::select()
        .column((job::Entity, job::Column::Id))
        .column((job::Entity, job::Column::RunAt))
        .from(job::Entity)
        .cond_where(due)
        .order_by((job::Entity, job::Column::RunAt), Order::Asc)
        .limit(1)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    if let Some(cap) = cap {
        let r = running_jobs();
        let running = Query::select()
            .expr(Expr::col((r.clone(), job::Column::Id)).count())
            .from_as(job::Entity, r.clone())
            .and_where(
                Expr::col((r.clone(), job::Column::AccountId))
                    .equals((job::Entity, job::Column::AccountId)),
            )
            .and_where(Expr::col((r.clone(), job::Column::Kind)).eq(JobKind::Run.as_str()))
            .and_where(Expr::col((r.clone(), job::Column::Status)).eq(JobStatus::Running.as_str()))
            .and_where(Expr::col((r, job::Column::LeaseExpiresAt)).gte(now))
            .to_owned();
        next.and_where(
            Expr::col((job::Entity, job::Column::Kind))
                .ne(JobKind::Run.as_str())
                .or(Expr::from(running).lt(i64::from(cap))),
        );
    }
    next
}

#[cfg(test)]
mod tests {
    use sea_orm::QueryTrait;

    use super::*;
    use crate::store::Store;

    /// SQLite plans without statistics (nothing runs `ANALYZE`), so the plan of an empty
    /// database is the plan under any backlog.
    #[tokio::test]
    async fn a_claim_updates_the_row_it_chose_by_its_key_whatever_the_backlog() {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        store.migrate().await.unwrap();
        let now = Utc::now();
        let claim =
            claim_statement("w", Duration::seconds(30), Some(2), now).build(DbBackend::Sqlite);
        let explain = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!("EXPLAIN QUERY PLAN {}", claim.sql),
            claim.values.map(|v| v.0).unwrap_or_default(),
        );
        let plan: Vec<String> = store
            .conn()
            .query_all_raw(explain)
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<String>("", "detail").unwrap())
            .collect();
        assert_eq!(
            plan.first().map(String::as_str),
            Some("SEARCH jobs USING INDEX sqlite_autoindex_jobs_1 (id=?)"),
            "{plan:#?}"
        );
        assert!(
            !plan.iter().any(|step| step.contains("MULTI-INDEX OR")),
            "{plan:#?}"
        );
    }
}
