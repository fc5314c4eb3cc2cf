//! The `run_records` table: per-record outcomes of a run: failures, conflicts, rejects and dry-run plans.

use sea_orm::entity::prelude::*;

/// One row of `run_records`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "run_records")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning run.
    pub run_id: String,
    /// Order within the run.
    pub seq: i64,
    /// e.g. `failed`, `conflict`, `invalid`, `duplicate`, `planned_create`.
    pub outcome: String,
    /// The member or record email.
    pub email: Option<String>,
    /// `lead` or `contact`.
    pub crm_entity: Option<String>,
    /// The CRM record involved.
    pub crm_key: Option<String>,
    /// The field involved.
    pub field: Option<String>,
    /// What happened, with the CRM's own words.
    #[sea_orm(column_type = "Text")]
    pub detail: String,
    /// Structured detail as JSON (old/new values, plans).
    #[sea_orm(column_type = "Text")]
    pub data: Option<String>,
    /// When it was recorded (UTC).
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
