//! What a console request answers when it cannot show its page: a small HTML page
//! that says what happened and where to go, with the right status. Errors about one
//! field of a form are not these: the form is shown again with the message beside the
//! field ([`super::form::FieldErrors`]).

use askama::Template;
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
};

use crate::error::ApiError;

/// Why a console page cannot be shown.
#[derive(Debug)]
pub enum ConsoleError {
    /// No live session: go to sign-in, then come back to `next`.
    SignInNeeded {
        /// Where to return after signing in.
        next: String,
        /// The request came from htmx, which must load the sign-in page whole
        /// instead of swapping it into a fragment.
        htmx: bool,
    },
    /// The viewer's role may not open this page.
    Forbidden,
    /// The thing is not there, or is another account's.
    NotFound(String),
    /// A state-changing request without the session's CSRF token.
    CsrfRejected,
    /// A form body larger than the console reads.
    TooLarge,
    /// A service error with its status and message, as the API would answer it.
    Api(ApiError),
    /// Something broke; logged, not shown.
    Internal,
}

impl ConsoleError {
    /// Logs `cause` and answers with a generic page.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "console request failed");
        ConsoleError::Internal
    }

    /// A service error that is no form's fault, shown with the status and message the
    /// API gives it (`api/problems.rs`): `.map_err(ConsoleError::service)`.
    pub fn service(err: impl Into<ApiError>) -> Self {
        ConsoleError::from(err.into())
    }
}

impl From<ApiError> for ConsoleError {
    fn from(err: ApiError) -> Self {
        match err.status() {
            StatusCode::NOT_FOUND => ConsoleError::NotFound(err.message().to_string()),
            s if s.is_server_error() => ConsoleError::Internal,
            _ => ConsoleError::Api(err),
        }
    }
}

impl From<askama::Error> for ConsoleError {
    fn from(err: askama::Error) -> Self {
        ConsoleError::internal(&err)
    }
}

/// The page shown for an error.
#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            ConsoleError::SignInNeeded { next, htmx } => {
                let target = format!("/sign-in?next={}", urlencode(next));
                if !htmx {
                    return Redirect::to(&target).into_response();
                }
                // A redirect would be followed by the browser's request object and
                // the sign-in page swapped into the fragment: htmx loads the page whole
                // when told so by HX-Redirect on an answer it sees.
                let mut response = StatusCode::UNAUTHORIZED.into_response();
                if let Ok(value) = HeaderValue::from_str(&target) {
                    response.headers_mut().insert("hx-redirect", value);
                }
                return response;
            }
            ConsoleError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not for your role",
                "Only an admin of this account can open this page. Ask an admin if you need it."
                    .to_string(),
            ),
            ConsoleError::NotFound(what) => (StatusCode::NOT_FOUND, "Not found", what.clone()),
            ConsoleError::CsrfRejected => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was not sent from this session's page. Go back, reload the page \
                 and try again."
                    .to_string(),
            ),
            ConsoleError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too much data",
                "The form sent more than 1 MiB.".to_string(),
            ),
            ConsoleError::Api(err) => (err.status(), "Cannot do that", err.message().to_string()),
            ConsoleError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "An internal error occurred; it has been logged. Try again in a moment."
                    .to_string(),
            ),
        };
        let page = ErrorPage {
            title,
            message: &message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, [(header::CONTENT_TYPE, "text/plain")], message).into_response(),
        }
    }
}

/// Percent-encodes a value for a query string.
pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The URL of one page of a filtered, cursor-paged console table (campaign recipients,
/// calls): the status filter, the cursor and the page size, each only when given.
pub fn filtered_page_url(
    base: &str,
    status: Option<&str>,
    after: Option<&str>,
    limit: Option<u64>,
) -> String {
    let mut params = Vec::new();
    if let Some(status) = status {
        params.push(format!("status={status}"));
    }
    if let Some(after) = after {
        params.push(format!("after={}", urlencode(after)));
    }
    if let Some(limit) = limit {
        params.push(format!("limit={limit}"));
    }
    if params.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", params.join("&"))
    }
}
