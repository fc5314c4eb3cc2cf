//! How sync setup and Run Now failures are answered.

use serde_json::json;

use crate::{error::ApiError, sync::SyncError};

impl From<SyncError> for ApiError {
    fn from(err: SyncError) -> Self {
        let message = err.to_string();
        match err {
            SyncError::NotFound(what) => ApiError::not_found(what),
            SyncError::Refused(r) => {
                ApiError::unprocessable(r.code, message).with_details(json!({ "names": r.names }))
            }
            SyncError::NotReady(_) => ApiError::conflict("not_ready", message),
            SyncError::Connector(e) => e.into(),
            SyncError::Store(e) => e.into(),
        }
    }
}
