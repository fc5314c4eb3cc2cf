//! Background work: a dispatcher claims due jobs from the durable queue and runs them
//! on a bounded pool, renewing each job's lease while it works; a dead job can be put
//! back by hand.
//!
//! Any number of service instances can run a dispatcher against one database: claims
//! are exclusive (see `store::JobRepo::claim`), and a job whose instance died is taken
//! over when its lease lapses. Each kind of job is executed by the module that owns it
//! (`runs`, `forms`, `notes`), which reports failures as a [`crate::jobs::JobError`];
//! this module sits above them and is the only one that knows every kind.

mod dispatcher;
mod retry;

pub use dispatcher::spawn_workers;
pub use retry::{RetryError, retry_dead_job};
