//! The `list_columns` table: the columns of a list and the CRM field each holds.

use sea_orm::entity::prelude::*;

/// One row of `list_columns`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "list_columns")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning list.
    pub list_id: String,
    /// Column name, unique in the list.
    pub name: String,
    /// The CRM field it mirrors (CRM lists), if any.
    pub crm_field: Option<String>,
    /// Display order.
    pub position: i32,
    /// Added but not filled yet: the next sync fills it.
    pub pending: bool,
    /// The Standard Field Name of the CRM field it mirrors (e.g. `work_phone`), if any.
    pub usage: Option<String>,
    /// When it was added (UTC).
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
