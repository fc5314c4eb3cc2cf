//! Offline conversions (issue 19): sales recorded in the CRM, sent back to the
//! call-tracking platform that brought the customer, credited by the call reference or
//! visitor id the CRM keeps on the record.
//!
//! A conversion export is a sync from a CRM to a destination that is not a CRM: it
//! reads records like a pull, decides which are conversions with its [`rule`], and
//! hands checked rows to a `listbridge_connector::ConversionDestination`: `rule` (what
//! is a conversion and how it becomes a row), `ledger` (the exactly-once rules),
//! `destination` (where rows go), `exports` (set-up, *Run Now*, runs, rows, CSV) and
//! `run` (the job that reads, records, sends and writes marketing sources back).

pub mod destination;
mod error;
pub mod exports;
pub mod ledger;
pub mod rule;
mod run;

pub use error::ConversionError;
pub use exports::{ConversionExports, ExportInput};
pub use rule::{ConversionRule, RowProblem, RuleError, ValueSource, row_key};
pub use run::run_job;
