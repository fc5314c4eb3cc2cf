//! Field usages (Standard Field Names): the account's column → system usage mapping.
//! The one home of the concept's behaviour: names are checked against [`SystemUsage`]
//! here, so the engine can always resolve what is stored. The API and the console both
//! save through these functions; the types live in [`crate::domain::field_usage`] and
//! the rows in [`FieldUsageRepo`].

mod error;

pub use error::FieldUsageError;

use sea_orm::ConnectionTrait;

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

/// Gives `column` the checked `usage` inside the caller's transaction (an upload's,
/// *Optimize for Infor CRM*'s), so the usage commits with what made it; returns what
/// was stored.
pub async fn set_in<C: ConnectionTrait>(
    db: &C,
    state: &AppState,
    account: AccountId,
    column: &str,
    usage: SystemUsage,
) -> Result<FieldUsage, StoreError> {
    FieldUsageRepo
        .set(
            db,
            state.random.uuid(),
            account,
            column,
            usage.as_str(),
            state.clock.now(),
        )
        .await?;
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
    if FieldUsageRepo
        .remove(state.store.conn(), account, column.trim())
        .await?
    {
        Ok(())
    } else {
        Err(FieldUsageError::NotFound(column.to_string()))
    }
}
