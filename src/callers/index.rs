//! Keeping the phone index whole when what it is derived from changes outside member
//! writes: the account's default region or its field usages. Member writes keep it in
//! step themselves ([`crate::store::PhoneIndexRepo`], hooked into the member
//! repository, in the same transaction).

use sea_orm::TransactionTrait;

use super::CallerError;
use crate::store::{AccountId, PhoneIndexRepo, Store, StoreError};

/// Re-reads every member of the account into the phone index, in one transaction (after
/// the default region or a field usage changed, which changes what its values mean).
pub async fn reindex_account(store: &Store, account: AccountId) -> Result<(), CallerError> {
    let tx = store.conn().begin().await.map_err(StoreError::from)?;
    PhoneIndexRepo.reindex_account(&tx, account).await?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(account = %account, "phone index rebuilt");
    Ok(())
}
