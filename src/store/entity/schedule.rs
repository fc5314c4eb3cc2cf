//! The `schedules` table: when lists and segments sync automatically.

use sea_orm::entity::prelude::*;

/// One row of `schedules`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "schedules")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// `list` or `segment`.
    pub target_kind: String,
    /// The list or segment.
    pub target_id: String,
    /// The recurrence as JSON.
    #[sea_orm(column_type = "Text")]
    pub rule: String,
    /// Switched on by the marketer.
    pub enabled: bool,
    /// Paused by a connector reset.
    pub paused: bool,
    /// 1..=10 while enabled: the account's schedule limit.
    pub slot: Option<i32>,
    /// Next slot to fire.
    pub next_run_at: Option<DateTimeUtc>,
    /// The last slot that produced a run.
    pub last_slot_at: Option<DateTimeUtc>,
    /// When it was created (UTC).
    pub created_at: DateTimeUtc,
    /// Last change (UTC).
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
