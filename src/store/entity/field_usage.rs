//! The `field_usages` table: Standard Field Names: which system usage a column name has in an account.

use sea_orm::entity::prelude::*;

/// One row of `field_usages`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "field_usages")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Column name (matched case-insensitively).
    pub column_name: String,
    /// The system usage, e.g. `business_city`.
    pub usage: String,
    /// When it was mapped (UTC).
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
