//! The one error type of the HTTP API and its JSON problem shape:
//! `{"error": code, "message": human text, "details": …}`.
//!
//! Handlers return [`ApiError`] (each service error becomes one through the
//! conversions in `crate::api::problems`); everything else that produces a 4xx/5xx
//! (axum's extractor rejections, unknown routes, wrong methods) is rewritten into
//! the same shape by [`problem_layer`], so clients see one format everywhere.
//! Internal errors are logged with their cause and answered with a generic
//! message: no stack traces, SQL or secrets leave the process. A handler that
//! panics answers the same generic 500 through [`panic_layer`] instead of dropping
//! the connection.

use std::{any::Any, panic::AssertUnwindSafe};

use axum::{
    Json,
    body::Body,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use futures::FutureExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A stable machine-readable code, e.g. `unauthorized`, `not_found`.
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
    /// Structured extra information (e.g. the field at fault), when there is any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// An error answered to an API client.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Option<serde_json::Value>,
}

impl ApiError {
    /// An error with any status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    /// Adds structured details.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    /// 400: the request is malformed or a value is invalid.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: no or an unknown API key.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 404: the named thing does not exist (or belongs to another account).
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{} was not found", what.into()),
        )
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 422: well-formed but refused by a business rule or a remote system.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 500: logs `cause` and answers with a generic message.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred; it has been logged",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The human message (the console shows it beside the field it is about).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The structured details, when there are any.
    pub fn details(&self) -> Option<&serde_json::Value> {
        self.details.as_ref()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.code, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            error: self.code.to_string(),
            message: self.message,
            details: self.details,
        };
        let mut response = (self.status, Json(problem)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The largest rejection body kept as the problem message.
const MAX_REJECTION_TEXT: usize = 64 * 1024;

/// Middleware: rewrites every 4xx/5xx response that is not already JSON
/// (axum rejections, unknown routes, wrong methods) into a [`Problem`].
pub async fn problem_layer(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || is_json(&response)
        || is_html(&response)
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MAX_REJECTION_TEXT).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let message = match (status, text.is_empty()) {
        // A non-JSON server error may carry internals: never pass its text on.
        (s, _) if s.is_server_error() => s.canonical_reason().unwrap_or("error").to_string(),
        (StatusCode::NOT_FOUND, true) => format!("no route for {method} {path}"),
        (StatusCode::METHOD_NOT_ALLOWED, true) => {
            format!("{method} is not allowed on {path}")
        }
        (_, true) => status.canonical_reason().unwrap_or("error").to_string(),
        (_, false) => text,
    };
    let mut rewritten = ApiError::new(status, code_for(status), message).into_response();
    // Keep headers such as `Allow` (405) and `Retry-After`.
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rewritten
}

/// Middleware: a handler that panics answers a generic 500 [`Problem`] (the panic is
/// logged, never sent) instead of the connection being dropped with no answer, which a
/// client cannot tell from a network failure and may blindly repeat.
pub async fn panic_layer(request: Request, next: Next) -> Response {
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => ApiError::internal(&format!(
            "a request handler panicked: {}",
            panic_text(&*panic)
        ))
        .into_response(),
    }
}

/// The message a panic carried, for the log.
fn panic_text(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

fn is_json(response: &Response<Body>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/json") || v.starts_with("application/problem+json")
        })
}

/// Whether a response is an HTML page: the console's error pages are meant for people
/// and are already in words.
fn is_html(response: &Response<Body>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// The problem code for a status that carries no more specific one.
fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        s if s.is_server_error() => "internal",
        _ => "error",
    }
}

#[cfg(test)]
mod tests {
    use axum::{Router, middleware, routing::get};
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_a_generic_problem() {
        async fn boom() -> &'static str {
            panic!("secret internals at src/somewhere.rs:12")
        }
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(middleware::from_fn(panic_layer))
            .layer(middleware::from_fn(problem_layer));
        let request = Request::builder()
            .uri("/boom")
            .body(Body::empty())
            .expect("request builds");
        let response = app.oneshot(request).await.expect("answered");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(is_json(&response));
        let bytes = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .expect("body");
        let problem: Problem = serde_json::from_slice(&bytes).expect("problem JSON");
        assert_eq!(problem.error, "internal");
        assert_eq!(problem.details, None);
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("secret") && !text.contains(".rs"), "{text}");
        assert!(!text.contains("panicked"), "{text}");
    }
}
