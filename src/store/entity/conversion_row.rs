//! The `conversion_rows` table: the exactly-once ledger of an export's conversions.

use sea_orm::entity::prelude::*;

/// One row of `conversion_rows`: a conversion as last built, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversion_rows")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// The export.
    pub export_id: String,
    /// The idempotency key (unique per export).
    pub row_key: String,
    /// `lead`, `contact` or `opportunity`.
    pub source: String,
    /// The CRM record's key.
    pub crm_key: String,
    /// `pending`, `accepted`, `rejected` or `invalid`.
    pub status: String,
    /// The row to send, as JSON (empty object for an invalid one).
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// SHA-256 of what the row says, to notice a change.
    pub fingerprint: String,
    /// The platform's words (rejected) or the problem (invalid).
    #[sea_orm(column_type = "Text", nullable)]
    pub message: Option<String>,
    /// The marketing source the platform credited.
    pub marketing_source: Option<String>,
    /// When the marketing source was written to the CRM.
    pub enriched_at: Option<DateTimeUtc>,
    /// The record changed after the row was accepted.
    pub changed_after_sending: bool,
    /// When the trigger was first seen to hold.
    pub first_matched_at: DateTimeUtc,
    /// When the conversion happened (the row's date-time).
    pub occurred_at: Option<DateTimeUtc>,
    /// The last run that changed this row.
    pub last_run_id: Option<String>,
    /// The batch it was last handed to the destination in; while the row is pending,
    /// that batch's outcome is in doubt and the same rows are sent again together.
    pub batch_id: Option<String>,
    /// When the platform took it.
    pub sent_at: Option<DateTimeUtc>,
    /// Created at (UTC).
    pub created_at: DateTimeUtc,
    /// Last change (UTC).
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
