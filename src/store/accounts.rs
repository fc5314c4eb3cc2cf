//! Accounts (tenants).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::Expr,
};

use super::{AccountId, StoreError, entity::account};

/// A tenant: owns connectors, lists, forms, schedules and API keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// Its unique name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl TryFrom<account::Model> for Account {
    type Error = StoreError;
    fn try_from(row: account::Model) -> Result<Self, StoreError> {
        let id = AccountId::from_db(&row.id).ok_or_else(|| StoreError::Corrupt {
            table: "accounts",
            id: row.id.clone(),
            message: "id is not a UUID".to_string(),
        })?;
        Ok(Account {
            id,
            name: row.name,
            created_at: row.created_at,
        })
    }
}

/// The time zone of a new account.
pub const DEFAULT_TIME_ZONE: &str = "UTC";

/// What an admin may change about their account: its name, default time zone and
/// default phone region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSettings {
    /// The unique account name.
    pub name: String,
    /// The default time zone, an IANA name (`UTC`, `Europe/Paris`).
    pub time_zone: String,
    /// The ISO 3166 alpha-2 region national phone numbers are read in (`GB`); none:
    /// only numbers with a country code are understood.
    pub default_region: Option<String>,
}

/// Reads and writes `accounts`.
#[derive(Debug)]
pub struct AccountRepo<'a> {
    db: &'a DatabaseConnection,
}

impl<'a> AccountRepo<'a> {
    pub(super) fn new(db: &'a DatabaseConnection) -> Self {
        AccountRepo { db }
    }

    /// Inserts a new account; a taken name is [`StoreError::Duplicate`].
    pub async fn create(&self, account: &Account) -> Result<(), StoreError> {
        let row = account::ActiveModel {
            id: Set(account.id.as_db()),
            name: Set(account.name.clone()),
            created_at: Set(account.created_at),
            time_zone: Set(DEFAULT_TIME_ZONE.to_string()),
            default_region: Set(None),
        };
        account::Entity::insert(row)
            .exec_without_returning(self.db)
            .await
            .map_err(|e| StoreError::from_write(e, || format!("account '{}'", account.name)))?;
        Ok(())
    }

    /// The account with this id, if any.
    pub async fn get(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        account::Entity::find_by_id(id.as_db())
            .one(self.db)
            .await?
            .map(Account::try_from)
            .transpose()
    }

    /// The account with this name, if any.
    pub async fn find_by_name(&self, name: &str) -> Result<Option<Account>, StoreError> {
        account::Entity::find()
            .filter(account::Column::Name.eq(name))
            .one(self.db)
            .await?
            .map(Account::try_from)
            .transpose()
    }

    /// The account's name and time zone, if the account exists.
    pub async fn settings(&self, id: AccountId) -> Result<Option<AccountSettings>, StoreError> {
        Self::settings_in(self.db, id).await
    }

    /// [`Self::settings`] on a caller's connection or transaction (a change of the
    /// region reads the old one, saves the new one and re-indexes in one transaction).
    pub async fn settings_in<C: ConnectionTrait>(
        db: &C,
        id: AccountId,
    ) -> Result<Option<AccountSettings>, StoreError> {
        Ok(account::Entity::find_by_id(id.as_db())
            .one(db)
            .await?
            .map(|row| AccountSettings {
                name: row.name,
                time_zone: row.time_zone,
                default_region: row.default_region,
            }))
    }

    /// Replaces the account's name and time zone; a name another account has is
    /// [`StoreError::Duplicate`]. False when there is no such account.
    pub async fn update_settings(
        &self,
        id: AccountId,
        settings: &AccountSettings,
    ) -> Result<bool, StoreError> {
        Self::update_settings_in(self.db, id, settings).await
    }

    /// [`Self::update_settings`] on a caller's connection or transaction.
    pub async fn update_settings_in<C: ConnectionTrait>(
        db: &C,
        id: AccountId,
        settings: &AccountSettings,
    ) -> Result<bool, StoreError> {
        let done = account::Entity::update_many()
            .col_expr(account::Column::Name, Expr::value(settings.name.clone()))
            .col_expr(
                account::Column::TimeZone,
                Expr::value(settings.time_zone.clone()),
            )
            .col_expr(
                account::Column::DefaultRegion,
                Expr::value(settings.default_region.clone()),
            )
            .filter(account::Column::Id.eq(id.as_db()))
            .exec(db)
            .await
            .map_err(|e| StoreError::from_write(e, || format!("account '{}'", settings.name)))?;
        Ok(done.rows_affected == 1)
    }
}
