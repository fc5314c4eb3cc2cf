//! Background work: a dispatcher claims due jobs from the durable queue and runs them
//! on a bounded pool, renewing each job's lease while it works.
//!
//! Any number of service instances can run a dispatcher against one database: claims
//! are exclusive (see `store::JobRepo::claim`), and a job whose instance died is taken
//! over when its lease lapses.

mod backoff;
mod dispatcher;
mod retry;

pub use backoff::retry_delay;
pub use dispatcher::{WorkerConfig, spawn_workers};
pub use retry::{RetryError, retry_dead_job};
