//! Creating accounts and API keys (used by the CLI, later by an admin API).

use crate::{
    auth::ApiKey,
    clock::{Clock, Random},
    store::{Account, AccountId, ApiKeyId, NewApiKey, Store, StoreError},
};

/// The longest account name accepted.
const MAX_NAME_LEN: usize = 100;

/// Why an account or key could not be created.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The name is empty, too long or has control characters.
    #[error("invalid account name '{name}': {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// No account has that name.
    #[error("no account named '{0}'")]
    UnknownAccount(String),
    /// The store failed (including a taken name).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The parts a new account or key needs from the application.
#[derive(Clone, Copy)]
pub struct AccountAdmin<'a> {
    /// The database.
    pub store: &'a Store,
    /// The time source.
    pub clock: &'a dyn Clock,
    /// The randomness source for ids and keys.
    pub random: &'a dyn Random,
}

impl AccountAdmin<'_> {
    /// Creates an account named `name` with a first API key, returned once.
    pub async fn create_account(&self, name: &str) -> Result<(Account, ApiKey), AccountError> {
        let name = validate_name(name)?;
        let account = Account {
            id: AccountId(self.random.uuid()),
            name,
            created_at: self.clock.now(),
        };
        self.store.accounts().create(&account).await?;
        let key = self
            .insert_key(account.id, "created with the account")
            .await?;
        Ok((account, key))
    }

    /// Adds another API key to the account named `account_name`.
    pub async fn create_api_key(
        &self,
        account_name: &str,
        label: &str,
    ) -> Result<ApiKey, AccountError> {
        let account = self
            .store
            .accounts()
            .find_by_name(account_name.trim())
            .await?
            .ok_or_else(|| AccountError::UnknownAccount(account_name.to_string()))?;
        self.insert_key(account.id, label).await
    }

    async fn insert_key(&self, account_id: AccountId, label: &str) -> Result<ApiKey, AccountError> {
        let key = ApiKey::generate(self.random);
        self.store
            .api_keys()
            .insert(&NewApiKey {
                id: ApiKeyId(self.random.uuid()),
                account_id,
                key_hash: key.hash(),
                prefix: key.display_prefix(),
                label: label.to_string(),
                created_at: self.clock.now(),
            })
            .await?;
        Ok(key)
    }
}

fn validate_name(raw: &str) -> Result<String, AccountError> {
    let name = raw.trim();
    let invalid = |reason| AccountError::InvalidName {
        name: raw.to_string(),
        reason,
    };
    if name.is_empty() {
        return Err(invalid("it is empty"));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(invalid("it is longer than 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("it contains control characters"));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(validate_name("  acme ").unwrap(), "acme");
        assert!(validate_name("   ").is_err());
        assert!(validate_name("a\u{7}b").is_err());
        assert!(validate_name(&"x".repeat(101)).is_err());
        assert!(validate_name(&"é".repeat(100)).is_ok());
    }
}
