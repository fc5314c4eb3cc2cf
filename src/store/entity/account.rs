//! The `accounts` table: tenants.

use sea_orm::entity::prelude::*;

/// One row of `accounts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Unique account name.
    #[sea_orm(unique)]
    pub name: String,
    /// When it was created (UTC).
    pub created_at: DateTimeUtc,
    /// The account's default time zone: an IANA name such as `Europe/Paris`.
    pub time_zone: String,
    /// ISO 3166 alpha-2 region national phone numbers are read in; none: only
    /// numbers with a country code are understood.
    pub default_region: Option<String>,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
