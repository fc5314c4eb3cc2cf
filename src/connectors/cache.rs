//! Live connectors kept between uses, so each stored connector has one rate
//! limiter and one HTTP connection pool however many tasks use it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use chrono::{DateTime, Utc};
use listbridge_connector::CrmConnector;

use crate::store::ConnectorId;

/// A live connector and the `updated_at` of the row it was built from.
type Entry = (DateTime<Utc>, Arc<dyn CrmConnector>);

/// Open connectors by id, each tagged with the `updated_at` of the row it was
/// built from; a changed row (reconfirm, reset) makes the entry stale.
#[derive(Debug, Default, Clone)]
pub struct ConnectorCache {
    inner: Arc<Mutex<HashMap<ConnectorId, Entry>>>,
}

impl ConnectorCache {
    /// The cached connector built from the row version `version`, if any.
    pub fn get(&self, id: ConnectorId, version: DateTime<Utc>) -> Option<Arc<dyn CrmConnector>> {
        let map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&id)
            .filter(|(built_from, _)| *built_from == version)
            .map(|(_, connector)| connector.clone())
    }

    /// Remembers a connector built from row version `version`.
    pub fn put(&self, id: ConnectorId, version: DateTime<Utc>, connector: Arc<dyn CrmConnector>) {
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        map.insert(id, (version, connector));
    }

    /// Drops a connector (after its credentials changed or were forgotten).
    pub fn forget(&self, id: ConnectorId) {
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        map.remove(&id);
    }
}
