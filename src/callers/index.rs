//! Keeping the phone index whole when what it is derived from changes outside member
//! writes: the account's default region or its field usages. Member writes keep it in
//! step themselves ([`crate::store::PhoneIndexRepo`], hooked into the member
//! repository, in the same transaction).

use sea_orm::ConnectionTrait;

use crate::store::{AccountId, PhoneIndexRepo, StoreError};

/// Re-reads every member of the account into the phone index, in the caller's
/// transaction: the one that changed the default region or a phone field usage, which
/// change what the values mean, so the change and the index commit together.
pub async fn reindex_account<C: ConnectionTrait>(
    db: &C,
    account: AccountId,
) -> Result<(), StoreError> {
    PhoneIndexRepo.reindex_account(db, account).await?;
    tracing::info!(account = %account, "phone index rebuilt");
    Ok(())
}
