//! The *Callers* pages (admins, but for *Calls*): what a phone system (PBXware, IPVoice) is given to
//! ask listbridge about a caller. *Lookup keys* — create one (the key, its optional
//! `X-Lookup-Secret` and the lookup URL to paste into the phone system are shown once),
//! revoke one behind a confirmation — and *Routing rules* — the rule sets the route URL
//! evaluates: list, a builder with ordered rows and a default destination, edit,
//! delete behind a confirmation — and *Calls* (every signed-in user): the calls the
//! phone system reported and where each one's CRM note is, unmatched callers with the
//! reason.
//!
//! Every action goes through [`crate::callers::keys::LookupKeys`],
//! [`crate::callers::routing::RoutingRules`] and [`crate::callers::interactions`], the
//! services the API uses; their refusals
//! are shown beside the control they are about, in the API's words.

mod calls;
mod index;
mod keys;
mod rules;

use axum::{
    Router,
    http::{HeaderMap, header},
    routing::{get, post},
};

use super::{error::ConsoleError, session};
use crate::{
    app::AppState,
    callers::{keys::LookupKeyError, routing::RoutingError},
    store::{LookupKeyId, RuleSetId},
};

/// `/callers`, its key and rule set forms, and `/callers/calls`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/callers", get(index::show))
        .route("/callers/calls", get(calls::show))
        .route("/callers/keys", post(keys::create))
        .route(
            "/callers/keys/{id}/revoke",
            get(keys::show_revoke).post(keys::revoke),
        )
        .route(
            "/callers/rules/new",
            get(rules::new_form).post(rules::create),
        )
        .route(
            "/callers/rules/{id}/edit",
            get(rules::edit_form).post(rules::update),
        )
        .route(
            "/callers/rules/{id}/delete",
            get(rules::show_delete).post(rules::delete),
        )
}

/// The lookup key id of a URL; a malformed id is "not found", like another account's.
fn key_id(raw: &str) -> Result<LookupKeyId, ConsoleError> {
    LookupKeyId::from_db(raw).ok_or_else(|| {
        ConsoleError::service(LookupKeyError::NotFound(LookupKeyId(uuid::Uuid::nil())))
    })
}

/// The rule set id of a URL; a malformed id is "not found", like another account's.
fn rule_set_id(raw: &str) -> Result<RuleSetId, ConsoleError> {
    RuleSetId::from_db(raw)
        .ok_or_else(|| ConsoleError::NotFound("There is no such routing rule set.".to_string()))
}

/// A routing service error that is no form's fault.
fn routing_failure(err: RoutingError) -> ConsoleError {
    ConsoleError::service(err)
}

/// This service's address as the admin reached it (`https://host`), for the URLs to
/// paste into the phone system; the phone system must be able to reach it too.
fn origin(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if session::secure(state, headers) {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}
