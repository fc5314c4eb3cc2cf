//! Routing rule sets, stored whole: the `callers::routing` service owns what the rows
//! mean and validates them; this repository keeps their JSON text per account.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

use super::{AccountId, RuleSetId, Store, StoreError, entity::routing_rule_set};

/// A stored rule set: its rows and default destination as the JSON text the routing
/// service wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRuleSet {
    /// Record id.
    pub id: RuleSetId,
    /// Owning account.
    pub account_id: AccountId,
    /// Name, unique in the account.
    pub name: String,
    /// The record field the rows compare.
    pub field: String,
    /// Rows and default destination (JSON object).
    pub definition: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn record(row: routing_rule_set::Model) -> Result<StoredRuleSet, StoreError> {
    let corrupt = |message: &str| StoreError::Corrupt {
        table: "routing_rule_sets",
        id: row.id.clone(),
        message: message.to_string(),
    };
    let id = RuleSetId::from_db(&row.id).ok_or_else(|| corrupt("id is not a UUID"))?;
    let account_id =
        AccountId::from_db(&row.account_id).ok_or_else(|| corrupt("account_id is not a UUID"))?;
    Ok(StoredRuleSet {
        id,
        account_id,
        name: row.name,
        field: row.field,
        definition: row.definition,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

impl Store {
    /// Routing rule sets of the phone-system route URL.
    pub fn routing_rules(&self) -> RoutingRuleRepo<'_> {
        RoutingRuleRepo::new(self.conn())
    }
}

/// Reads and writes `routing_rule_sets`.
#[derive(Debug)]
pub struct RoutingRuleRepo<'a> {
    db: &'a DatabaseConnection,
}

impl<'a> RoutingRuleRepo<'a> {
    /// A repository over `db`.
    pub fn new(db: &'a DatabaseConnection) -> Self {
        RoutingRuleRepo { db }
    }

    /// Stores a new rule set; a name the account already uses is
    /// [`StoreError::Duplicate`].
    pub async fn insert(&self, set: &StoredRuleSet) -> Result<(), StoreError> {
        let row = routing_rule_set::ActiveModel {
            id: Set(set.id.as_db()),
            account_id: Set(set.account_id.as_db()),
            name: Set(set.name.clone()),
            field: Set(set.field.clone()),
            definition: Set(set.definition.clone()),
            created_at: Set(set.created_at),
            updated_at: Set(set.updated_at),
        };
        routing_rule_set::Entity::insert(row)
            .exec_without_returning(self.db)
            .await
            .map_err(|e| {
                StoreError::from_write(e, || format!("routing rule set '{}'", set.name))
            })?;
        Ok(())
    }

    /// Replaces the account's rule set `set.id` (name, field, definition, updated
    /// time); false when the account has no such rule set.
    pub async fn update(&self, set: &StoredRuleSet) -> Result<bool, StoreError> {
        let done = routing_rule_set::Entity::update_many()
            .col_expr(
                routing_rule_set::Column::Name,
                Expr::value(set.name.clone()),
            )
            .col_expr(
                routing_rule_set::Column::Field,
                Expr::value(set.field.clone()),
            )
            .col_expr(
                routing_rule_set::Column::Definition,
                Expr::value(set.definition.clone()),
            )
            .col_expr(
                routing_rule_set::Column::UpdatedAt,
                Expr::value(set.updated_at),
            )
            .filter(routing_rule_set::Column::Id.eq(set.id.as_db()))
            .filter(routing_rule_set::Column::AccountId.eq(set.account_id.as_db()))
            .exec(self.db)
            .await
            .map_err(|e| {
                StoreError::from_write(e, || format!("routing rule set '{}'", set.name))
            })?;
        Ok(done.rows_affected == 1)
    }

    /// The account's rule set with this id, if any.
    pub async fn get(
        &self,
        account: AccountId,
        id: RuleSetId,
    ) -> Result<Option<StoredRuleSet>, StoreError> {
        routing_rule_set::Entity::find_by_id(id.as_db())
            .filter(routing_rule_set::Column::AccountId.eq(account.as_db()))
            .one(self.db)
            .await?
            .map(record)
            .transpose()
    }

    /// The account's rule sets by name.
    pub async fn list(&self, account: AccountId) -> Result<Vec<StoredRuleSet>, StoreError> {
        routing_rule_set::Entity::find()
            .filter(routing_rule_set::Column::AccountId.eq(account.as_db()))
            .order_by_asc(routing_rule_set::Column::Name)
            .order_by_asc(routing_rule_set::Column::Id)
            .all(self.db)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    /// Deletes the account's rule set; false when there is no such rule set.
    pub async fn delete(&self, account: AccountId, id: RuleSetId) -> Result<bool, StoreError> {
        let done = routing_rule_set::Entity::delete_many()
            .filter(routing_rule_set::Column::Id.eq(id.as_db()))
            .filter(routing_rule_set::Column::AccountId.eq(account.as_db()))
            .exec(self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }
}
