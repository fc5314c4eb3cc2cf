//! Schedules of lists and segments, and the account-wide limit of ten scheduled targets.
//!
//! The limit is held by the database, not by a read-then-write: an enabled schedule owns
//! one of its account's slots `1..=10`, and `UNIQUE (account_id, slot)` refuses a second
//! owner. Enabling tries the free slots one by one; a unique violation means another
//! request (or another instance) took that slot first. No transaction spans the attempts,
//! so a refused attempt never poisons a PostgreSQL transaction, and every single statement
//! is atomic on both databases.
//!
//! The scheduler fires a slot by moving `next_run_at` forward with a conditional update
//! ([`ScheduleRepo::claim_slot`]): of several instances that see the same due slot, exactly
//! one changes the row.

use std::{collections::HashMap, fmt};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, SqlErr,
    UpdateMany,
    sea_query::{Expr, Query},
};
use serde::Serialize;

use super::{
    AccountId, ListId, ScheduleId, SegmentId, StoreError,
    entity::{list, schedule, segment},
};

/// How many lists and segments one account may have scheduled (enabled) at a time.
pub const SCHEDULE_LIMIT: i32 = 10;

/// How often an upsert re-reads and retries after losing races before giving up.
const MAX_ROUNDS: usize = 16;

pub(super) const KIND_LIST: &str = "list";
pub(super) const KIND_SEGMENT: &str = "segment";

/// What a schedule syncs: a list, or a segment of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ScheduleTarget {
    /// A whole list.
    #[schema(value_type = String)]
    List(ListId),
    /// A segment (its list's members that match the segment's filter).
    #[schema(value_type = String)]
    Segment(SegmentId),
}

impl ScheduleTarget {
    /// The stored `target_kind`.
    pub fn kind(self) -> &'static str {
        match self {
            ScheduleTarget::List(_) => KIND_LIST,
            ScheduleTarget::Segment(_) => KIND_SEGMENT,
        }
    }

    /// The stored `target_id`.
    pub fn id_db(self) -> String {
        match self {
            ScheduleTarget::List(id) => id.as_db(),
            ScheduleTarget::Segment(id) => id.as_db(),
        }
    }

    fn parse(kind: &str, id: &str) -> Option<Self> {
        match kind {
            KIND_LIST => ListId::from_db(id).map(ScheduleTarget::List),
            KIND_SEGMENT => SegmentId::from_db(id).map(ScheduleTarget::Segment),
            _ => None,
        }
    }
}

impl fmt::Display for ScheduleTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduleTarget::List(id) => write!(f, "list {id}"),
            ScheduleTarget::Segment(id) => write!(f, "segment {id}"),
        }
    }
}

/// A stored schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Schedule id.
    pub id: ScheduleId,
    /// Owning account.
    pub account_id: AccountId,
    /// What it syncs.
    pub target: ScheduleTarget,
    /// The rule as JSON (see `crate::scheduling::Rule`).
    pub rule: String,
    /// Switched on by the marketer; an enabled schedule holds a slot.
    pub enabled: bool,
    /// Paused because its CRM connector was reset.
    pub paused: bool,
    /// The account slot (1..=10) while enabled.
    pub slot: Option<i32>,
    /// The next slot to fire; none while disabled or paused.
    pub next_run_at: Option<DateTime<Utc>>,
    /// The last slot the scheduler claimed.
    pub last_slot_at: Option<DateTime<Utc>>,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

