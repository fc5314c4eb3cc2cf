//! Alert channels, stored per account: the `alerts` service owns what the settings
//! mean and seals the secret; this repository keeps the row.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

use super::{AccountId, AlertChannelId, Store, StoreError, entity::alert_channel};

/// A stored alert channel: its kind, its settings as the JSON text the alerts service
/// wrote, and its secret as sealed by the cipher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAlertChannel {
    /// Record id.
    pub id: AlertChannelId,
    /// Owning account.
    pub account_id: AccountId,
    /// Name.
    pub name: String,
    /// `email` or `webhook`.
    pub kind: String,
    /// Settings without the secret (JSON object).
    pub settings: String,
    /// The encrypted SMTP password or signing secret.
    pub secret_encrypted: Option<Vec<u8>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn record(row: alert_channel::Model) -> Result<StoredAlertChannel, StoreError> {
    let corrupt = |message: &str| StoreError::Corrupt {
        table: "alert_channels",
        id: row.id.clone(),
        message: message.to_string(),
    };
    Ok(StoredAlertChannel {
        id: AlertChannelId::from_db(&row.id).ok_or_else(|| corrupt("id is not a UUID"))?,
        account_id: AccountId::from_db(&row.account_id)
            .ok_or_else(|| corrupt("account_id is not a UUID"))?,
        name: row.name,
        kind: row.kind,
        settings: row.settings,
        secret_encrypted: row.secret_encrypted,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

impl Store {
    /// The accounts' alert channels.
    pub fn alert_channels(&self) -> AlertChannelRepo<'_> {
        AlertChannelRepo { db: self.conn() }
    }
}

/// Reads and writes `alert_channels`.
#[derive(Debug)]
pub struct AlertChannelRepo<'a> {
    db: &'a DatabaseConnection,
}

impl AlertChannelRepo<'_> {
    /// Stores a new channel.
    pub async fn insert(&self, channel: &StoredAlertChannel) -> Result<(), StoreError> {
        let row = alert_channel::ActiveModel {
            id: Set(channel.id.as_db()),
            account_id: Set(channel.account_id.as_db()),
            name: Set(channel.name.clone()),
            kind: Set(channel.kind.clone()),
            settings: Set(channel.settings.clone()),
            secret_encrypted: Set(channel.secret_encrypted.clone()),
            created_at: Set(channel.created_at),
            updated_at: Set(channel.updated_at),
        };
        alert_channel::Entity::insert(row)
            .exec_without_returning(self.db)
            .await
            .map_err(|e| {
                StoreError::from_write(e, || format!("alert channel '{}'", channel.name))
            })?;
        Ok(())
    }

    /// Replaces the account's channel `channel.id` (name, settings, secret, updated
    /// time); false when the account has no such channel.
    pub async fn update(&self, channel: &StoredAlertChannel) -> Result<bool, StoreError> {
        let done = alert_channel::Entity::update_many()
            .col_expr(
                alert_channel::Column::Name,
                Expr::value(channel.name.clone()),
            )
            .col_expr(
                alert_channel::Column::Settings,
                Expr::value(channel.settings.clone()),
            )
            .col_expr(
                alert_channel::Column::SecretEncrypted,
                Expr::value(channel.secret_encrypted.clone()),
            )
            .col_expr(
                alert_channel::Column::UpdatedAt,
                Expr::value(channel.updated_at),
            )
            .filter(alert_channel::Column::Id.eq(channel.id.as_db()))
            .filter(alert_channel::Column::AccountId.eq(channel.account_id.as_db()))
            .exec(self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// The account's channel with this id, if any.
    pub async fn get(
        &self,
        account: AccountId,
        id: AlertChannelId,
    ) -> Result<Option<StoredAlertChannel>, StoreError> {
        alert_channel::Entity::find_by_id(id.as_db())
            .filter(alert_channel::Column::AccountId.eq(account.as_db()))
            .one(self.db)
            .await?
            .map(record)
            .transpose()
    }

    /// The account's channels, oldest first.
    pub async fn list(&self, account: AccountId) -> Result<Vec<StoredAlertChannel>, StoreError> {
        alert_channel::Entity::find()
            .filter(alert_channel::Column::AccountId.eq(account.as_db()))
            .order_by_asc(alert_channel::Column::Id)
            .all(self.db)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    /// Deletes the account's channel; false when there is no such channel.
    pub async fn delete(&self, account: AccountId, id: AlertChannelId) -> Result<bool, StoreError> {
        let done = alert_channel::Entity::delete_many()
            .filter(alert_channel::Column::Id.eq(id.as_db()))
            .filter(alert_channel::Column::AccountId.eq(account.as_db()))
            .exec(self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }
}
