//! The `invitations` table: one-time sign-in links for invited people, by the SHA-256
//! of the link's token (the token itself is never stored).

use sea_orm::entity::prelude::*;

/// One row of `invitations`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    /// Lower-case hex SHA-256 of the link's token.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    /// The invited person's account.
    pub account_id: String,
    /// The invited person (created with the invitation, without a usable password).
    pub user_id: String,
    /// When the link was made (UTC).
    pub created_at: DateTimeUtc,
    /// After this the link no longer works (UTC).
    pub expires_at: DateTimeUtc,
    /// When the link was used; a used link never works again.
    pub used_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
