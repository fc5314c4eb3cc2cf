//! The `upload_reports` table: what an upload made of its file, kept for its result page.

use sea_orm::entity::prelude::*;

/// One row of `upload_reports`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "upload_reports")]
pub struct Model {
    /// The uploaded list.
    #[sea_orm(primary_key, auto_increment = false)]
    pub list_id: String,
    /// Owning account.
    pub account_id: String,
    /// Rows that became members.
    pub accepted: i64,
    /// Rows rejected in all.
    pub rejected_total: i64,
    /// When the upload finished (UTC).
    pub finished_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
