//! The `runs` table: imports and sync runs with their progress and counts.

use sea_orm::entity::prelude::*;

/// One row of `runs`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "runs")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// The list (or the segment's list).
    pub list_id: String,
    /// Set for segment pushes.
    pub segment_id: Option<String>,
    /// `import` or `sync`.
    pub kind: String,
    /// `manual`, `schedule` or `import`.
    pub trigger: String,
    /// Plan only: nothing is written.
    pub dry_run: bool,
    /// `queued`, `running`, `succeeded`, `completed_with_errors` or `failed`.
    pub status: String,
    /// Where a running run is: `pull`, `push`, `done`.
    pub phase: String,
    /// The list or segment id while queued or running (unique: one active run each).
    pub active_key: Option<String>,
    /// The list id while the run executes: one executing run per list, segments included.
    pub running_key: Option<String>,
    /// Records processed so far.
    pub progress_done: i64,
    /// Records expected, when known.
    pub progress_total: Option<i64>,
    /// Outcome counts as JSON.
    #[sea_orm(column_type = "Text")]
    pub counts: String,
    /// Where to resume, as JSON.
    #[sea_orm(column_type = "Text")]
    pub checkpoint: Option<String>,
    /// How many times it was resumed after an interruption.
    pub resumes: i32,
    /// Why it failed.
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
    /// Why it failed as a fixed word (`auth`, `unreachable`, `setup`…), when known.
    pub failure_kind: Option<String>,
    /// The connector the run used, once it opened one.
    pub crm_connector_id: Option<String>,
    /// Whether the CRM answered a logged-in request of the run.
    pub crm_answered: bool,
    /// When it was queued (UTC).
    pub created_at: DateTimeUtc,
    /// When it first started.
    pub started_at: Option<DateTimeUtc>,
    /// When it finished.
    pub finished_at: Option<DateTimeUtc>,
    /// Last progress (UTC).
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
