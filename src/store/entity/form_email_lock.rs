//! The `form_email_locks` table: one row while a delivery for an (account, email) runs.

use sea_orm::entity::prelude::*;

/// One row of `form_email_locks`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "form_email_locks")]
pub struct Model {
    /// `{account id}:{normalised email}`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub lock_key: String,
    /// The delivery holding it.
    pub holder: String,
    /// When an unreleased lock (its holder died) may be taken over.
    pub expires_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
