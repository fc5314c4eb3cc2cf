//! The rule-set service: creating, reading, replacing and deleting an account's rule
//! sets in the store, each validated by [`super::validate`] and kept as its stored JSON
//! definition. The rules themselves (rows, comparison, routing) are in the parent module.

use chrono::{DateTime, Utc};

use super::{Definition, RoutingError, RuleSet, RuleSetInput, validate};
use crate::{
    app::AppState,
    clock::{Clock, Random},
    store::{AccountId, RoutingRuleRepo, RuleSetId, Store, StoreError, StoredRuleSet},
};

/// Creating, reading, replacing and deleting an account's rule sets: the one service
/// the API (`/v1/routing-rules`), the console and the public route URL share.
#[derive(Clone, Copy)]
pub struct RoutingRules<'a> {
    store: &'a Store,
    clock: &'a dyn Clock,
    random: &'a dyn Random,
}

impl<'a> RoutingRules<'a> {
    /// The service over the application's store, clock and randomness.
    pub fn from_state(state: &'a AppState) -> Self {
        RoutingRules {
            store: &state.store,
            clock: state.clock.as_ref(),
            random: state.random.as_ref(),
        }
    }

    /// The account's rule set with this id, or `None` (another account's id included).
    pub async fn get(
        &self,
        account: AccountId,
        id: RuleSetId,
    ) -> Result<Option<RuleSet>, RoutingError> {
        // Read while a phone system waits: any committed state answers it.
        RoutingRuleRepo::new(self.store.reads())
            .get(account, id)
            .await?
            .map(RuleSet::from_stored)
            .transpose()
    }

    /// The account's rule set with this id, or [`RoutingError::NotFound`].
    pub async fn require(
        &self,
        account: AccountId,
        id: RuleSetId,
    ) -> Result<RuleSet, RoutingError> {
        self.get(account, id)
            .await?
            .ok_or(RoutingError::NotFound(id))
    }

    /// The account's rule sets by name.
    pub async fn list(&self, account: AccountId) -> Result<Vec<RuleSet>, RoutingError> {
        self.store
            .routing_rules()
            .list(account)
            .await?
            .into_iter()
            .map(RuleSet::from_stored)
            .collect()
    }

    /// Validates and saves a new rule set.
    pub async fn create(
        &self,
        account: AccountId,
        input: &RuleSetInput,
    ) -> Result<RuleSet, RoutingError> {
        let input = validate(input)?;
        let now = self.clock.now();
        let stored = stored(RuleSetId(self.random.uuid()), account, &input, now, now)?;
        match self.store.routing_rules().insert(&stored).await {
            Ok(()) => {}
            Err(StoreError::Duplicate { .. }) => return Err(RoutingError::NameTaken(input.name)),
            Err(other) => return Err(other.into()),
        }
        tracing::info!(account_id = %account, rule_set_id = %stored.id, "routing rule set created");
        RuleSet::from_stored(stored)
    }

    /// Validates and replaces the account's rule set `id` whole.
    pub async fn update(
        &self,
        account: AccountId,
        id: RuleSetId,
        input: &RuleSetInput,
    ) -> Result<RuleSet, RoutingError> {
        let input = validate(input)?;
        let existing = self.require(account, id).await?;
        let stored = stored(id, account, &input, existing.created_at, self.clock.now())?;
        match self.store.routing_rules().update(&stored).await {
            Ok(true) => {}
            Ok(false) => return Err(RoutingError::NotFound(id)),
            Err(StoreError::Duplicate { .. }) => return Err(RoutingError::NameTaken(input.name)),
            Err(other) => return Err(other.into()),
        }
        tracing::info!(account_id = %account, rule_set_id = %id, "routing rule set updated");
        RuleSet::from_stored(stored)
    }

    /// Deletes the account's rule set; the route URL naming it then answers 404.
    pub async fn delete(&self, account: AccountId, id: RuleSetId) -> Result<(), RoutingError> {
        if !self.store.routing_rules().delete(account, id).await? {
            return Err(RoutingError::NotFound(id));
        }
        tracing::info!(account_id = %account, rule_set_id = %id, "routing rule set deleted");
        Ok(())
    }
}

fn stored(
    id: RuleSetId,
    account: AccountId,
    input: &RuleSetInput,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
) -> Result<StoredRuleSet, RoutingError> {
    let definition = serde_json::to_string(&Definition {
        rows: input.rows.clone(),
        default: input.default.clone(),
    })
    .map_err(|e| RoutingError::Corrupt {
        id,
        message: e.to_string(),
    })?;
    Ok(StoredRuleSet {
        id,
        account_id: account,
        name: input.name.clone(),
        field: input.field.clone(),
        definition,
        created_at,
        updated_at,
    })
}
