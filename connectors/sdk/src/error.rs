//! Typed connector errors: the engine decides retry, park or fail from the variant alone.

use std::time::Duration;

use crate::model::CrmRecord;

/// Shorthand for connector results.
pub type ConnectorResult<T> = Result<T, ConnectorError>;

/// Why a CRM call failed. Messages carry the CRM's own words where it gave any,
/// and never a credential.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConnectorError {
    /// The CRM refused the credentials (bad user or password, expired password).
    #[error("the CRM refused the login: {message}")]
    Auth {
        /// The CRM's explanation.
        message: String,
    },
    /// The host could not be reached (DNS, refused connection, TLS).
    #[error("the CRM at {url} could not be reached: {message}")]
    Unreachable {
        /// The base URL tried (no credentials in it).
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The URL answered, but not as the CRM's API (an HTML page, another service).
    #[error("{url} does not answer as an SData endpoint: {message}")]
    NotCrmEndpoint {
        /// The base URL tried.
        url: String,
        /// What was seen instead.
        message: String,
    },
    /// The record does not exist (any more).
    #[error("{entity} {key} was not found in the CRM")]
    NotFound {
        /// Entity name.
        entity: String,
        /// CRM key.
        key: String,
    },
    /// A conditional write found a newer version; `current` is that version when the CRM sent it.
    #[error("{entity} {key} was changed in the CRM since it was read (stale etag)")]
    Conflict {
        /// Entity name.
        entity: String,
        /// CRM key.
        key: String,
        /// The current record, as returned with the 412.
        current: Option<Box<CrmRecord>>,
    },
    /// The CRM asked us to slow down.
    #[error("the CRM is rate limiting requests{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// How long the CRM asked us to wait.
        retry_after: Option<Duration>,
    },
    /// A failure that may pass: 5xx, timeout, dropped connection, malformed body.
    #[error("temporary CRM failure: {message}")]
    Transient {
        /// What happened.
        message: String,
    },
    /// The CRM rejected this record permanently (validation, too long, missing
    /// required field). Reported per record with the CRM's text; not retried.
    #[error("the CRM rejected the record: {message}")]
    Rejected {
        /// The CRM's own message.
        message: String,
    },
    /// The request was invalid before it was sent (unknown field, bad value for a type).
    #[error("invalid request: {message}")]
    Invalid {
        /// Names the field and the problem.
        message: String,
    },
}

impl ConnectorError {
    /// True for failures worth retrying later (the same call may succeed).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ConnectorError::Transient { .. }
                | ConnectorError::RateLimited { .. }
                | ConnectorError::Unreachable { .. }
        )
    }
}