pub(super) fn to_schedule(row: schedule::Model) -> Result<Schedule, StoreError> {
    let corrupt = |m: &str| StoreError::Corrupt {
        table: "schedules",
        id: row.id.clone(),
        message: m.into(),
    };
    Ok(Schedule {
        id: ScheduleId::from_db(&row.id).ok_or_else(|| corrupt("id is not a UUID"))?,
        account_id: AccountId::from_db(&row.account_id)
            .ok_or_else(|| corrupt("account_id is not a UUID"))?,
        target: ScheduleTarget::parse(&row.target_kind, &row.target_id)
            .ok_or_else(|| corrupt("unknown target_kind or bad target_id"))?,
        rule: row.rule.clone(),
        enabled: row.enabled,
        paused: row.paused,
        slot: row.slot,
        next_run_at: row.next_run_at,
        last_slot_at: row.last_slot_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// What to save for a target.
#[derive(Debug, Clone)]
pub struct ScheduleWrite {
    /// The list or segment.
    pub target: ScheduleTarget,
    /// The validated rule as JSON.
    pub rule: String,
    /// On or off; turning it on takes a slot, turning it off frees it.
    pub enabled: bool,
    /// The first slot by the new rule (ignored while the schedule is paused or disabled).
    pub next_run_at: Option<DateTime<Utc>>,
    /// A schedule created now starts paused (its connector has been reset).
    pub paused_if_new: bool,
    /// The id a schedule created now gets.
    pub id_if_new: ScheduleId,
}

/// A scheduled list or segment, named, for the message that refuses an eleventh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ScheduledTarget {
    /// The list or segment.
    pub target: ScheduleTarget,
    /// The list's name; for a segment `list name / segment name`.
    pub name: String,
}

/// The outcome of [`ScheduleRepo::upsert`].
#[derive(Debug, Clone)]
pub enum Upsert {
    /// Saved (and holding a slot when enabled).
    Saved(Schedule),
    /// Enabling needs a slot and all ten are held by these targets.
    Full(Vec<ScheduledTarget>),
    /// Concurrent changes kept winning the slots or the row; nothing was saved.
    Contended,
}

/// One attempt's result inside [`ScheduleRepo::upsert`].
enum Step {
    /// Saved.
    Done,
    /// No slot is free.
    Full,
    /// The slot tried is held by another schedule.
    SlotTaken,
    /// The row changed concurrently: read it again.
    Retry,
}

/// Writes a schedule's new rule, with whatever else `update` sets or requires, to its
/// row: [`Step::Retry`] when a concurrent write changed the row first.
async fn rewrite<C: ConnectionTrait>(
    db: &C,
    update: UpdateMany<schedule::Entity>,
    row: &schedule::Model,
    write: &ScheduleWrite,
    now: DateTime<Utc>,
) -> Result<Step, StoreError> {
    let res = update
        .col_expr(schedule::Column::Rule, Expr::value(write.rule.as_str()))
        .col_expr(schedule::Column::UpdatedAt, Expr::value(now))
        .filter(schedule::Column::Id.eq(row.id.as_str()))
        .exec(db)
        .await?;
    Ok(if res.rows_affected == 1 {
        Step::Done
    } else {
        Step::Retry
    })
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Reads and writes `schedules`. Methods take any connection; [`ScheduleRepo::upsert`]
/// must get a plain connection, not a transaction (see the module docs).
#[derive(Debug, Default, Clone, Copy)]
pub struct ScheduleRepo;

impl ScheduleRepo {
    /// The schedule of a target in an account.
    pub async fn get<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        target: ScheduleTarget,
    ) -> Result<Option<Schedule>, StoreError> {
        self.row(db, account, target)
            .await?
            .map(to_schedule)
            .transpose()
    }

    async fn row<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        target: ScheduleTarget,
    ) -> Result<Option<schedule::Model>, StoreError> {
        Ok(schedule::Entity::find()
            .filter(schedule::Column::AccountId.eq(account.as_db()))
            .filter(schedule::Column::TargetKind.eq(target.kind()))
            .filter(schedule::Column::TargetId.eq(target.id_db()))
            .one(db)
            .await?)
    }

    /// Creates or replaces a target's schedule. Enabling takes the lowest free slot of the
    /// account (or keeps the one it has); disabling frees it. A paused schedule stays
    /// paused and gets no `next_run_at` until it is resumed.
    pub async fn upsert<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        write: &ScheduleWrite,
        now: DateTime<Utc>,
    ) -> Result<Upsert, StoreError> {
        for _ in 0..MAX_ROUNDS {
            let existing = self.row(db, account, write.target).await?;
            let step = match &existing {
                None if !write.enabled => self.insert_new(db, account, write, None, now).await?,
                Some(row) if !write.enabled => self.disable(db, row, write, now).await?,
                Some(row) if row.slot.is_some() => self.keep_slot(db, row, write, now).await?,
                _ => {
                    self.take_slot(db, account, existing.as_ref(), write, now)
                        .await?
                }
            };
            match step {
                Step::Done => {
                    let saved = self.get(db, account, write.target).await?;
                    // A concurrent DELETE may remove it right after; then try again.
                    if let Some(schedule) = saved {
                        return Ok(Upsert::Saved(schedule));
                    }
                }
                Step::Full => return Ok(Upsert::Full(self.scheduled(db, account).await?)),
                Step::Retry | Step::SlotTaken => {}
            }
        }
        Ok(Upsert::Contended)
    }

    /// Inserts a new row (with `slot` when enabling). A unique violation means either
    /// the slot was taken or the target's row appeared concurrently: `SlotTaken` for the
    /// first, `Retry` for the second.
    async fn insert_new<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        write: &ScheduleWrite,
        slot: Option<i32>,
        now: DateTime<Utc>,
    ) -> Result<Step, StoreError> {
        let paused = write.paused_if_new;
        let row = schedule::ActiveModel {
            id: Set(write.id_if_new.as_db()),
            account_id: Set(account.as_db()),
            target_kind: Set(write.target.kind().into()),
            target_id: Set(write.target.id_db()),
            rule: Set(write.rule.clone()),
            enabled: Set(write.enabled),
            paused: Set(paused),
            slot: Set(slot),
            next_run_at: Set(if write.enabled && !paused {
                write.next_run_at
            } else {
                None
            }),
            last_slot_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        match schedule::Entity::insert(row)
            .exec_without_returning(db)
            .await
        {
            Ok(_) => Ok(Step::Done),
            Err(e) if is_unique_violation(&e) => {
                if slot.is_none() || self.target_exists(db, write.target).await? {
                    Ok(Step::Retry)
                } else {
                    Ok(Step::SlotTaken)
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn disable<C: ConnectionTrait>(
        &self,
        db: &C,
        row: &schedule::Model,
        write: &ScheduleWrite,
        now: DateTime<Utc>,
    ) -> Result<Step, StoreError> {
        let update = schedule::Entity::update_many()
            .col_expr(schedule::Column::Enabled, Expr::value(false))
            .col_expr(schedule::Column::Slot, Expr::value(Option::<i32>::None))
            .col_expr(
                schedule::Column::NextRunAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            );
        rewrite(db, update, row, write, now).await
    }

    /// Replaces the rule of an enabled schedule that already holds a slot.
    async fn keep_slot<C: ConnectionTrait>(
        &self,
        db: &C,
        row: &schedule::Model,
        write: &ScheduleWrite,
        now: DateTime<Utc>,
    ) -> Result<Step, StoreError> {
        let next = if row.paused { None } else { write.next_run_at };
        let update = schedule::Entity::update_many()
            .col_expr(schedule::Column::NextRunAt, Expr::value(next))
            .filter(schedule::Column::Slot.eq(row.slot))
            .filter(schedule::Column::Paused.eq(row.paused));
        rewrite(db, update, row, write, now).await
    }

    /// Tries the account's free slots in order for a new or disabled schedule.
    async fn take_slot<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        existing: Option<&schedule::Model>,
        write: &ScheduleWrite,
        now: DateTime<Utc>,
    ) -> Result<Step, StoreError> {
        let taken = self.taken_slots(db, account).await?;
        let free: Vec<i32> = (1..=SCHEDULE_LIMIT)
            .filter(|s| !taken.contains(s))
            .collect();
        if free.is_empty() {
            // A slot held by a deleted list or segment is not really taken.
            return Ok(if self.remove_orphans(db, account).await? > 0 {
                Step::Retry
            } else {
                Step::Full
            });
        }
        for slot in free {
            let attempt = match existing {
                None => self.insert_new(db, account, write, Some(slot), now).await?,
                Some(row) => self.enable_in_slot(db, row, write, slot, now).await?,
            };
            match attempt {
                Step::SlotTaken => {} // someone else took this slot: try the next one
                other => return Ok(other),
            }
        }
        Ok(Step::Retry)
    }

    /// Gives `slot` to an existing disabled row.
    async fn enable_in_slot<C: ConnectionTrait>(
        &self,
        db: &C,
        row: &schedule::Model,
        write: &ScheduleWrite,
        slot: i32,
        now: DateTime<Utc>,
    ) -> Result<Step, StoreError> {
        let next = if row.paused { None } else { write.next_run_at };
        let res = schedule::Entity::update_many()
            .col_expr(schedule::Column::Rule, Expr::value(write.rule.as_str()))
            .col_expr(schedule::Column::Enabled, Expr::value(true))
            .col_expr(schedule::Column::Slot, Expr::value(slot))
            .col_expr(schedule::Column::NextRunAt, Expr::value(next))
            .col_expr(schedule::Column::UpdatedAt, Expr::value(now))
            .filter(schedule::Column::Id.eq(row.id.as_str()))
            .filter(schedule::Column::Slot.is_null())
            .filter(schedule::Column::Paused.eq(row.paused))
            .exec(db)
            .await;
        match res {
            Ok(r) if r.rows_affected == 1 => Ok(Step::Done),
            Ok(_) => Ok(Step::Retry),
            Err(e) if is_unique_violation(&e) => Ok(Step::SlotTaken),
            Err(e) => Err(e.into()),
        }
    }

    async fn target_exists<C: ConnectionTrait>(
        &self,
        db: &C,
        target: ScheduleTarget,
    ) -> Result<bool, StoreError> {
        Ok(schedule::Entity::find()
            .filter(schedule::Column::TargetKind.eq(target.kind()))
            .filter(schedule::Column::TargetId.eq(target.id_db()))
            .one(db)
            .await?
            .is_some())
    }

    async fn taken_slots<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
    ) -> Result<Vec<i32>, StoreError> {
        Ok(schedule::Entity::find()
            .filter(schedule::Column::AccountId.eq(account.as_db()))
            .filter(schedule::Column::Slot.is_not_null())
            .all(db)
            .await?
            .into_iter()
            .filter_map(|r| r.slot)
            .collect())
    }

    /// The schedules of an account's lists (not of segments), enabled or not, in one
    /// statement for the lists table.
    pub async fn of_lists<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
    ) -> Result<Vec<Schedule>, StoreError> {
        schedule::Entity::find()
            .filter(schedule::Column::AccountId.eq(account.as_db()))
            .filter(schedule::Column::TargetKind.eq(KIND_LIST))
            .all(db)
            .await?
            .into_iter()
            .map(to_schedule)
            .collect()
    }

    /// Deletes a target's schedule (freeing its slot); false when it had none.
    pub async fn delete<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        target: ScheduleTarget,
    ) -> Result<bool, StoreError> {
        let res = schedule::Entity::delete_many()
            .filter(schedule::Column::AccountId.eq(account.as_db()))
            .filter(schedule::Column::TargetKind.eq(target.kind()))
            .filter(schedule::Column::TargetId.eq(target.id_db()))
            .exec(db)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Deletes the account's schedules whose list or segment no longer exists, so a
    /// deleted list never keeps one of the ten places. Returns how many were removed.
    pub async fn remove_orphans<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
    ) -> Result<u64, StoreError> {
        let lists = Query::select()
            .column(list::Column::Id)
            .from(list::Entity)
            .to_owned();
        let segments = Query::select()
            .column(segment::Column::Id)
            .from(segment::Entity)
            .to_owned();
        let orphan = Condition::any()
            .add(
                Condition::all()
                    .add(schedule::Column::TargetKind.eq(KIND_LIST))
                    .add(schedule::Column::TargetId.not_in_subquery(lists)),
            )
            .add(
                Condition::all()
                    .add(schedule::Column::TargetKind.eq(KIND_SEGMENT))
                    .add(schedule::Column::TargetId.not_in_subquery(segments)),
            );
        let res = schedule::Entity::delete_many()
            .filter(schedule::Column::AccountId.eq(account.as_db()))
            .filter(orphan)
            .exec(db)
            .await?;
        Ok(res.rows_affected)
    }

    /// The account's enabled schedules' targets with their names, in slot order.
    pub async fn scheduled<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
    ) -> Result<Vec<ScheduledTarget>, StoreError> {
        let rows = schedule::Entity::find()
            .filter(schedule::Column::AccountId.eq(account.as_db()))
            .filter(schedule::Column::Slot.is_not_null())
            .order_by_asc(schedule::Column::Slot)
            .all(db)
            .await?;
        let schedules = rows
            .into_iter()
            .map(to_schedule)
            .collect::<Result<Vec<_>, _>>()?;
        let segment_ids: Vec<String> = schedules
            .iter()
            .filter(|s| s.target.kind() == KIND_SEGMENT)
            .map(|s| s.target.id_db())
            .collect();
        let segments: HashMap<String, segment::Model> = segment::Entity::find()
            .filter(segment::Column::AccountId.eq(account.as_db()))
            .filter(segment::Column::Id.is_in(segment_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        let mut list_ids: Vec<String> = schedules
            .iter()
            .filter(|s| s.target.kind() == KIND_LIST)
            .map(|s| s.target.id_db())
            .collect();
        list_ids.extend(segments.values().map(|s| s.list_id.clone()));
        let list_names: HashMap<String, String> = list::Entity::find()
            .filter(list::Column::AccountId.eq(account.as_db()))
            .filter(list::Column::Id.is_in(list_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|l| (l.id, l.name))
            .collect();
        let list_name = |id: &str| {
            list_names
                .get(id)
                .cloned()
                .unwrap_or_else(|| format!("deleted list {id}"))
        };
        Ok(schedules
            .into_iter()
            .map(|s| {
                let name = match s.target {
                    ScheduleTarget::List(id) => list_name(&id.as_db()),
                    ScheduleTarget::Segment(id) => match segments.get(&id.as_db()) {
                        Some(seg) => format!("{} / {}", list_name(&seg.list_id), seg.name),
                        None => format!("deleted segment {id}"),
                    },
                };
                ScheduledTarget {
                    target: s.target,
                    name,
                }
            })
            .collect())
    }
}
