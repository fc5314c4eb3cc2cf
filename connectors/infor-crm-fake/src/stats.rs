//! Request counting for tests: by method, by resource kind and method, and records written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What the CRM has received since start or the last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Every `/sdata` request, faulted or refused ones included.
    pub total: u64,
    /// Requests by HTTP method (`GET`, `POST`, …), after method override.
    pub by_method: BTreeMap<String, u64>,
    /// Requests by resource kind (`leads`, `$service/getCurrentUser`) and method.
    pub by_kind: BTreeMap<String, BTreeMap<String, u64>>,
    /// Records created, updated or deleted through `/sdata` (including inside `$batch`).
    pub record_writes: u64,
    /// Bytes of `oversized` fault bodies actually handed to the connection (a client
    /// that stops reading at its cap leaves the rest unsent).
    #[serde(default)]
    pub filler_bytes_sent: u64,
}

impl Stats {
    /// Counts one request.
    pub(crate) fn count(&mut self, method: &str, kind: &str) {
        self.total += 1;
        *self.by_method.entry(method.to_string()).or_default() += 1;
        *self
            .by_kind
            .entry(kind.to_string())
            .or_default()
            .entry(method.to_string())
            .or_default() += 1;
    }

    /// The number of requests of `method` to `kind`.
    pub fn kind_count(&self, kind: &str, method: &str) -> u64 {
        self.by_kind
            .get(kind)
            .and_then(|m| m.get(method))
            .copied()
            .unwrap_or(0)
    }
}
