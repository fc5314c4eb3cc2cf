//! Lookup key hashes and the lookup from a presented key's hash to its account: the
//! credential of the public `/crm-lookup/{lookup_key}` URL a phone system calls.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};

use super::{AccountId, LookupKeyId, Store, StoreError, entity::lookup_key};

/// What is stored for a new lookup key: never the key or its secret.
#[derive(Debug, Clone)]
pub struct NewLookupKey {
    /// Record id.
    pub id: LookupKeyId,
    /// Owning account.
    pub account_id: AccountId,
    /// What the key is for.
    pub name: String,
    /// Lower-case hex SHA-256 of the key.
    pub key_hash: String,
    /// The key's first characters, for telling keys apart.
    pub prefix: String,
    /// SHA-256 of the required `X-Lookup-Secret` value, if one is required.
    pub secret_hash: Option<String>,
    /// The field typed digits are matched against, if any.
    pub dtmf_field: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A stored lookup key: never the key, only its first characters and whether a secret
/// is required (the secret's hash stays inside the store and the `callers` service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupKeyRecord {
    /// Record id.
    pub id: LookupKeyId,
    /// Owning account.
    pub account_id: AccountId,
    /// What the key is for.
    pub name: String,
    /// The key's first characters.
    pub prefix: String,
    /// SHA-256 of the required secret, if any; compared in constant time by `callers`.
    pub secret_hash: Option<String>,
    /// The field typed digits are matched against, if any.
    pub dtmf_field: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An unrevoked key as a lookup reads it: the key, and its account's default phone
/// region (ISO 3166 alpha-2) for numbers dialled in national form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveLookupKey {
    /// The stored key.
    pub key: LookupKeyRecord,
    /// The owning account's default region, if set.
    pub default_region: Option<String>,
}

/// A `lookup_keys` row with its account's region beside it.
#[derive(Debug, FromQueryResult)]
struct KeyWithRegion {
    id: String,
    account_id: String,
    name: String,
    key_hash: String,
    prefix: String,
    secret_hash: Option<String>,
    dtmf_field: Option<String>,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    account_default_region: Option<String>,
}

impl From<KeyWithRegion> for lookup_key::Model {
    fn from(row: KeyWithRegion) -> Self {
        lookup_key::Model {
            id: row.id,
            account_id: row.account_id,
            name: row.name,
            key_hash: row.key_hash,
            prefix: row.prefix,
            secret_hash: row.secret_hash,
            dtmf_field: row.dtmf_field,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        }
    }
}

fn record(row: lookup_key::Model) -> Result<LookupKeyRecord, StoreError> {
    let corrupt = |message: &str| StoreError::Corrupt {
        table: "lookup_keys",
        id: row.id.clone(),
        message: message.to_string(),
    };
    let id = LookupKeyId::from_db(&row.id).ok_or_else(|| corrupt("id is not a UUID"))?;
    let account_id =
        AccountId::from_db(&row.account_id).ok_or_else(|| corrupt("account_id is not a UUID"))?;
    Ok(LookupKeyRecord {
        id,
        account_id,
        name: row.name,
        prefix: row.prefix,
        secret_hash: row.secret_hash,
        dtmf_field: row.dtmf_field,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
    })
}

impl Store {
    /// Lookup keys of the phone-system lookup URL.
    pub fn lookup_keys(&self) -> LookupKeyRepo<'_> {
        LookupKeyRepo::new(self.conn())
    }
}

/// Reads and writes `lookup_keys`.
#[derive(Debug)]
pub struct LookupKeyRepo<'a> {
    db: &'a DatabaseConnection,
}

impl<'a> LookupKeyRepo<'a> {
    /// A repository over `db`.
    pub fn new(db: &'a DatabaseConnection) -> Self {
        LookupKeyRepo { db }
    }

    /// Stores a key's hash.
    pub async fn insert(&self, key: &NewLookupKey) -> Result<(), StoreError> {
        let row = lookup_key::ActiveModel {
            id: Set(key.id.as_db()),
            account_id: Set(key.account_id.as_db()),
            name: Set(key.name.clone()),
            key_hash: Set(key.key_hash.clone()),
            prefix: Set(key.prefix.clone()),
            secret_hash: Set(key.secret_hash.clone()),
            dtmf_field: Set(key.dtmf_field.clone()),
            created_at: Set(key.created_at),
            revoked_at: Set(None),
        };
        lookup_key::Entity::insert(row)
            .exec_without_returning(self.db)
            .await
            .map_err(|e| StoreError::from_write(e, || format!("lookup key {}", key.prefix)))?;
        Ok(())
    }

    /// The unrevoked key with this hash, if any, with its account's default phone
    /// region: what answering a lookup needs first, in one indexed statement (the
    /// region is a sub-select on the account's primary key).
    pub async fn find_active_by_hash(
        &self,
        key_hash: &str,
    ) -> Result<Option<ActiveLookupKey>, StoreError> {
        let Some(row) = lookup_key::Entity::find()
            .column_as(
                Expr::cust(
                    "(SELECT accounts.default_region FROM accounts \
                     WHERE accounts.id = lookup_keys.account_id)",
                ),
                "account_default_region",
            )
            .filter(lookup_key::Column::KeyHash.eq(key_hash))
            .filter(lookup_key::Column::RevokedAt.is_null())
            .into_model::<KeyWithRegion>()
            .one(self.db)
            .await?
        else {
            return Ok(None);
        };
        let default_region = row.account_default_region.clone();
        Ok(Some(ActiveLookupKey {
            key: record(row.into())?,
            default_region,
        }))
    }

    /// The account's unrevoked keys, newest first.
    pub async fn list_active(
        &self,
        account: AccountId,
    ) -> Result<Vec<LookupKeyRecord>, StoreError> {
        lookup_key::Entity::find()
            .filter(lookup_key::Column::AccountId.eq(account.as_db()))
            .filter(lookup_key::Column::RevokedAt.is_null())
            .order_by_desc(lookup_key::Column::CreatedAt)
            .order_by_desc(lookup_key::Column::Id)
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
        id: LookupKeyId,
    ) -> Result<Option<LookupKeyRecord>, StoreError> {
        lookup_key::Entity::find_by_id(id.as_db())
            .filter(lookup_key::Column::AccountId.eq(account.as_db()))
            .one(self.db)
            .await?
            .map(record)
            .transpose()
    }

    /// Revokes the account's key at `at`; false when there is no such unrevoked key.
    pub async fn revoke(
        &self,
        account: AccountId,
        id: LookupKeyId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = lookup_key::Entity::update_many()
            .col_expr(lookup_key::Column::RevokedAt, Expr::value(at))
            .filter(lookup_key::Column::Id.eq(id.as_db()))
            .filter(lookup_key::Column::AccountId.eq(account.as_db()))
            .filter(lookup_key::Column::RevokedAt.is_null())
            .exec(self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }
}
