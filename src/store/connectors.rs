//! Configured CRM connectors, one per account and kind.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};

use super::{AccountId, ConnectorId, StoreError, entity::connector};

/// Where a connector stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectorStatus {
    /// Credentials stored and verified; syncs may use it.
    Connected,
    /// Credentials forgotten by *Reset Connector*; needs *Reconfirm Login*.
    Reset,
}

impl ConnectorStatus {
    /// The stored text form.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorStatus::Connected => "connected",
            ConnectorStatus::Reset => "reset",
        }
    }
}

impl FromStr for ConnectorStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "connected" => Ok(ConnectorStatus::Connected),
            "reset" => Ok(ConnectorStatus::Reset),
            other => Err(format!("unknown connector status '{other}'")),
        }
    }
}

/// The CRM user a successful verification logged in as, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedUser {
    /// The CRM's user id.
    pub crm_user_id: String,
    /// The user's display name.
    pub crm_user_name: String,
    /// When the login was verified.
    pub verified_at: DateTime<Utc>,
}

/// New credentials (and address) after a successful *Reconfirm Login*.
#[derive(Clone)]
pub struct ConnectorCredentials {
    /// The CRM's base URL (changed when the CRM moved).
    pub base_url: String,
    /// CRM login name.
    pub username: String,
    /// The password encrypted by `crate::secrets::Cipher`.
    pub password_encrypted: Vec<u8>,
}

/// A connector's own request budget, where it differs from the service's defaults
/// (`None`: the default). Exists for CRMs that allow more, or need less, than the rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectorRateLimit {
    /// Sustained requests per second.
    pub requests_per_second: Option<u32>,
    /// Requests in flight at once.
    pub concurrency: Option<u32>,
}

/// A stored connector. The password stays encrypted here; only
/// `crate::connectors::ConnectorService` decrypts it, to build a live connector.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectorRecord {
    /// Its id.
    pub id: ConnectorId,
    /// Owning account.
    pub account_id: AccountId,
    /// Registry kind, e.g. `infor-crm`.
    pub kind: String,
    /// Base URL as typed.
    pub base_url: String,
    /// CRM login name.
    pub username: String,
    /// Encrypted password; `None` once reset.
    pub password_encrypted: Option<Vec<u8>>,
    /// Connected or reset.
    pub status: ConnectorStatus,
    /// The user at the last verification.
    pub verified: Option<VerifiedUser>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Its own request budget, if any.
    pub rate_limit: ConnectorRateLimit,
}

impl fmt::Debug for ConnectorRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectorRecord")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .field("status", &self.status)
            .field("rate_limit", &self.rate_limit)
            .finish_non_exhaustive()
    }
}

impl TryFrom<connector::Model> for ConnectorRecord {
    type Error = StoreError;
    fn try_from(row: connector::Model) -> Result<Self, StoreError> {
        let corrupt = |message: String| StoreError::Corrupt {
            table: "connectors",
            id: row.id.clone(),
            message,
        };
        let id = ConnectorId::from_db(&row.id).ok_or_else(|| corrupt("id is not a UUID".into()))?;
        let account_id = AccountId::from_db(&row.account_id)
            .ok_or_else(|| corrupt("account_id is not a UUID".into()))?;
        let status = row.status.parse().map_err(corrupt)?;
        let positive = |value: Option<i32>, column: &str| {
            value
                .map(|n| {
                    u32::try_from(n)
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| corrupt(format!("{column} is {n}, not at least 1")))
                })
                .transpose()
        };
        let rate_limit = ConnectorRateLimit {
            requests_per_second: positive(
                row.rate_limit_requests_per_second,
                "rate_limit_requests_per_second",
            )?,
            concurrency: positive(row.rate_limit_concurrency, "rate_limit_concurrency")?,
        };
        let verified = match (row.crm_user_id, row.crm_user_name, row.last_verified_at) {
            (Some(crm_user_id), Some(crm_user_name), Some(verified_at)) => Some(VerifiedUser {
                crm_user_id,
                crm_user_name,
                verified_at,
            }),
            _ => None,
        };
        Ok(ConnectorRecord {
            id,
            account_id,
            kind: row.kind,
            base_url: row.base_url,
            username: row.username,
            password_encrypted: row.password_encrypted,
            status,
            verified,
            created_at: row.created_at,
            updated_at: row.updated_at,
            rate_limit,
        })
    }
}

/// Reads and writes `connectors`; every call is scoped to one account.
#[derive(Debug)]
pub struct ConnectorRepo<'a> {
    pub(super) db: &'a DatabaseConnection,
}

impl<'a> ConnectorRepo<'a> {
    pub(super) fn new(db: &'a DatabaseConnection) -> Self {
        ConnectorRepo { db }
    }

