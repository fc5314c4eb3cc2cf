//! Callers: who is on the phone. Matching a caller's number to the account's CRM
//! records (from the phone index, never by scanning the CRM), the public lookup URL a
//! phone system calls (authenticated by a lookup key), routing rule sets that turn a
//! record's value into a destination, and call notes.

pub mod error;
pub mod index;
pub mod interactions;
pub mod keys;
pub mod lookup;
pub mod phones;
pub mod routing;

pub use error::CallerError;
