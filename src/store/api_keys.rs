//! API key hashes and the lookup from a presented key's hash to its account.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{Account, AccountId, ApiKeyId, StoreError, entity::api_key};

/// What is stored for a new API key: never the key itself.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// Record id.
    pub id: ApiKeyId,
    /// Owning account.
    pub account_id: AccountId,
    /// Lower-case hex SHA-256 of the key.
    pub key_hash: String,
    /// The key's first characters, for telling keys apart.
    pub prefix: String,
    /// What the key is for.
    pub label: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Reads and writes `api_keys`.
#[derive(Debug)]
pub struct ApiKeyRepo<'a> {
    db: &'a DatabaseConnection,
}

impl<'a> ApiKeyRepo<'a> {
    pub(super) fn new(db: &'a DatabaseConnection) -> Self {
        ApiKeyRepo { db }
    }

    /// Stores a key's hash.
    pub async fn insert(&self, key: &NewApiKey) -> Result<(), StoreError> {
        let row = api_key::ActiveModel {
            id: Set(key.id.as_db()),
            account_id: Set(key.account_id.as_db()),
            key_hash: Set(key.key_hash.clone()),
            prefix: Set(key.prefix.clone()),
            label: Set(key.label.clone()),
            created_at: Set(key.created_at),
            revoked_at: Set(None),
        };
        api_key::Entity::insert(row)
            .exec_without_returning(self.db)
            .await
            .map_err(|e| StoreError::from_write(e, || format!("API key {}", key.prefix)))?;
        Ok(())
    }

    /// The account owning the unrevoked key with this hash, if any.
    pub async fn account_for_hash(&self, key_hash: &str) -> Result<Option<Account>, StoreError> {
        let Some(key) = api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(key_hash))
            .filter(api_key::Column::RevokedAt.is_null())
            .one(self.db)
            .await?
        else {
            return Ok(None);
        };
        let account_id =
            AccountId::from_db(&key.account_id).ok_or_else(|| StoreError::Corrupt {
                table: "api_keys",
                id: key.id.clone(),
                message: "account_id is not a UUID".to_string(),
            })?;
        super::AccountRepo::new(self.db).get(account_id).await
    }
}
