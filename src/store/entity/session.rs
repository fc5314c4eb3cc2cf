//! The `sessions` table: signed-in browsers of the web console.

use sea_orm::entity::prelude::*;

/// One row of `sessions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// Lower-case hex SHA-256 of the cookie's token (the token itself is never stored).
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    /// The signed-in user.
    pub user_id: String,
    /// The user's account, so a request's scope needs no second lookup.
    pub account_id: String,
    /// The token every state-changing form of this session must carry.
    pub csrf_token: String,
    /// When the person signed in (UTC).
    pub created_at: DateTimeUtc,
    /// The session's last request (UTC); idle expiry counts from here.
    pub last_seen_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
