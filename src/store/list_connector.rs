//! Which CRM connection a list syncs through: one rule for the engine, the sync setup,
//! the schedules and *Delete connector*.
//!
//! A list imported from a CRM syncs with the connector it came from. An uploaded list
//! pushes to the connector its sync setup chose; one set up before there could be a
//! choice (or never set up) pushes through the account's only connector, and has to
//! choose once the account has several.

use super::{AccountId, ConnectorRecord, ConnectorRepo, List, StoreError};

/// The connector a list syncs through, or why there is none.
#[derive(Debug, Clone)]
pub enum ListConnector {
    /// The list's own, its chosen one, or the account's only connector.
    Found(Box<ConnectorRecord>),
    /// The account has no CRM connected (or the list's connector is gone).
    NoneConnected,
    /// An uploaded list of an account with several CRMs that has not chosen one; the
    /// account's first connector is what a setup form shows before the choice.
    NotChosen {
        /// The account's first connector.
        first: Box<ConnectorRecord>,
    },
}

impl ListConnector {
    /// The connector, when there is one.
    pub fn found(self) -> Option<ConnectorRecord> {
        match self {
            ListConnector::Found(record) => Some(*record),
            ListConnector::NoneConnected | ListConnector::NotChosen { .. } => None,
        }
    }

    /// Why a list cannot sync, for a person: names the list and what to do.
    pub fn missing_reason(&self, list: &List) -> Option<String> {
        match self {
            ListConnector::Found(_) => None,
            ListConnector::NoneConnected => Some(format!(
                "list '{}' has no CRM to sync with: connect a CRM first",
                list.name
            )),
            ListConnector::NotChosen { .. } => Some(format!(
                "list '{}' was uploaded and this account has several CRMs: choose the one \
                 it pushes to (connector_id in its sync setup)",
                list.name
            )),
        }
    }
}

impl ConnectorRepo<'_> {
    /// The connector `list` of `account` syncs through (see the module docs).
    pub async fn of_list(
        &self,
        account: AccountId,
        list: &List,
    ) -> Result<ListConnector, StoreError> {
        if let Some(id) = list.connector_id.or(list.push_connector_id) {
            return Ok(match self.get(account, id).await? {
                Some(record) => ListConnector::Found(Box::new(record)),
                None => ListConnector::NoneConnected,
            });
        }
        let all = self.list(account).await?;
        let several = all.len() > 1;
        Ok(match all.into_iter().next() {
            None => ListConnector::NoneConnected,
            Some(first) if several => ListConnector::NotChosen {
                first: Box::new(first),
            },
            Some(only) => ListConnector::Found(Box::new(only)),
        })
    }
}
