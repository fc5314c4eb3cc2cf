//! Firing schedules: pausing them with their connector, finding due slots, and
//! claiming a slot so that of several instances exactly one queues its run.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, Query, SelectStatement},
};

use super::{
    AccountId, ConnectorId, ScheduleId, StoreError,
    entity::{list, schedule, segment},
    schedules::{KIND_LIST, KIND_SEGMENT, Schedule, ScheduleRepo, to_schedule},
};

impl ScheduleRepo {
    /// Pauses the account's schedules that sync through `connector`: those of lists
    /// linked to it, of lists without a connector (they push through the account's
    /// connector), and of those lists' segments. Returns how many were paused.
    pub async fn pause_for_connector<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        connector: ConnectorId,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let res = schedule::Entity::update_many()
            .col_expr(schedule::Column::Paused, Expr::value(true))
            .col_expr(
                schedule::Column::NextRunAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(schedule::Column::UpdatedAt, Expr::value(now))
            .filter(schedule::Column::AccountId.eq(account.as_db()))
            .filter(schedule::Column::Paused.eq(false))
            .filter(through_connector(account, connector))
            .exec(db)
            .await?;
        Ok(res.rows_affected)
    }

    /// The account's paused schedules that sync through `connector` (see
    /// [`ScheduleRepo::pause_for_connector`]), for resuming them.
    pub async fn paused_for_connector<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        connector: ConnectorId,
    ) -> Result<Vec<Schedule>, StoreError> {
        schedule::Entity::find()
            .filter(schedule::Column::AccountId.eq(account.as_db()))
            .filter(schedule::Column::Paused.eq(true))
            .filter(through_connector(account, connector))
            .all(db)
            .await?
            .into_iter()
            .map(to_schedule)
            .collect()
    }

    /// Resumes a paused schedule as it was read (`read`), with its next slot computed by
    /// the caller from that rule; false when the schedule changed meanwhile.
    pub async fn resume<C: ConnectionTrait>(
        &self,
        db: &C,
        read: &Schedule,
        next_run_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let next = if read.enabled { next_run_at } else { None };
        let res = schedule::Entity::update_many()
            .col_expr(schedule::Column::Paused, Expr::value(false))
            .col_expr(schedule::Column::NextRunAt, Expr::value(next))
            .col_expr(schedule::Column::UpdatedAt, Expr::value(now))
            .filter(schedule::Column::Id.eq(read.id.as_db()))
            .filter(schedule::Column::Paused.eq(true))
            .filter(schedule::Column::Enabled.eq(read.enabled))
            .filter(schedule::Column::Rule.eq(read.rule.as_str()))
            .exec(db)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Enabled, unpaused schedules whose next slot is at or before `now`, oldest first,
    /// across all accounts (the scheduler's work list).
    pub async fn due<C: ConnectionTrait>(
        &self,
        db: &C,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Schedule>, StoreError> {
        schedule::Entity::find()
            .filter(schedule::Column::Enabled.eq(true))
            .filter(schedule::Column::Paused.eq(false))
            .filter(schedule::Column::NextRunAt.lte(now))
            .order_by_asc(schedule::Column::NextRunAt)
            .limit(limit)
            .all(db)
            .await?
            .into_iter()
            .map(to_schedule)
            .collect()
    }

    /// Claims the due slot `due` of a schedule: moves `next_run_at` to `next` and records
    /// the slot, only if the row still holds `due` and is enabled and unpaused. True for
    /// exactly one of any number of concurrent callers.
    pub async fn claim_slot<C: ConnectionTrait>(
        &self,
        db: &C,
        id: ScheduleId,
        due: DateTime<Utc>,
        next: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let res = schedule::Entity::update_many()
            .col_expr(schedule::Column::NextRunAt, Expr::value(next))
            .col_expr(schedule::Column::LastSlotAt, Expr::value(due))
            .col_expr(schedule::Column::UpdatedAt, Expr::value(now))
            .filter(schedule::Column::Id.eq(id.as_db()))
            .filter(schedule::Column::NextRunAt.eq(due))
            .filter(schedule::Column::Enabled.eq(true))
            .filter(schedule::Column::Paused.eq(false))
            .exec(db)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Undoes a claim whose run could not be queued, so the next tick tries the slot
    /// again; only if nothing changed the schedule since the claim.
    pub async fn release_slot<C: ConnectionTrait>(
        &self,
        db: &C,
        claimed: &Schedule,
        next: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut update = schedule::Entity::update_many()
            .col_expr(
                schedule::Column::NextRunAt,
                Expr::value(claimed.next_run_at),
            )
            .col_expr(
                schedule::Column::LastSlotAt,
                Expr::value(claimed.last_slot_at),
            )
            .col_expr(schedule::Column::UpdatedAt, Expr::value(now))
            .filter(schedule::Column::Id.eq(claimed.id.as_db()))
            .filter(schedule::Column::LastSlotAt.eq(claimed.next_run_at));
        update = match next {
            Some(next) => update.filter(schedule::Column::NextRunAt.eq(next)),
            None => update.filter(schedule::Column::NextRunAt.is_null()),
        };
        Ok(update.exec(db).await?.rows_affected == 1)
    }
}

/// Schedules whose list (or segment's list) syncs through `connector`: linked to it,
/// or linked to no connector at all (pushes use the account's connector).
fn through_connector(account: AccountId, connector: ConnectorId) -> Condition {
    let lists: SelectStatement = Query::select()
        .column(list::Column::Id)
        .from(list::Entity)
        .cond_where(
            Condition::all()
                .add(list::Column::AccountId.eq(account.as_db()))
                .add(
                    Condition::any()
                        .add(list::Column::ConnectorId.eq(connector.as_db()))
                        .add(list::Column::ConnectorId.is_null()),
                ),
        )
        .to_owned();
    let segments = Query::select()
        .column(segment::Column::Id)
        .from(segment::Entity)
        .cond_where(segment::Column::ListId.in_subquery(lists.clone()))
        .to_owned();
    Condition::any()
        .add(
            Condition::all()
                .add(schedule::Column::TargetKind.eq(KIND_LIST))
                .add(schedule::Column::TargetId.in_subquery(lists)),
        )
        .add(
            Condition::all()
                .add(schedule::Column::TargetKind.eq(KIND_SEGMENT))
                .add(schedule::Column::TargetId.in_subquery(segments)),
        )
}
