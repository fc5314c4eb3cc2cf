//! The `api_keys` table: SHA-256 hashes of API keys, never the keys.

use sea_orm::entity::prelude::*;

/// One row of `api_keys`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Lower-case hex SHA-256 of the full key.
    #[sea_orm(unique)]
    pub key_hash: String,
    /// The first characters of the key, to tell keys apart in listings.
    pub prefix: String,
    /// What the key is for.
    pub label: String,
    /// When it was created (UTC).
    pub created_at: DateTimeUtc,
    /// When it was revoked; revoked keys never authenticate.
    pub revoked_at: Option<DateTimeUtc>,
    /// When the key last authenticated a request (written at most once a minute).
    pub last_used_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
