//! Error answers in Salesforce's REST shape: a JSON array of
//! `{"message", "errorCode"[, "fields"]}`, and the per-record `{"statusCode", "message",
//! "fields"}` of save results.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;
use serde_json::json;

use crate::soql::SoqlError;

/// A whole-request error.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Salesforce's `errorCode`.
    pub code: String,
    /// Salesforce's `message`.
    pub message: String,
    /// Fields the error concerns (omitted from the body when empty).
    pub fields: Vec<String>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// 404 `NOT_FOUND` "The requested resource does not exist".
    pub fn not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        )
    }

    /// 400 with `code`.
    pub fn bad(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401 `INVALID_SESSION_ID`.
    pub fn session() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
        )
    }

    /// 400 `JSON_PARSER_ERROR`.
    pub fn json(message: impl Into<String>) -> ApiError {
        ApiError::bad("JSON_PARSER_ERROR", message)
    }
}

impl From<SoqlError> for ApiError {
    fn from(e: SoqlError) -> ApiError {
        ApiError::bad(e.code, e.message)
    }
}

impl From<RecordError> for ApiError {
    fn from(e: RecordError) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: e.status_code,
            message: e.message,
            fields: e.fields,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"message": self.message, "errorCode": self.code});
        if !self.fields.is_empty() {
            body["fields"] = json!(self.fields);
        }
        (self.status, Json(json!([body]))).into_response()
    }
}

/// One record's error in a save result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordError {
    /// `REQUIRED_FIELD_MISSING`, `INVALID_EMAIL_ADDRESS`, …
    pub status_code: String,
    /// What is wrong, in Salesforce's words.
    pub message: String,
    /// The fields concerned.
    pub fields: Vec<String>,
}

impl RecordError {
    /// An error with a code, message and fields.
    pub fn new(code: &str, message: impl Into<String>, fields: &[&str]) -> RecordError {
        RecordError {
            status_code: code.to_string(),
            message: message.into(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
        }
    }
}

/// A save result: `{"id", "success", "errors"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SaveResult {
    /// The record's Id (absent for a create that failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Whether it was saved.
    pub success: bool,
    /// Why not.
    pub errors: Vec<RecordError>,
}

impl SaveResult {
    /// A saved record.
    pub fn ok(id: String) -> SaveResult {
        SaveResult {
            id: Some(id),
            success: true,
            errors: Vec::new(),
        }
    }

    /// A failed record.
    pub fn failed(id: Option<String>, error: RecordError) -> SaveResult {
        SaveResult {
            id,
            success: false,
            errors: vec![error],
        }
    }
}
