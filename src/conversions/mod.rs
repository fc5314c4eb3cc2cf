//! Offline conversions (issue 19): sales recorded in the CRM, sent back to the
//! call-tracking platform that brought the customer, credited by the call reference or
//! visitor id the CRM keeps on the record.
//!
//! A conversion export is a sync from a CRM to a destination that is not a CRM: it
//! reads records like a pull, decides which are conversions with its [`rule`], and
//! hands checked rows to a `listbridge_connector::ConversionDestination`. So far this
//! module holds the rule; exports (storage, runs, schedules, API) build on it.

pub mod rule;

pub use rule::{ConversionRule, RowProblem, RuleError, ValueSource, row_key};
