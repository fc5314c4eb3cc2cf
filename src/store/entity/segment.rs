//! The `segments` table: saved filters over a list.

use sea_orm::entity::prelude::*;

/// One row of `segments`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "segments")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// The list it filters.
    pub list_id: String,
    /// Unique within the list.
    pub name: String,
    /// The filter as JSON.
    #[sea_orm(column_type = "Text")]
    pub filter: String,
    /// Push-only sync setup as JSON.
    #[sea_orm(column_type = "Text")]
    pub sync_setup: Option<String>,
    /// The list change number the last complete push of this segment covered.
    pub push_seq: i64,
    /// Fingerprint of the push setup, mapping and filter that push ran under.
    #[sea_orm(column_type = "Text")]
    pub push_basis: Option<String>,
    /// When it was created (UTC).
    pub created_at: DateTimeUtc,
    /// When it last changed (UTC).
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
