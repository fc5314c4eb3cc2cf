//! Why an alert channel could not be saved or an alert could not be sent. Never
//! carries a password or signing secret.

use listbridge_connector::OutboundError;

use crate::{
    secrets::SecretError,
    store::{AlertChannelId, StoreError},
};

/// Why an alert-channel action failed.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The account has no such channel.
    #[error("alert channel {0}")]
    NotFound(AlertChannelId),
    /// A field of the channel is missing or invalid; the message names it.
    #[error("alert channel field '{field}' {reason}")]
    Invalid {
        /// The field, e.g. `email.to`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The outbound guard refused the webhook URL or SMTP host.
    #[error("{0}")]
    Refused(#[from] OutboundError),
    /// The SMTP server or webhook receiver could not be reached (no connection, no
    /// answer in time).
    #[error("the alert channel's server could not be reached: {0}")]
    Unreachable(String),
    /// The SMTP server or webhook receiver answered, and did not take the alert; in its
    /// own words.
    #[error("the alert channel's server did not take the alert: {0}")]
    Delivery(String),
    /// The stored secret could not be opened or sealed.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AlertError {
    /// A missing or invalid field.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        AlertError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}
