//! How list, upload, usage and segment failures are answered: each cause a marketer can
//! fix gets its own status and code, with the names involved in `details`.

use axum::http::StatusCode;
use serde_json::json;

use crate::{
    error::ApiError,
    lists::{ListError, csv_upload::UploadError, valid_usages},
};

impl From<ListError> for ApiError {
    fn from(err: ListError) -> Self {
        let message = err.to_string();
        match err {
            ListError::NotFound(id) => ApiError::not_found(format!("list {id}")),
            ListError::MemberNotFound(id) => ApiError::not_found(format!("member {id}")),
            ListError::UnknownColumns { columns, .. } => {
                ApiError::unprocessable("unknown_columns", message)
                    .with_details(json!({ "columns": columns }))
            }
            ListError::SegmentNotFound(id) => ApiError::not_found(format!("segment {id}")),
            ListError::UsageNotFound(column) => {
                ApiError::not_found(format!("a standard field name for column '{column}'"))
            }
            ListError::UnknownFields { entity, unknown } => {
                ApiError::unprocessable("unknown_fields", message)
                    .with_details(json!({ "entity": entity.as_str(), "unknown": unknown }))
            }
            ListError::ColumnsExist { columns, .. } => ApiError::conflict("column_exists", message)
                .with_details(json!({ "columns": columns })),
            ListError::InvalidUsage { usage } => ApiError::unprocessable("invalid_usage", message)
                .with_details(json!({ "usage": usage, "valid": valid_usages() })),
            ListError::Invalid { field, .. } => ApiError::unprocessable("invalid_value", message)
                .with_details(json!({ "field": field })),
            ListError::Filter(_) => ApiError::unprocessable("invalid_filter", message),
            ListError::Upload(UploadError::Io(e)) => ApiError::bad_request(
                "upload_interrupted",
                format!("reading the upload failed: {e}"),
            ),
            ListError::Upload(_) => ApiError::unprocessable("invalid_csv", message),
            ListError::TooLarge { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
            }
            ListError::NotLinked(_) => ApiError::conflict("not_linked", message),
            ListError::Internal(_) => ApiError::internal(&message),
            ListError::Connector(e) => e.into(),
            ListError::Store(e) => e.into(),
        }
    }
}
