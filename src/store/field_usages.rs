//! The account's field usages (Standard Field Names): which system usage a column name
//! has, shared by every list and form of the account.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{AccountId, StoreError, entity::field_usage};
use crate::domain::field_usage::FieldUsage;

/// Reads and writes `field_usages`.
#[derive(Debug, Default, Clone, Copy)]
pub struct FieldUsageRepo;

impl FieldUsageRepo {
    /// The account's field usages, by column name.
    pub async fn all<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
    ) -> Result<Vec<FieldUsage>, StoreError> {
        Ok(field_usage::Entity::find()
            .filter(field_usage::Column::AccountId.eq(account.as_db()))
            .order_by_asc(field_usage::Column::ColumnName)
            .all(db)
            .await?
            .into_iter()
            .map(|u| FieldUsage {
                column: u.column_name,
                usage: u.usage,
            })
            .collect())
    }

    /// Gives a column name a usage (replacing its previous usage); a column without one
    /// gets a new row with the id `id_if_new`.
    pub async fn set<C: ConnectionTrait>(
        &self,
        db: &C,
        id_if_new: Uuid,
        account: AccountId,
        column: &str,
        usage: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        match self.find(db, account, column).await? {
            Some(row) => {
                field_usage::Entity::update_many()
                    .col_expr(field_usage::Column::Usage, Expr::value(usage))
                    .filter(field_usage::Column::Id.eq(row.id))
                    .exec(db)
                    .await?;
            }
            None => {
                let row = field_usage::ActiveModel {
                    id: Set(id_if_new.to_string()),
                    account_id: Set(account.as_db()),
                    column_name: Set(column.to_string()),
                    usage: Set(usage.to_string()),
                    created_at: Set(now),
                };
                field_usage::Entity::insert(row)
                    .exec_without_returning(db)
                    .await?;
            }
        }
        Ok(())
    }

    /// Removes a column's usage; false when it had none.
    pub async fn remove<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        column: &str,
    ) -> Result<bool, StoreError> {
        let Some(row) = self.find(db, account, column).await? else {
            return Ok(false);
        };
        field_usage::Entity::delete_by_id(row.id).exec(db).await?;
        Ok(true)
    }

    /// The row of a column name, matched case-insensitively (in Rust, so the match is
    /// the same on every database).
    async fn find<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        column: &str,
    ) -> Result<Option<field_usage::Model>, StoreError> {
        Ok(field_usage::Entity::find()
            .filter(field_usage::Column::AccountId.eq(account.as_db()))
            .all(db)
            .await?
            .into_iter()
            .find(|u| u.column_name.eq_ignore_ascii_case(column)))
    }
}
