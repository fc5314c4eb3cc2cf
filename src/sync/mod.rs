//! Sync setups: the service behind `/v1/lists/{id}/sync` and `/v1/segments/{id}/sync`
//! (load, check, save), and the list-or-segment target a setup and a run belong to.
//! Running a setup (Run Now) is [`crate::runs`]'.

mod setup_check;
mod setup_service;
mod target;

pub use setup_check::{SetupRefusal, check_setup};
pub use setup_service::{SyncError, field_map, load_setup, save_setup};
pub use target::{SyncTarget, TargetError, TargetRows, resolve_target};
