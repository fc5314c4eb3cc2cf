//! Offline conversions over a call-tracking platform's HTTP API: JSON batches posted
//! with a bearer token, one idempotency key per row, an answer per row.
//!
//! The wire shape is the one `connectors/call-tracking-fake` serves: `POST
//! {base}/v1/conversions` with `{"conversions": [...]}`, each row holding the fields
//! the Infinity guide lists (seed `000_…`) and its `idempotency_key`; the answer holds
//! `{"results": [...]}` with `accepted` (and the marketing source) or `rejected` (and
//! the platform's words) per key. Every failure of a whole batch (transport, 429, 5xx,
//! a lost answer) is retried here with backoff, honouring `Retry-After`: the keys make
//! sending a batch again harmless.

mod api;
mod wire;

pub use api::{ApiConfig, CallTrackingApi, KIND};
