//! The `routing_rule_sets` table: a phone system's routing rules, read and replaced whole.

use sea_orm::entity::prelude::*;

/// One row of `routing_rule_sets`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "routing_rule_sets")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Name, unique in the account.
    pub name: String,
    /// The record field whose value the rows compare.
    pub field: String,
    /// The ordered rows and the default destination as a JSON object.
    #[sea_orm(column_type = "Text")]
    pub definition: String,
    /// Created at (UTC).
    pub created_at: DateTimeUtc,
    /// Last change (UTC).
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
