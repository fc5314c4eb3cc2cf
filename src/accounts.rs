//! Accounts and their API keys: creating them (the CLI), and what an account's admins
//! do from the console (name and time zone; create, list and revoke keys).

use crate::{
    clock::{Clock, Random},
    store::{
        Account, AccountId, AccountSettings, ApiKeyId, ApiKeyRecord, NewApiKey, Store, StoreError,
    },
    tokens::ApiKey,
};

/// The longest account name accepted.
const MAX_NAME_LEN: usize = 100;
/// The longest API key name accepted.
const MAX_LABEL_LEN: usize = 100;

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
    /// Another account already has this name.
    #[error("another account is already named '{0}'; choose another name")]
    NameTaken(String),
    /// The default region is not an ISO 3166 alpha-2 code with phone numbers.
    #[error(
        "'{0}' is not a region with phone numbers; use an ISO 3166 alpha-2 code such as GB or US, or leave it blank"
    )]
    InvalidRegion(String),
    /// The time zone is not an IANA time zone name.
    #[error("'{0}' is not a time zone; choose one from the list (for example Europe/Paris or UTC)")]
    InvalidTimeZone(String),
    /// An API key's name is empty, too long or has control characters.
    #[error("invalid API key name: {0}")]
    InvalidLabel(&'static str),
    /// No unrevoked API key with that id in the account.
    #[error("there is no such API key in this account")]
    UnknownKey,
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

    /// Adds an API key named `label` to `account`; the key is returned once.
    pub async fn create_key_in(
        &self,
        account: AccountId,
        label: &str,
    ) -> Result<(ApiKey, String), AccountError> {
        let label = validate_label(label)?;
        let key = self.insert_key(account, &label).await?;
        Ok((key, label))
    }

    /// The account's unrevoked API keys, newest first.
    pub async fn list_keys(&self, account: AccountId) -> Result<Vec<ApiKeyRecord>, AccountError> {
        Ok(self.store.api_keys().list_active(account).await?)
    }

    /// The account's unrevoked API key with this id.
    pub async fn key(
        &self,
        account: AccountId,
        id: ApiKeyId,
    ) -> Result<ApiKeyRecord, AccountError> {
        match self.store.api_keys().get(account, id).await? {
            Some(key) if key.revoked_at.is_none() => Ok(key),
            _ => Err(AccountError::UnknownKey),
        }
    }

    /// Revokes the account's API key: the next request with it is refused.
    pub async fn revoke_key(
        &self,
        account: AccountId,
        id: ApiKeyId,
    ) -> Result<ApiKeyRecord, AccountError> {
        let key = self.key(account, id).await?;
        if !self
            .store
            .api_keys()
            .revoke(account, id, self.clock.now())
            .await?
        {
            return Err(AccountError::UnknownKey);
        }
        Ok(key)
    }

    /// The account's name and default time zone.
    pub async fn settings(&self, account: AccountId) -> Result<AccountSettings, AccountError> {
        self.store
            .accounts()
            .settings(account)
            .await?
            .ok_or_else(|| AccountError::UnknownAccount(account.to_string()))
    }

    /// Renames the account and sets its default time zone (an IANA name, checked by
    /// parsing it) and default phone region (ISO 3166 alpha-2, blank for none). A name
    /// another account has is [`AccountError::NameTaken`]. A changed region re-reads the
    /// account's phone index, since national numbers now mean other numbers.
    pub async fn update_settings(
        &self,
        account: AccountId,
        name: &str,
        time_zone: &str,
        default_region: &str,
    ) -> Result<AccountSettings, AccountError> {
        let name = validate_name(name)?;
        let time_zone = validate_time_zone(time_zone)?;
        let default_region = crate::callers::phones::validate_region(default_region)
            .map_err(|_| AccountError::InvalidRegion(default_region.trim().to_string()))?;
        let settings = AccountSettings {
            name,
            time_zone,
            default_region,
        };
        // The old region is read, the new one saved and the phone index re-read in one
        // transaction: the index never holds numbers read with another region than the
        // one saved, even if this fails half-way.
        let tx = sea_orm::TransactionTrait::begin(self.store.conn())
            .await
            .map_err(StoreError::from)?;
        let before = crate::store::AccountRepo::settings_in(&tx, account)
            .await?
            .ok_or_else(|| AccountError::UnknownAccount(account.to_string()))?
            .default_region;
        match crate::store::AccountRepo::update_settings_in(&tx, account, &settings).await {
            Ok(true) => {}
            Ok(false) => return Err(AccountError::UnknownAccount(account.to_string())),
            Err(StoreError::Duplicate { .. }) => {
                return Err(AccountError::NameTaken(settings.name));
            }
            Err(other) => return Err(other.into()),
        }
        if before != settings.default_region {
            crate::callers::index::reindex_account(&tx, account).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(settings)
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

/// The IANA name of `raw` (trimmed) when it is one `chrono_tz` knows.
fn validate_time_zone(raw: &str) -> Result<String, AccountError> {
    raw.trim()
        .parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_string())
        .map_err(|_| AccountError::InvalidTimeZone(raw.trim().to_string()))
}

fn validate_label(raw: &str) -> Result<String, AccountError> {
    let label = raw.trim();
    if label.is_empty() {
        return Err(AccountError::InvalidLabel(
            "give the key a name that says what uses it",
        ));
    }
    if label.chars().count() > MAX_LABEL_LEN {
        return Err(AccountError::InvalidLabel(
            "it is longer than 100 characters",
        ));
    }
    if label.chars().any(char::is_control) {
        return Err(AccountError::InvalidLabel("it contains control characters"));
    }
    Ok(label.to_string())
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

    #[test]
    fn time_zones_and_key_names_are_checked() {
        assert_eq!(
            validate_time_zone(" Europe/Paris ").unwrap(),
            "Europe/Paris"
        );
        assert_eq!(validate_time_zone("UTC").unwrap(), "UTC");
        assert!(validate_time_zone("Mars/Olympus").is_err());
        assert!(validate_time_zone("").is_err());
        assert_eq!(validate_label(" Zapier ").unwrap(), "Zapier");
        assert!(validate_label("  ").is_err());
        assert!(validate_label("a\nb").is_err());
    }
}
