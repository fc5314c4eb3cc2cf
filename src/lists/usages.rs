//! Standard Field Names: the account's column → system usage mapping, validated against
//! [`SystemUsage`] so the engine can always resolve what is stored.

use super::ListError;
use crate::{
    AppState,
    engine::usage::SystemUsage,
    store::{AccountId, FieldUsage, ListRepo},
};

/// Parses a usage name, or names every valid one.
pub fn parse_usage(raw: &str) -> Result<SystemUsage, ListError> {
    SystemUsage::parse(raw).ok_or_else(|| ListError::InvalidUsage {
        usage: raw.to_string(),
    })
}

/// The account's mapping, by column name.
pub async fn all(state: &AppState, account: AccountId) -> Result<Vec<FieldUsage>, ListError> {
    Ok(ListRepo.usages(state.store.conn(), account).await?)
}

/// Maps a column name to a usage, replacing its previous usage.
pub async fn set(
    state: &AppState,
    account: AccountId,
    column: &str,
    usage: &str,
) -> Result<FieldUsage, ListError> {
    let column = column.trim();
    if column.is_empty() {
        return Err(ListError::Invalid {
            field: "column",
            message: "must not be empty".into(),
        });
    }
    let usage = parse_usage(usage)?;
    ListRepo
        .set_usage(
            state.store.conn(),
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
pub async fn remove(state: &AppState, account: AccountId, column: &str) -> Result<(), ListError> {
    if ListRepo
        .remove_usage(state.store.conn(), account, column.trim())
        .await?
    {
        Ok(())
    } else {
        Err(ListError::UsageNotFound(column.to_string()))
    }
}
