//! The `conversion_exports` table: an account's offline-conversion exports.

use sea_orm::entity::prelude::*;

/// One row of `conversion_exports`. `destination_secret` (the platform's token) is
/// AES-256-GCM output bound to the row id, like CRM passwords.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversion_exports")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// The connector whose CRM is read.
    pub connector_id: String,
    /// The name people know the export by (unique per account).
    pub name: String,
    /// `lead`, `contact` or `opportunity`.
    pub source: String,
    /// The conversion rule, as JSON.
    #[sea_orm(column_type = "Text")]
    pub rule: String,
    /// `call-tracking-api` or `download`.
    pub destination_kind: String,
    /// The destination's settings without the secret, as a JSON object.
    #[sea_orm(column_type = "Text")]
    pub destination_settings: String,
    /// The encrypted token.
    pub destination_secret: Option<Vec<u8>>,
    /// The CRM field the platform's marketing source is written to, if any.
    pub enrich_field: Option<String>,
    /// Runs every this many minutes; `None` runs only when asked.
    pub every_minutes: Option<i32>,
    /// Also runs after each list sync that read this connector's CRM.
    pub with_list_syncs: bool,
    /// Modify date of the last record read.
    pub watermark_modified: Option<DateTimeUtc>,
    /// Key of the last record read.
    pub watermark_key: Option<String>,
    /// When the scheduler queues the next run.
    pub next_run_at: Option<DateTimeUtc>,
    /// Created at (UTC).
    pub created_at: DateTimeUtc,
    /// Last change (UTC).
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
