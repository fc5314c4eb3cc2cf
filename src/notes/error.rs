//! Why a "message sent" report was refused.

use crate::{connectors::ConnectError, store::StoreError};

/// A refused or failed `/v1/messages…` request.
#[derive(Debug, thiserror::Error)]
pub enum NotesError {
    /// The report is invalid; the message names the recipient or field.
    #[error("{message}")]
    Invalid {
        /// Machine-readable reason.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// Notes are wanted but the account has no CRM connector.
    #[error("connect a CRM before reporting sent messages with write_crm_notes on")]
    NoConnector,
    /// The named connector cannot be used.
    #[error(transparent)]
    Connector(#[from] ConnectError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
