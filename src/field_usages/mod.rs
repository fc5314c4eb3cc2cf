//! Field usages (Standard Field Names): the account's column → system usage mapping.
//! The one home of the concept's behaviour: names are checked against [`SystemUsage`]
//! here, so the engine can always resolve what is stored. The API and the console both
//! save through these functions; the types live in [`crate::domain::field_usage`] and
//! the rows in [`FieldUsageRepo`].

mod error;

pub use error::FieldUsageError;

use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use crate::{
    AppState,
    domain::field_usage::{FieldUsage, SystemUsage},
    store::{AccountId, FieldUsageRepo, StoreError},
};

/// Parses a usage name; a refusal names every valid one.
pub fn parse(raw: &str) -> Result<SystemUsage, FieldUsageError> {
    SystemUsage::parse(raw).ok_or_else(|| FieldUsageError::UnknownUsage {
        usage: raw.to_string(),
    })
}

/// The account's field usages, by column name.
pub async fn all(state: &AppState, account: AccountId) -> Result<Vec<FieldUsage>, FieldUsageError> {
    Ok(FieldUsageRepo.all(state.store.conn(), account).await?)
}

/// Gives a column name a usage, replacing its previous usage.
pub async fn set(
    state: &AppState,
    account: AccountId,
    column: &str,
    usage: &str,
) -> Result<FieldUsage, FieldUsageError> {
    let column = column.trim();
    if column.is_empty() {
        return Err(FieldUsageError::EmptyColumn);
    }
    let usage = parse(usage)?;
    Ok(set_in(state.store.conn(), state, account, column, usage).await?)
}

/// Whether `column` has a phone usage (its values are in the phone index).
async fn phone_usage<C: ConnectionTrait>(
    db: &C,
    account: AccountId,
    column: &str,
) -> Result<bool, StoreError> {
    let usages = FieldUsageRepo.all(db, account).await?;
    Ok(FieldUsage::of(&usages, column)
        .and_then(|u| SystemUsage::parse(&u.usage))
        .is_some_and(SystemUsage::is_phone))
}

/// Gives `column` the checked `usage` inside the caller's transaction (an upload's,
/// *Optimize for Infor CRM*'s), so the usage commits with what made it; returns what
/// was stored. Giving or taking a phone usage re-indexes the account's phone numbers
/// in the same transaction.
pub async fn set_in<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    state: &AppState,
    account: AccountId,
    column: &str,
    usage: SystemUsage,
) -> Result<FieldUsage, StoreError> {
    let tx = db.begin().await?;
    let was_phone = phone_usage(&tx, account, column).await?;
    FieldUsageRepo
        .set(
            &tx,
            state.random.uuid(),
            account,
            column,
            usage.as_str(),
            state.clock.now(),
        )
        .await?;
    // The index reads only whether a column has a phone usage, not which one.
    if was_phone != usage.is_phone() {
        crate::callers::index::reindex_account(&tx, account).await?;
    }
    tx.commit().await?;
    state.intake_cache.forget_account(account);
    Ok(FieldUsage {
        column: column.to_string(),
        usage: usage.as_str().to_string(),
    })
}

/// Removes a column's usage.
pub async fn remove(
    state: &AppState,
    account: AccountId,
    column: &str,
) -> Result<(), FieldUsageError> {
    let column = column.trim();
    let tx = state.store.conn().begin().await.map_err(StoreError::from)?;
    let was_phone = phone_usage(&tx, account, column).await?;
    if !FieldUsageRepo.remove(&tx, account, column).await? {
        return Err(FieldUsageError::NotFound(column.to_string()));
    }
    if was_phone {
        crate::callers::index::reindex_account(&tx, account).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    state.intake_cache.forget_account(account);
    Ok(())
}
