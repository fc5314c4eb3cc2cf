//! The `interactions` table: one call the phone system reported per (account,
//! interaction id), and where its CRM note is.

use sea_orm::entity::prelude::*;

/// One row of `interactions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "interactions")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// The connector the note goes through.
    pub connector_id: Option<String>,
    /// The phone system's id of the call.
    pub interaction_id: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// The calling number as reported.
    pub caller: String,
    /// The called number as reported.
    pub callee: String,
    /// The agent who took or made the call.
    pub agent: Option<String>,
    /// When the call started (UTC).
    pub started_at: DateTimeUtc,
    /// How long it lasted.
    pub duration_seconds: i64,
    /// The phone system's outcome (answered, missed, voicemail…).
    pub outcome: Option<String>,
    /// The agent's notes.
    #[sea_orm(column_type = "Text")]
    pub notes: Option<String>,
    /// Link to the recording.
    #[sea_orm(column_type = "Text")]
    pub recording_url: Option<String>,
    /// `pending`, `sending`, `delivered`, `unmatched` or `failed`.
    pub status: String,
    /// Why it is unmatched or failed.
    #[sea_orm(column_type = "Text")]
    pub reason: Option<String>,
    /// `lead` or `contact` the note went to.
    pub crm_entity: Option<String>,
    /// That record's key.
    pub crm_key: Option<String>,
    /// The History record's key.
    pub note_key: Option<String>,
    /// The delivery batch (one job per batch).
    pub batch_id: Option<String>,
    /// Recorded at (UTC).
    pub created_at: DateTimeUtc,
    /// Last change (UTC).
    pub updated_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
