//! API key hashes and the lookup from a presented key's hash to its account.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

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

/// A stored API key as its account's admins see it: never the key, only its first
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Record id.
    pub id: ApiKeyId,
    /// The key's first characters.
    pub prefix: String,
    /// What the key is for.
    pub label: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a request (to the minute), if ever.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

fn record(row: api_key::Model) -> Result<ApiKeyRecord, StoreError> {
    let id = ApiKeyId::from_db(&row.id).ok_or_else(|| StoreError::Corrupt {
        table: "api_keys",
        id: row.id.clone(),
        message: "id is not a UUID".to_string(),
    })?;
    Ok(ApiKeyRecord {
        id,
        prefix: row.prefix,
        label: row.label,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        revoked_at: row.revoked_at,
    })
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
            last_used_at: Set(None),
        };
        api_key::Entity::insert(row)
            .exec_without_returning(self.db)
            .await
            .map_err(|e| StoreError::from_write(e, || format!("API key {}", key.prefix)))?;
        Ok(())
    }

    /// The unrevoked key with this hash and its account, if any: the key's record
    /// tells the caller whether its last use needs writing.
    pub async fn authenticate(
        &self,
        key_hash: &str,
    ) -> Result<Option<(ApiKeyRecord, Account)>, StoreError> {
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
        let Some(account) = super::AccountRepo::new(self.db).get(account_id).await? else {
            return Ok(None);
        };
        Ok(Some((record(key)?, account)))
    }

    /// Records that the key authenticated a request at `at`.
    pub async fn touch(&self, id: ApiKeyId, at: DateTime<Utc>) -> Result<(), StoreError> {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(at))
            .filter(api_key::Column::Id.eq(id.as_db()))
            .exec(self.db)
            .await?;
        Ok(())
    }

    /// The account's unrevoked keys, newest first.
    pub async fn list_active(&self, account: AccountId) -> Result<Vec<ApiKeyRecord>, StoreError> {
        api_key::Entity::find()
            .filter(api_key::Column::AccountId.eq(account.as_db()))
            .filter(api_key::Column::RevokedAt.is_null())
            .order_by_desc(api_key::Column::CreatedAt)
            .order_by_asc(api_key::Column::Id)
            .all(self.db)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    /// The account's key with this id (revoked or not), if any.
    pub async fn get(
        &self,
        account: AccountId,
        id: ApiKeyId,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        api_key::Entity::find_by_id(id.as_db())
            .filter(api_key::Column::AccountId.eq(account.as_db()))
            .one(self.db)
            .await?
            .map(record)
            .transpose()
    }

    /// Revokes the account's key at `at`; false when there is no such unrevoked key.
    pub async fn revoke(
        &self,
        account: AccountId,
        id: ApiKeyId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAt, Expr::value(at))
            .filter(api_key::Column::Id.eq(id.as_db()))
            .filter(api_key::Column::AccountId.eq(account.as_db()))
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }
}
