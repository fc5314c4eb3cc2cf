//! Per-(account, email) delivery locks: while one delivery for an email talks to the
//! CRM, no other may, so two submissions with one email never both create a lead.
//!
//! A lock is a row keyed by account and email; taking it is an insert (the primary key
//! makes it exclusive on SQLite and PostgreSQL alike). A lock whose holder died is taken
//! over once it expires, so a live holder renews it ([`EmailLockRepo::renew`]) while it
//! works and stops writing to the CRM as soon as a renewal finds the lock gone.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    sea_query::{Expr, IntoCondition},
};

use super::{AccountId, StoreError, entity::form_email_lock};

/// Reads and writes `form_email_locks`.
#[derive(Debug, Default, Clone, Copy)]
pub struct EmailLockRepo;

fn lock_key(account: AccountId, email: &str) -> String {
    format!("{account}:{email}")
}

/// Makes an existing lock `holder`'s until `now + lease`, when `may_hold` allows it;
/// true when it did.
async fn hold<C: ConnectionTrait>(
    db: &C,
    key: &str,
    holder: &str,
    may_hold: impl IntoCondition,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = form_email_lock::Entity::update_many()
        .col_expr(form_email_lock::Column::Holder, Expr::value(holder))
        .col_expr(form_email_lock::Column::ExpiresAt, Expr::value(now + lease))
        .filter(form_email_lock::Column::LockKey.eq(key))
        .filter(may_hold)
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

impl EmailLockRepo {
    /// Takes the lock for `holder` unless another live holder has it; true when taken.
    pub async fn try_acquire<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        email: &str,
        holder: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let key = lock_key(account, email);
        let row = form_email_lock::ActiveModel {
            lock_key: Set(key.clone()),
            holder: Set(holder.to_string()),
            expires_at: Set(now + lease),
        };
        match form_email_lock::Entity::insert(row)
            .exec_without_returning(db)
            .await
        {
            Ok(_) => return Ok(true),
            Err(e) => match StoreError::from_write(e, String::new) {
                StoreError::Duplicate { .. } => {}
                other => return Err(other),
            },
        }
        // Held: take it over only when it has expired (its holder died) or is our own.
        let lapsed_or_own = form_email_lock::Column::ExpiresAt
            .lt(now)
            .or(form_email_lock::Column::Holder.eq(holder));
        hold(db, &key, holder, lapsed_or_own, lease, now).await
    }

    /// Extends `holder`'s lock to `now + lease`; false when `holder` no longer has it
    /// (it lapsed and another delivery took it over, or it was released).
    pub async fn renew<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        email: &str,
        holder: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let own = form_email_lock::Column::Holder.eq(holder);
        hold(db, &lock_key(account, email), holder, own, lease, now).await
    }

    /// Gives the lock back (only if `holder` still has it).
    pub async fn release<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        email: &str,
        holder: &str,
    ) -> Result<(), StoreError> {
        form_email_lock::Entity::delete_many()
            .filter(form_email_lock::Column::LockKey.eq(lock_key(account, email)))
            .filter(form_email_lock::Column::Holder.eq(holder))
            .exec(db)
            .await?;
        Ok(())
    }
}
