//! Request counting for tests: by method, by sObject and method, and records written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What the server has received since start or the last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Every request under `/services`, faulted or refused ones included.
    pub total: u64,
    /// Requests by HTTP method.
    pub by_method: BTreeMap<String, u64>,
    /// Requests by sObject (`Lead`; a query counts for its `FROM`) or, for requests
    /// about no sObject, by resource (`oauth2/token`, `versions`, `limits`), then method.
    pub by_sobject: BTreeMap<String, BTreeMap<String, u64>>,
    /// Records created, updated or deleted through the REST API.
    pub record_writes: u64,
    /// Stored records looked at by queries and bulk query jobs: shows whether a query
    /// used an index (a keyset page or an email lookup costs its matches, not the
    /// table).
    #[serde(default)]
    pub rows_scanned: u64,
    /// Subrequests run inside Composite Batch requests (each batch counts once in
    /// `total`, as the one HTTP request it is).
    #[serde(default)]
    pub subrequests: u64,
}

impl Stats {
    /// Counts one request.
    pub(crate) fn count(&mut self, method: &str, sobject: &str) {
        self.total += 1;
        *self.by_method.entry(method.to_string()).or_default() += 1;
        *self
            .by_sobject
            .entry(sobject.to_string())
            .or_default()
            .entry(method.to_string())
            .or_default() += 1;
    }

    /// The number of requests of `method` about `sobject`.
    pub fn count_of(&self, sobject: &str, method: &str) -> u64 {
        self.by_sobject
            .get(sobject)
            .and_then(|m| m.get(method))
            .copied()
            .unwrap_or(0)
    }
}
