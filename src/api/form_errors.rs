//! How form and submission failures are answered.

use serde_json::json;

use crate::{
    error::ApiError,
    forms::{FormError, IntakeError},
    notes::NotesError,
};

impl From<FormError> for ApiError {
    fn from(err: FormError) -> Self {
        let message = err.to_string();
        match err {
            FormError::NotFound(what) => ApiError::not_found(what),
            FormError::Refused(r) => {
                ApiError::unprocessable(r.code, message).with_details(json!({ "names": r.names }))
            }
            FormError::NotRetryable { .. } => ApiError::conflict("not_retryable", message),
            FormError::Connector(e) => e.into(),
            FormError::Store(e) => e.into(),
        }
    }
}

impl From<IntakeError> for ApiError {
    fn from(err: IntakeError) -> Self {
        let message = err.to_string();
        match err {
            IntakeError::Malformed { .. } => ApiError::bad_request("invalid_body", message),
            IntakeError::NoEmail { field } => ApiError::unprocessable("email_required", message)
                .with_details(json!({ "field": field })),
            IntakeError::Missing { fields } => {
                ApiError::unprocessable("required_fields_missing", message)
                    .with_details(json!({ "fields": fields }))
            }
            IntakeError::InvalidEmail { field, .. } => {
                ApiError::unprocessable("invalid_email", message)
                    .with_details(json!({ "field": field }))
            }
            IntakeError::FieldTooLong { field, max, .. } => {
                ApiError::unprocessable("field_too_long", message)
                    .with_details(json!({ "field": field, "max_bytes": max }))
            }
            IntakeError::TooManyFields { max, .. } => {
                ApiError::unprocessable("too_many_fields", message)
                    .with_details(json!({ "max_fields": max }))
            }
            IntakeError::NotText { field } => ApiError::unprocessable("invalid_value", message)
                .with_details(json!({ "field": field })),
            IntakeError::Store(e) => e.into(),
            IntakeError::ShuttingDown => ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                message,
            ),
        }
    }
}

impl From<NotesError> for ApiError {
    fn from(err: NotesError) -> Self {
        let message = err.to_string();
        match err {
            NotesError::Invalid { code, .. } => ApiError::unprocessable(code, message),
            NotesError::NoConnector => ApiError::conflict("no_connector", message),
            NotesError::Connector(e) => e.into(),
            NotesError::Store(e) => e.into(),
        }
    }
}
