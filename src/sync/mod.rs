//! Sync setups and Run Now: the service behind `/v1/lists/{id}/sync`,
//! `/v1/segments/{id}/sync` and their `runs` routes.

mod setup_check;
mod setup_service;

pub use setup_check::{SetupRefusal, check_setup};
pub use setup_service::{RunRequest, SyncError, SyncTarget, load_setup, run_now, save_setup};
