//! Signed-in console sessions, found by the hash of the cookie's token.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    sea_query::Expr,
};

use super::{AccountId, StoreError, UserId, entity::session};

/// One signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Lower-case hex SHA-256 of the cookie's token.
    pub token_hash: String,
    /// The signed-in user.
    pub user_id: UserId,
    /// The user's account.
    pub account_id: AccountId,
    /// The token each state-changing form must carry.
    pub csrf_token: String,
    /// When the person signed in.
    pub created_at: DateTime<Utc>,
    /// The last request; idle expiry counts from here.
    pub last_seen_at: DateTime<Utc>,
}

fn from_row(row: session::Model) -> Result<SessionRecord, StoreError> {
    let corrupt = |message: &str| StoreError::Corrupt {
        table: "sessions",
        id: row.user_id.clone(),
        message: message.to_string(),
    };
    Ok(SessionRecord {
        user_id: UserId::from_db(&row.user_id).ok_or_else(|| corrupt("user_id is not a UUID"))?,
        account_id: AccountId::from_db(&row.account_id)
            .ok_or_else(|| corrupt("account_id is not a UUID"))?,
        token_hash: row.token_hash,
        csrf_token: row.csrf_token,
        created_at: row.created_at,
        last_seen_at: row.last_seen_at,
    })
}

/// Reads and writes `sessions`.
#[derive(Debug)]
pub struct SessionRepo<'a> {
    db: &'a DatabaseConnection,
}

impl<'a> SessionRepo<'a> {
    pub(super) fn new(db: &'a DatabaseConnection) -> Self {
        SessionRepo { db }
    }

    /// Stores a new session.
    pub async fn insert(&self, s: &SessionRecord) -> Result<(), StoreError> {
        let row = session::ActiveModel {
            token_hash: Set(s.token_hash.clone()),
            user_id: Set(s.user_id.as_db()),
            account_id: Set(s.account_id.as_db()),
            csrf_token: Set(s.csrf_token.clone()),
            created_at: Set(s.created_at),
            last_seen_at: Set(s.last_seen_at),
        };
        session::Entity::insert(row)
            .exec_without_returning(self.db)
            .await
            .map_err(|e| StoreError::from_write(e, || "a session with this token".to_string()))?;
        Ok(())
    }

    /// The session whose token hashes to `token_hash`, if any.
    pub async fn find(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        session::Entity::find_by_id(token_hash.to_string())
            .one(self.db)
            .await?
            .map(from_row)
            .transpose()
    }

    /// Records a request of the session, keeping it from expiring.
    pub async fn touch(&self, token_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(at))
            .filter(session::Column::TokenHash.eq(token_hash))
            .exec(self.db)
            .await?;
        Ok(())
    }

    /// Ends one session (sign-out, or found expired).
    pub async fn delete(&self, token_hash: &str) -> Result<(), StoreError> {
        session::Entity::delete_by_id(token_hash.to_string())
            .exec(self.db)
            .await?;
        Ok(())
    }

    /// Removes every session idle since before `cutoff`; returns how many.
    pub async fn delete_idle(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = session::Entity::delete_many()
            .filter(session::Column::LastSeenAt.lt(cutoff))
            .exec(self.db)
            .await?;
        Ok(done.rows_affected)
    }

    /// Ends every session of `user` but the one whose token hashes to `keep` (a
    /// password change signs the person out everywhere else); returns how many.
    pub async fn delete_others_of_user(&self, user: UserId, keep: &str) -> Result<u64, StoreError> {
        let done = session::Entity::delete_many()
            .filter(session::Column::UserId.eq(user.as_db()))
            .filter(session::Column::TokenHash.ne(keep))
            .exec(self.db)
            .await?;
        Ok(done.rows_affected)
    }

    /// How many sessions `user` has (for checks that a removal ended them).
    pub async fn count_of_user(&self, user: UserId) -> Result<u64, StoreError> {
        Ok(session::Entity::find()
            .filter(session::Column::UserId.eq(user.as_db()))
            .count(self.db)
            .await?)
    }
}
