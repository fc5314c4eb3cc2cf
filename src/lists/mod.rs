//! Marketing lists outside the engine: creating lists by import or CSV upload, their
//! columns and Standard Field Names, *Optimize for Infor CRM*, and segments. The HTTP
//! handlers in `crate::api` are thin wrappers over these services.

pub mod catalog;
pub mod columns;
pub mod csv_upload;
mod error;
pub mod import;
pub mod members;
pub mod optimize;
pub mod overview;
pub mod segment_filter;
pub mod segments;
pub mod upload;
pub mod upload_report;
pub mod usages;

pub use error::{ListError, valid_usages};
