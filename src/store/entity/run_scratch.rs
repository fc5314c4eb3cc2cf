//! The `run_scratch` table: a dry run's would-be member states, kept while it runs.

use sea_orm::entity::prelude::*;

/// One row of `run_scratch`: the member as the dry run's pull would have left it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "run_scratch")]
pub struct Model {
    /// The dry run.
    #[sea_orm(primary_key, auto_increment = false)]
    pub run_id: String,
    /// The member.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: String,
    /// The would-be member state as JSON.
    #[sea_orm(column_type = "Text")]
    pub body: String,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
