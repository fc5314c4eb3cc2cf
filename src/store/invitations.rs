//! One-time sign-in links for invited people, found by the SHA-256 of the link's token.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr,
};

use super::{AccountId, StoreError, UserId, entity::invitation};

/// An invitation: who it signs in, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// Lower-case hex SHA-256 of the link's token.
    pub token_hash: String,
    /// The invited person's account.
    pub account_id: AccountId,
    /// The invited person.
    pub user_id: UserId,
    /// When the link was made.
    pub created_at: DateTime<Utc>,
    /// After this the link no longer works.
    pub expires_at: DateTime<Utc>,
    /// When the link was used, if it was.
    pub used_at: Option<DateTime<Utc>>,
}

fn from_row(row: invitation::Model) -> Result<Invitation, StoreError> {
    let corrupt = |message: &str| StoreError::Corrupt {
        table: "invitations",
        id: row.user_id.clone(),
        message: message.to_string(),
    };
    Ok(Invitation {
        account_id: AccountId::from_db(&row.account_id)
            .ok_or_else(|| corrupt("account_id is not a UUID"))?,
        user_id: UserId::from_db(&row.user_id).ok_or_else(|| corrupt("user_id is not a UUID"))?,
        token_hash: row.token_hash,
        created_at: row.created_at,
        expires_at: row.expires_at,
        used_at: row.used_at,
    })
}

/// Reads and writes `invitations`.
#[derive(Debug)]
pub struct InvitationRepo<'a> {
    db: &'a DatabaseConnection,
}

impl<'a> InvitationRepo<'a> {
    pub(super) fn new(db: &'a DatabaseConnection) -> Self {
        InvitationRepo { db }
    }

    /// Stores a new invitation.
    pub async fn insert(&self, inv: &Invitation) -> Result<(), StoreError> {
        let row = invitation::ActiveModel {
            token_hash: Set(inv.token_hash.clone()),
            account_id: Set(inv.account_id.as_db()),
            user_id: Set(inv.user_id.as_db()),
            created_at: Set(inv.created_at),
            expires_at: Set(inv.expires_at),
            used_at: Set(inv.used_at),
        };
        invitation::Entity::insert(row)
            .exec_without_returning(self.db)
            .await
            .map_err(|e| {
                StoreError::from_write(e, || "an invitation with this token".to_string())
            })?;
        Ok(())
    }

    /// The invitation whose token hashes to `token_hash`, if any.
    pub async fn find(&self, token_hash: &str) -> Result<Option<Invitation>, StoreError> {
        invitation::Entity::find_by_id(token_hash.to_string())
            .one(self.db)
            .await?
            .map(from_row)
            .transpose()
    }

    /// Marks the invitation used at `at`, unless it already was: true for the one
    /// request that uses it, false for any other (a link works once, even when two
    /// browsers open it at the same moment).
    pub async fn mark_used(&self, token_hash: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = invitation::Entity::update_many()
            .col_expr(invitation::Column::UsedAt, Expr::value(at))
            .filter(invitation::Column::TokenHash.eq(token_hash))
            .filter(invitation::Column::UsedAt.is_null())
            .exec(self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// The account's users whose invitation link is still unused and unexpired at
    /// `now` (to say "invited" beside them).
    pub async fn pending_users(
        &self,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<Vec<UserId>, StoreError> {
        let rows = invitation::Entity::find()
            .filter(invitation::Column::AccountId.eq(account.as_db()))
            .filter(invitation::Column::UsedAt.is_null())
            .filter(invitation::Column::ExpiresAt.gt(now))
            .all(self.db)
            .await?;
        rows.into_iter()
            .map(|row| from_row(row).map(|inv| inv.user_id))
            .collect()
    }
}
