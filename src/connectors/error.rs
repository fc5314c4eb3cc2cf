//! Why a connector action failed, in terms a marketer can act on.

use listbridge_connector::ConnectorError;

use super::UrlPolicyError;
use crate::{
    secrets::SecretError,
    store::{ConnectorId, StoreError},
};

/// The outcome of a failed connector action. Never carries a password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The kind is not compiled into this build.
    #[error("unknown connector kind '{kind}'; known kinds: {known}")]
    UnknownKind {
        /// The kind asked for.
        kind: String,
        /// The registered kinds, comma-separated.
        known: String,
    },
    /// The account tried to log in (*Connect*, *Reconfirm Login*) too often.
    #[error(
        "too many Connect and Reconfirm Login attempts for this account; try again in \
         {retry_after_seconds} s"
    )]
    TooManyAttempts {
        /// Seconds until the next attempt is allowed.
        retry_after_seconds: u64,
    },
    /// The base URL was refused before any request was made.
    #[error(transparent)]
    Url(#[from] UrlPolicyError),
    /// A required value is missing or empty.
    #[error("{field} must not be empty")]
    Missing {
        /// The request field.
        field: &'static str,
    },
    /// The connector's own request budget is out of range.
    #[error("rate_limit.{field} must be between 1 and {max}, not {value}")]
    InvalidRateLimit {
        /// `requests_per_second` or `concurrency`.
        field: &'static str,
        /// What was asked for.
        value: u32,
        /// The most allowed.
        max: u32,
    },
    /// The account already has a connector of this kind.
    #[error(
        "this account already has a '{kind}' connector ({existing}); use reconfirm to change its login"
    )]
    AlreadyConnected {
        /// The kind.
        kind: String,
        /// The existing connector's id.
        existing: ConnectorId,
    },
    /// No such connector in this account.
    #[error("connector {0} was not found")]
    NotFound(ConnectorId),
    /// The connector has no credentials (it was reset).
    #[error("connector {0} has been reset; reconfirm its login first")]
    NotConnected(ConnectorId),
    /// The CRM refused or could not be reached; the CRM's own words are kept.
    #[error(transparent)]
    Crm(#[from] ConnectorError),
    /// A stored password could not be decrypted.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ConnectError {
    /// A fixed word for the failure, for info and warn logs, which carry kinds and ids
    /// but never the CRM's words or a URL (the full text goes to debug).
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectError::UnknownKind { .. } => "unknown_kind",
            ConnectError::TooManyAttempts { .. } => "too_many_attempts",
            ConnectError::Url(_) => "url_refused",
            ConnectError::Missing { .. } => "missing_value",
            ConnectError::InvalidRateLimit { .. } => "invalid_rate_limit",
            ConnectError::AlreadyConnected { .. } => "already_connected",
            ConnectError::NotFound(_) => "not_found",
            ConnectError::NotConnected(_) => "not_connected",
            ConnectError::Crm(err) => err.kind(),
            ConnectError::Secret(_) => "secret",
            ConnectError::Store(_) => "store",
        }
    }
}
