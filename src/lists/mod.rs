//! Marketing lists outside the engine: creating lists by import or CSV upload, their
//! columns, *Optimize for Infor CRM*, and segments (a column's system usage is
//! [`crate::field_usages`]). The HTTP handlers in `crate::api` are thin wrappers over
//! these services.

pub mod columns;
mod error;
pub mod import;
pub mod manage;
pub mod members;
pub mod optimize;
pub mod overview;
pub mod segments;
pub mod upload;

pub use error::ListError;
