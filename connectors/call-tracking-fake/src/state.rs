//! The platform's memory: the references it knows, every row it accepted (once per
//! idempotency key) with the answer it got, counters and faults.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use serde::{Deserialize, Serialize};

use crate::model::{Conversion, ReferenceKind, RowResult, RowStatus, SeededReference};

/// Faults the next requests meet, set through `POST /_admin/faults`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// The next this many batch requests are refused with `status`, storing nothing.
    pub fail_next: u32,
    /// The status of a refused request (503 when 0).
    pub status: u16,
    /// Seconds sent in `Retry-After` with a refused request.
    pub retry_after_seconds: Option<u32>,
    /// Every batch request waits this long before it is handled.
    pub delay_ms: u64,
    /// The next this many batches are stored and answered as usual, but the answer is
    /// replaced by a 502 as if the connection had dropped on the way back.
    pub lose_next: u32,
}

/// What arrived, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Requests refused for a missing or wrong token (not counted in `requests`).
    pub unauthorized: u64,
    /// Batch requests with a valid token, whatever their outcome.
    pub requests: u64,
    /// Requests refused by a fault (nothing stored).
    pub refused_by_fault: u64,
    /// Batches stored whose answer a fault replaced.
    pub answers_lost: u64,
    /// Rows in batches that were handled.
    pub rows_received: u64,
    /// Rows stored (each key once).
    pub accepted: u64,
    /// Rows rejected (every time: a rejected row may be sent again).
    pub rejected: u64,
    /// Rows whose key had been accepted before (answered again, not stored).
    pub duplicates: u64,
}

/// The platform's shared state; cheap to clone.
#[derive(Clone)]
pub struct PlatformState {
    inner: Arc<Mutex<Data>>,
    token: Arc<str>,
}

impl std::fmt::Debug for PlatformState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformState")
            .field("inner", &self.inner)
            .field("token", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Default)]
struct Data {
    references: HashMap<(ReferenceKind, String), String>,
    answers: HashMap<String, RowResult>,
    accepted: Vec<Conversion>,
    stats: Stats,
    faults: Faults,
}

/// What a batch request comes to before the answer is written.
#[derive(Debug)]
pub(crate) enum BatchOutcome {
    /// Answered per row.
    Answered(Vec<RowResult>),
    /// Refused by a fault with this status and `Retry-After`.
    Refused(u16, Option<u32>),
    /// Stored, but the answer is lost.
    Lost,
}

impl PlatformState {
    /// A platform knowing `references` that accepts bearer `token`.
    pub fn new(token: &str, references: impl IntoIterator<Item = SeededReference>) -> Self {
        let state = PlatformState {
            inner: Arc::new(Mutex::new(Data::default())),
            token: Arc::from(token),
        };
        state.add_references(references);
        state
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        // A panic while holding the lock leaves counters, not invariants, half-done.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `presented` is the configured token; a refusal is counted.
    pub(crate) fn token_matches(&self, presented: Option<&str>) -> bool {
        let matches = presented == Some(&*self.token);
        if !matches {
            self.data().stats.unauthorized += 1;
        }
        matches
    }

    /// Teaches the platform more calls or visits.
    pub fn add_references(&self, references: impl IntoIterator<Item = SeededReference>) {
        let mut data = self.data();
        for r in references {
            data.references.insert((r.kind, r.value), r.source);
        }
    }

    /// Replaces the faults the next requests meet.
    pub fn set_faults(&self, faults: Faults) {
        self.data().faults = faults;
    }

    /// The faults still to come.
    pub fn faults(&self) -> Faults {
        self.data().faults.clone()
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        self.data().stats.clone()
    }

    /// Every accepted row, once per key, in arrival order.
    pub fn accepted(&self) -> Vec<Conversion> {
        self.data().accepted.clone()
    }

    /// Forgets every row, answer, counter and fault (the references stay).
    pub fn reset(&self) {
        let mut data = self.data();
        data.answers.clear();
        data.accepted.clear();
        data.stats = Stats::default();
        data.faults = Faults::default();
    }

    /// How long a batch request waits first (a fault).
    pub(crate) fn delay_ms(&self) -> u64 {
        self.data().faults.delay_ms
    }

    /// Handles one batch: a fault may refuse it; else each row is answered (a key seen
    /// before gets its first answer again) and accepted rows are stored.
    pub(crate) fn receive(&self, rows: Vec<Conversion>) -> BatchOutcome {
        let mut data = self.data();
        data.stats.requests += 1;
        if data.faults.fail_next > 0 {
            data.faults.fail_next -= 1;
            data.stats.refused_by_fault += 1;
            let status = match data.faults.status {
                0 => 503,
                s => s,
            };
            return BatchOutcome::Refused(status, data.faults.retry_after_seconds);
        }
        data.stats.rows_received += rows.len() as u64;
        let mut results = Vec::with_capacity(rows.len());
        for row in rows {
            results.push(data.answer(row));
        }
        if data.faults.lose_next > 0 {
            data.faults.lose_next -= 1;
            data.stats.answers_lost += 1;
            return BatchOutcome::Lost;
        }
        BatchOutcome::Answered(results)
    }
}

impl Data {
    fn answer(&mut self, row: Conversion) -> RowResult {
        if let Some(first) = self.answers.get(&row.idempotency_key) {
            self.stats.duplicates += 1;
            return RowResult {
                duplicate: true,
                ..first.clone()
            };
        }
        let verdict = match (row.invalid(), row.reference()) {
            (Some(message), _) => Err(message),
            (None, None) => Err("a call_reference or a visitor_id is required".into()),
            (None, Some((kind, value))) => self
                .references
                .get(&(kind, value.to_string()))
                .cloned()
                .ok_or_else(|| format!("unknown {} '{value}'", kind.words())),
        };
        let key = row.idempotency_key.clone();
        let result = match verdict {
            Ok(source) => {
                self.stats.accepted += 1;
                self.accepted.push(row);
                RowResult {
                    idempotency_key: key.clone(),
                    status: RowStatus::Accepted,
                    message: None,
                    marketing_source: Some(source),
                    duplicate: false,
                }
            }
            Err(message) => {
                self.stats.rejected += 1;
                RowResult {
                    idempotency_key: key.clone(),
                    status: RowStatus::Rejected,
                    message: Some(message),
                    marketing_source: None,
                    duplicate: false,
                }
            }
        };
        // Only what was stored is remembered: a rejected row may come again, fixed,
        // under the same key. (An accepted row always has a key: `invalid` checks it.)
        if result.status == RowStatus::Accepted {
            self.answers.insert(key, result.clone());
        }
        result
    }
}
