//! Offline conversions as CSV files dropped in a platform's SFTP directory: each batch
//! of rows becomes one file, written under a hidden temporary name and renamed into
//! place, so the platform never picks up half a file.
//!
//! A batch's file name is derived from its rows' keys (`conversions-{hash}.csv`), so a
//! batch sent again after a lost answer finds its file already there and writes
//! nothing: no row lands twice across files. The server's host key is pinned by its
//! SHA-256 fingerprint (the one [`fetch_host_key`] shows the marketer at set-up, as
//! `ssh` does on a first connection), and every connection goes through the
//! [`listbridge_connector::OutboundGuard`]. SSH is `russh` (pure Rust, `ring` crypto).

#![warn(missing_docs)]

mod drop;
mod ssh;
#[cfg(feature = "test-sshd")]
pub mod testing;

pub use drop::{KIND, SftpAuth, SftpConfig, SftpDrop, file_name};
pub use ssh::{HostKey, fetch_host_key};
