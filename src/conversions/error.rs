//! Why a conversion export could not be saved, run or read: one enum the API maps to
//! problems in one place (`api::problems`).

use crate::{connectors::ConnectError, secrets::SecretError, store::StoreError};

use super::RuleError;
use crate::store::{ConversionExportId, ConversionRunId};

/// A conversion export failure, naming the export, setting or record involved.
#[derive(Debug, thiserror::Error)]
pub enum ConversionError {
    /// The account has no such export.
    #[error("conversion export {0} was not found")]
    NotFound(ConversionExportId),
    /// The export has no such run.
    #[error("conversion run {0} was not found")]
    RunNotFound(ConversionRunId),
    /// A setting is invalid; the message names it.
    #[error("{field}: {message}")]
    Invalid {
        /// The request field (`name`, `destination.base_url`, …).
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The rule does not fit the CRM's fields.
    #[error("rule.{0}")]
    Rule(#[from] RuleError),
    /// The connector cannot be used (missing, not connected, its CRM refused).
    #[error(transparent)]
    Connector(#[from] ConnectError),
    /// The destination's secret could not be sealed or opened.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
