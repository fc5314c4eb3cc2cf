//! The `note_events` table: one "message sent" event per (account, campaign, recipient).

use sea_orm::entity::prelude::*;

/// One row of `note_events`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "note_events")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// The connector the note goes through (absent when notes are off).
    pub connector_id: Option<String>,
    /// The sender's campaign id.
    pub campaign_id: String,
    /// Normalised recipient email.
    pub email: String,
    /// The sender's recipient id, if it gave one.
    pub recipient_id: Option<String>,
    /// The message's subject.
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    /// When the message was sent (UTC).
    pub sent_at: DateTimeUtc,
    /// The personalised preview link.
    #[sea_orm(column_type = "Text")]
    pub preview_url: Option<String>,
    /// Whether a CRM note is wanted.
    pub write_note: bool,
    /// `pending`, `sending`, `delivered`, `skipped` or `failed`.
    pub status: String,
    /// Why it was skipped or failed.
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
