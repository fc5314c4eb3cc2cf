//! Which control of a connector form a refusal belongs beside. The words and the
//! status are the API's ([`ApiError`] from the service's error); only the placement
//! is the console's.

use axum::http::StatusCode;

use super::super::{error::ConsoleError, form::FieldErrors};
use crate::{connectors::ConnectError, error::ApiError};

/// A refused connector form: its messages and the status to show the form with.
#[derive(Debug)]
pub struct Refusal {
    /// The messages, by control.
    pub errors: FieldErrors,
    /// The API's status for the same refusal.
    pub status: StatusCode,
}

/// The refusal to show on a form whose controls are `controls` (of `kind`,
/// `base_url`, `username`, `password`); a message about a control the form does not
/// have is shown about the form. A server failure is an error page instead.
pub fn refusal(err: ConnectError, controls: &[&'static str]) -> Result<Refusal, ConsoleError> {
    let api: ApiError = err.into();
    if api.status() == StatusCode::INTERNAL_SERVER_ERROR {
        return Err(api.into());
    }
    let present = |field: &str| controls.iter().copied().find(|c| *c == field);
    let named = api
        .details()
        .and_then(|d| d.get("field"))
        .and_then(|f| f.as_str());
    let errors = match named.or(control_of(api.code())).and_then(present) {
        Some(fallback) => FieldErrors::from_api(&api, fallback, present),
        None => FieldErrors::form(api.message()),
    };
    Ok(Refusal {
        errors,
        status: api.status(),
    })
}

/// The control an API error code is about, if any (a `missing_field` names its own
/// in the details).
fn control_of(code: &str) -> Option<&'static str> {
    match code {
        "invalid_url"
        | "insecure_url"
        | "address_not_allowed"
        | "crm_unreachable"
        | "not_crm_endpoint"
        | "already_connected" => Some("base_url"),
        "crm_login_failed" => Some("password"),
        "unknown_kind" => Some("kind"),
        _ => None,
    }
}
