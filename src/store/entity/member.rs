//! The `members` table: list members: one per normalised email per list, with CRM identity and per-field sync state.

use sea_orm::entity::prelude::*;

/// One row of `members`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "members")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning list.
    pub list_id: String,
    /// Normalised email, unique in the list.
    pub email: String,
    /// `lead` or `contact` once linked.
    pub crm_entity: Option<String>,
    /// The linked CRM record.
    pub crm_key: Option<String>,
    /// The CRM record's etag as last seen.
    pub crm_etag: Option<String>,
    /// The CRM record's modify date as last seen.
    pub crm_modify_date: Option<DateTimeUtc>,
    /// Opted out of email; never reversed by a sync.
    pub opted_out: bool,
    /// Column values as a JSON object.
    #[sea_orm(column_type = "Text")]
    pub field_values: String,
    /// Per CRM field, the value both sides held after the last sync (JSON object).
    #[sea_orm(column_type = "Text")]
    pub synced: String,
    /// When the list side last changed a value.
    pub list_changed_at: DateTimeUtc,
    /// Why the CRM rejected this member; not re-sent until it or the setup changes.
    #[sea_orm(column_type = "Text")]
    pub parked_reason: Option<String>,
    /// Fingerprint of the member and setup when it was parked.
    pub parked_fingerprint: Option<String>,
    /// The list change number of the member's last list-side edit; 0 while it holds
    /// what the CRM sent.
    pub change_seq: i64,
    /// When the linked CRM record was found deleted in the CRM (a tombstone).
    pub crm_deleted_at: Option<DateTimeUtc>,
    /// When it was added (UTC).
    pub created_at: DateTimeUtc,
    /// When it last changed (UTC).
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
