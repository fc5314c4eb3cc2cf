//! The `lookup_keys` table: SHA-256 hashes of the keys in the phone system's lookup URL
//! (and of their optional secret header), never the keys.

use sea_orm::entity::prelude::*;

/// One row of `lookup_keys`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lookup_keys")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// What the key is for (e.g. the phone system it is pasted into).
    pub name: String,
    /// Lower-case hex SHA-256 of the full key.
    #[sea_orm(unique)]
    pub key_hash: String,
    /// The first characters of the key, to tell keys apart in listings.
    pub prefix: String,
    /// SHA-256 of the `X-Lookup-Secret` header value the key requires, if any.
    pub secret_hash: Option<String>,
    /// The field a caller's typed digits (`dtmf`) are matched against, if any.
    pub dtmf_field: Option<String>,
    /// When it was created (UTC).
    pub created_at: DateTimeUtc,
    /// When it was revoked; revoked keys never authenticate.
    pub revoked_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
