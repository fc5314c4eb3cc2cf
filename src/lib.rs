//! listbridge: keeps marketing lists and CRMs in step, both ways.
//!
//! The service is a library (this crate) plus a thin binary (`main.rs`). See
//! `ARCHITECTURE.md` for the map: `api` (HTTP) → services (`accounts`,
//! `connectors`, later the engine and jobs) → `store` (SQL) and the connector
//! plugins (`listbridge-connector`).

pub mod accounts;
pub mod api;
pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod connectors;
pub mod console;
pub mod demo;
pub mod engine;
pub mod error;
pub mod forms;
pub mod jobs;
pub mod lists;
pub mod notes;
pub mod people;
pub mod refusal;
pub mod runs;
pub mod scheduling;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod telemetry;

pub use app::AppState;
pub use error::{ApiError, Problem};
