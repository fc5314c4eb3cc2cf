//! A fake call-tracking platform: the far end of an offline conversion export.
//!
//! A call-tracking platform attributes each call and web visit to a marketing source
//! and hands the caller a *Call Reference* (read out to the call handler) or the web
//! visitor a *Visitor ID* (put in a hidden form field). The CRM keeps that reference on
//! the customer's record; when a sale happens, listbridge sends the conversion back
//! and the platform credits the source (seed `000_…`, the Infinity guide).
//!
//! This server stands in for that platform in listbridge's tests and demo, over HTTP on
//! loopback, with the behaviour an exporter has to survive:
//! - `POST /v1/conversions` takes a batch of rows (`Authorization: Bearer <token>`),
//!   each with its own idempotency key, and answers per row: accepted (with the
//!   marketing source of the reference) or rejected (with the platform's words: an
//!   unknown reference, a date that is not `YYYY-MM-DD HH:MM:SS` UTC, a currency that is
//!   not three capital letters, an amount that is not a number).
//! - A key already accepted is answered as it was the first time and never stored
//!   twice, so a client that lost an answer can send the batch again; a rejected row
//!   is not remembered and may come again once its reference is corrected.
//! - Faults on demand (`POST /_admin/faults`): error statuses with `Retry-After`, slow
//!   answers, and answers lost after the batch was stored.
//! - `/_admin/` shows what arrived (`rows`, `stats`), adds references and resets.

mod model;
mod routes;
mod server;
mod state;

pub use model::{Conversion, ReferenceKind, RowResult, RowStatus, SeededReference};
pub use server::{FakePlatform, FakePlatformConfig, FakePlatformError, call_reference};
pub use state::{Faults, PlatformState, Stats};
