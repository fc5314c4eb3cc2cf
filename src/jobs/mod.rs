//! The job vocabulary every kind of background work shares: [`JobError`] (wait, retry
//! with backoff, or fail for good), the backoff between attempts and the workers'
//! [`WorkerConfig`]. The services that own a kind of job (runs, form deliveries, note
//! deliveries) depend on this module; the dispatcher that claims and runs them is
//! `crate::workers`, above them all.

mod backoff;
mod config;
mod error;

pub use backoff::retry_delay;
pub use config::WorkerConfig;
pub use error::JobError;
