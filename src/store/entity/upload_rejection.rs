//! The `upload_rejections` table: each row of an upload that did not become a member.

use sea_orm::entity::prelude::*;

/// One row of `upload_rejections`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "upload_rejections")]
pub struct Model {
    /// The uploaded list.
    #[sea_orm(primary_key, auto_increment = false)]
    pub list_id: String,
    /// 1-based line where the row starts in the file.
    #[sea_orm(primary_key, auto_increment = false)]
    pub line: i64,
    /// Why it was rejected.
    #[sea_orm(column_type = "Text")]
    pub reason: String,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
