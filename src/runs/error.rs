//! Why a run could not be started or shown: the refusals of Run Now, history and the
//! report, each a cause the caller can name (answered over HTTP in `api::problems`).

use crate::{store::StoreError, sync::TargetError};

/// Why a run could not be started or shown.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The run, list or segment is not in the account; names which.
    #[error("{0} was not found")]
    NotFound(String),
    /// The list is still importing or has no sync setup to run.
    #[error("{0}")]
    NotReady(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<TargetError> for RunError {
    fn from(err: TargetError) -> Self {
        match err {
            TargetError::NotFound(what) => RunError::NotFound(what),
            TargetError::Store(e) => RunError::Store(e),
        }
    }
}
