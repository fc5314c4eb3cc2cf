//! listbridge: keeps marketing lists and CRMs in step, both ways.
//!
//! The service is a library (this crate) plus a thin binary (`main.rs`). Calls go one
//! way, downwards (`ARCHITECTURE.md` has the full map):
//!
//! - `http` joins `api` (the HTTP API) and `console` (the web console) into one
//!   router. Both are thin: they check who is asking, read the request and call a
//!   service.
//! - The services each own one concept: `runs` (queue, Run Now, history, reports),
//!   `sync` (sync setups), `lists`, `field_usages`, `forms`, `notes`, `scheduling`,
//!   `people`, `accounts` and `connectors`. `workers` (above them) claims queued jobs
//!   and hands each to the service that owns its kind; `jobs` is the vocabulary they
//!   share (`JobError`, backoff, `WorkerConfig`).
//! - `engine` moves records between a list and its CRM (import, pull, push), through
//!   the connector plugins (`listbridge-connector`).
//! - At the bottom, `domain` holds the shared value types (email, field usage, segment
//!   filter) and `store` the SQL, one repository per aggregate. Neither calls up.
//!
//! Beside them: `metrics` records and serves `/metrics` (Prometheus), `app` wires the
//! state every handler gets, `client_address` finds who
//! sent a request behind trusted proxies (for per-client limits), `clock` makes time and
//! randomness injectable, `tokens` hashes the bearer tokens people hold, `config`,
//! `secrets` and `telemetry` set the service up, and
//! `demo` (the default-on cargo feature of the same name) runs a sample against an
//! in-process fake CRM.

pub mod accounts;
pub mod alerts;
pub mod api;
pub mod app;
pub mod auth;
pub mod callers;
pub mod client_address;
pub mod clock;
pub mod config;
pub mod connectors;
pub mod console;
pub mod conversions;
#[cfg(feature = "demo")]
pub mod demo;
pub mod domain;
pub mod engine;
pub mod error;
pub mod field_usages;
pub mod forms;
pub mod http;
pub mod jobs;
pub mod lists;
pub mod metrics;
pub mod notes;
pub mod people;
pub mod refusal;
pub mod runs;
pub mod scheduling;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod telemetry;
pub mod tokens;
pub mod workers;

pub use app::AppState;
pub use error::{ApiError, Problem};