    /// Inserts a connector; a second one of the same kind for the account is
    /// [`StoreError::Duplicate`].
    pub async fn insert(&self, record: &ConnectorRecord) -> Result<(), StoreError> {
        let verified = record.verified.as_ref();
        let row = connector::ActiveModel {
            id: Set(record.id.as_db()),
            account_id: Set(record.account_id.as_db()),
            kind: Set(record.kind.clone()),
            base_url: Set(record.base_url.clone()),
            username: Set(record.username.clone()),
            password_encrypted: Set(record.password_encrypted.clone()),
            status: Set(record.status.as_str().to_string()),
            crm_user_id: Set(verified.map(|v| v.crm_user_id.clone())),
            crm_user_name: Set(verified.map(|v| v.crm_user_name.clone())),
            last_verified_at: Set(verified.map(|v| v.verified_at)),
            created_at: Set(record.created_at),
            updated_at: Set(record.updated_at),
            rate_limit_requests_per_second: Set(stored(record.rate_limit.requests_per_second)),
            rate_limit_concurrency: Set(stored(record.rate_limit.concurrency)),
        };
        connector::Entity::insert(row)
            .exec_without_returning(self.db)
            .await
            .map_err(|e| {
                StoreError::from_write(e, || {
                    format!("a '{}' connector for this account", record.kind)
                })
            })?;
        Ok(())
    }

    /// The account's connector with this id, if any.
    pub async fn get(
        &self,
        account: AccountId,
        id: ConnectorId,
    ) -> Result<Option<ConnectorRecord>, StoreError> {
        connector::Entity::find_by_id(id.as_db())
            .filter(connector::Column::AccountId.eq(account.as_db()))
            .one(self.db)
            .await?
            .map(ConnectorRecord::try_from)
            .transpose()
    }

    /// All of the account's connectors, oldest first.
    pub async fn list(&self, account: AccountId) -> Result<Vec<ConnectorRecord>, StoreError> {
        connector::Entity::find()
            .filter(connector::Column::AccountId.eq(account.as_db()))
            .order_by_asc(connector::Column::CreatedAt)
            .order_by_asc(connector::Column::Id)
            .all(self.db)
            .await?
            .into_iter()
            .map(ConnectorRecord::try_from)
            .collect()
    }

    /// Stores verified credentials and marks the connector connected.
    /// Returns false when the account has no such connector.
    pub async fn set_credentials(
        &self,
        account: AccountId,
        id: ConnectorId,
        credentials: &ConnectorCredentials,
        user: &VerifiedUser,
    ) -> Result<bool, StoreError> {
        self.update(
            account,
            id,
            connector::ActiveModel {
                base_url: Set(credentials.base_url.clone()),
                username: Set(credentials.username.clone()),
                password_encrypted: Set(Some(credentials.password_encrypted.clone())),
                status: Set(ConnectorStatus::Connected.as_str().to_string()),
                crm_user_id: Set(Some(user.crm_user_id.clone())),
                crm_user_name: Set(Some(user.crm_user_name.clone())),
                last_verified_at: Set(Some(user.verified_at)),
                updated_at: Set(user.verified_at),
                ..blank()
            },
        )
        .await
    }

    /// Forgets the password and marks the connector reset, keeping everything
    /// else. Returns false when the account has no such connector.
    pub async fn reset(
        &self,
        account: AccountId,
        id: ConnectorId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.update(
            account,
            id,
            connector::ActiveModel {
                password_encrypted: Set(None),
                status: Set(ConnectorStatus::Reset.as_str().to_string()),
                updated_at: Set(now),
                ..blank()
            },
        )
        .await
    }

    async fn update(
        &self,
        account: AccountId,
        id: ConnectorId,
        changes: connector::ActiveModel,
    ) -> Result<bool, StoreError> {
        let result = connector::Entity::update_many()
            .set(changes)
            .filter(connector::Column::Id.eq(id.as_db()))
            .filter(connector::Column::AccountId.eq(account.as_db()))
            .exec(self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }
}

/// An active model that changes nothing, to fill in with `..blank()`.
fn blank() -> connector::ActiveModel {
    connector::ActiveModel {
        id: NotSet,
        account_id: NotSet,
        kind: NotSet,
        base_url: NotSet,
        username: NotSet,
        password_encrypted: NotSet,
        status: NotSet,
        crm_user_id: NotSet,
        crm_user_name: NotSet,
        last_verified_at: NotSet,
        created_at: NotSet,
        updated_at: NotSet,
        rate_limit_requests_per_second: NotSet,
        rate_limit_concurrency: NotSet,
    }
}

/// A budget value as its column holds it (values above `i32::MAX` are capped; the API
/// refuses anything near that long before).
fn stored(value: Option<u32>) -> Option<i32> {
    value.map(|n| i32::try_from(n).unwrap_or(i32::MAX))
}
