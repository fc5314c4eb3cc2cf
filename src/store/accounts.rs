//! Accounts (tenants).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

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
}
