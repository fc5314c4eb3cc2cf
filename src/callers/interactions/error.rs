//! Why a call report was refused.

use crate::{connectors::ConnectError, store::StoreError};

/// A refused or failed `/v1/interactions` request.
#[derive(Debug, thiserror::Error)]
pub enum InteractionError {
    /// The report is invalid; the message names the interaction and field.
    #[error("{message}")]
    Invalid {
        /// Machine-readable reason.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// Call notes go to a CRM, and the account has none connected.
    #[error("connect a CRM before reporting calls: their notes are written to it")]
    NoConnector,
    /// The connector cannot be used.
    #[error(transparent)]
    Connector(#[from] ConnectError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
