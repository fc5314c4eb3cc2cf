//! The `alert_channels` table: where an account's alerts go (email or webhook).

use sea_orm::entity::prelude::*;

/// One row of `alert_channels`. `secret_encrypted` (the SMTP password or the webhook
/// signing secret) is AES-256-GCM output bound to the row id, like CRM passwords.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_channels")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// The name people know the channel by.
    pub name: String,
    /// `email` or `webhook`.
    pub kind: String,
    /// The kind's settings without the secret, as a JSON object.
    #[sea_orm(column_type = "Text")]
    pub settings: String,
    /// The encrypted password or signing secret.
    pub secret_encrypted: Option<Vec<u8>>,
    /// Created at (UTC).
    pub created_at: DateTimeUtc,
    /// Last change (UTC).
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
