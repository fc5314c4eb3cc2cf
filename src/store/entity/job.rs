//! The `jobs` table: the durable job queue.

use sea_orm::entity::prelude::*;

/// One row of `jobs`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// `run`, `form_delivery`, `note_delivery`.
    pub kind: String,
    /// Job input as JSON.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// `queued`, `running`, `succeeded`, `failed` (will retry) or `dead`.
    pub status: String,
    /// Attempts started.
    pub attempts: i32,
    /// Attempts before the job is dead.
    pub max_attempts: i32,
    /// Not before this instant.
    pub run_at: DateTimeUtc,
    /// The worker holding it.
    pub lease_owner: Option<String>,
    /// When an unrenewed lease lapses and another worker may take it.
    pub lease_expires_at: Option<DateTimeUtc>,
    /// The last failure.
    #[sea_orm(column_type = "Text")]
    pub last_error: Option<String>,
    /// Unique while set: one active job per key.
    pub dedupe_key: Option<String>,
    /// When it was queued (UTC).
    pub created_at: DateTimeUtc,
    /// Last change (UTC).
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
