//! The `conversion_runs` table: one run of a conversion export, with its counts.

use sea_orm::entity::prelude::*;

/// One row of `conversion_runs`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversion_runs")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// The export run.
    pub export_id: String,
    /// `queued`, `running`, `succeeded`, `completed_with_errors` or `failed`.
    pub status: String,
    /// `manual` or `schedule`.
    pub trigger: String,
    /// The export id while queued or running (unique: one active run per export).
    pub active_key: Option<String>,
    /// CRM records read.
    pub records_read: i64,
    /// Records the trigger matched that made a new or changed row.
    pub conversions: i64,
    /// Rows the platform took.
    pub accepted: i64,
    /// Rows the platform refused.
    pub rejected: i64,
    /// Records refused before sending (a bad currency, no reference).
    pub invalid: i64,
    /// Sent rows whose record changed afterwards.
    pub changed_after_sending: i64,
    /// Marketing sources written to the CRM.
    pub enriched: i64,
    /// Why the run failed.
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// Queued at (UTC).
    pub created_at: DateTimeUtc,
    /// Started at (UTC).
    pub started_at: Option<DateTimeUtc>,
    /// Ended at (UTC).
    pub finished_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
