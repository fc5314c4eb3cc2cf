//! The `lists` table: marketing lists (CRM lead/contact lists and uploaded lists).

use sea_orm::entity::prelude::*;

/// One row of `lists`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lists")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Unique within the account.
    pub name: String,
    /// `crm_lead`, `crm_contact` or `uploaded`.
    pub kind: String,
    /// The CRM connection a CRM list was imported from.
    pub connector_id: Option<String>,
    /// The CRM connection an uploaded list pushes to, chosen in its sync setup.
    pub push_connector_id: Option<String>,
    /// `lead` or `contact` for CRM lists.
    pub entity: Option<String>,
    /// `importing`, `ready` or `failed`.
    pub status: String,
    /// Members, maintained by the repositories.
    pub member_count: i64,
    /// The sync setup as JSON, when one was saved.
    #[sea_orm(column_type = "Text")]
    pub sync_setup: Option<String>,
    /// Pull watermark: modify date of the last record covered.
    pub watermark_modified: Option<DateTimeUtc>,
    /// Pull watermark: key of the last record covered.
    pub watermark_key: Option<String>,
    /// When the last complete read up to the watermark began.
    pub watermark_read_at: Option<DateTimeUtc>,
    /// Where the next sweep for CRM records that moved (converted leads) starts.
    pub moves_since: Option<DateTimeUtc>,
    /// Where the next read of the other entity's records that members are linked to
    /// (a lead list's converted members' contacts) starts.
    pub followed_since: Option<DateTimeUtc>,
    /// Whether any member is linked to a record of the other entity, so that a pull
    /// reads that entity too (set where the engine links one; never cleared).
    pub links_other_entity: bool,
    /// The last list-side change number handed out to this list's members.
    pub change_seq: i64,
    /// The change number the last complete push of the list's own sync covered.
    pub push_seq: i64,
    /// Fingerprint of the push setup and mapping that push ran under.
    #[sea_orm(column_type = "Text")]
    pub push_basis: Option<String>,
    /// When a sync run last finished.
    pub last_synced_at: Option<DateTimeUtc>,
    /// When it was created (UTC).
    pub created_at: DateTimeUtc,
    /// When it last changed (UTC).
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
