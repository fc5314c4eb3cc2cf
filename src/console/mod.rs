//! The marketer's web console, served by the same binary at `/`.
//!
//! Server-rendered HTML (askama templates under `templates/console/`, auto-escaped,
//! so a CRM value or a CSV cell is always text) with htmx for partial updates (live
//! progress, member search), both vendored under `assets/console/` and served by the
//! binary: no CDN, no build step. Pages call the same services as the JSON API
//! (`crate::lists`, `crate::connectors`, …) and show the same errors, in words,
//! beside the field they are about.
//!
//! Every page but sign-in needs a session ([`session::Viewer`]); every state-changing
//! request carries the session's CSRF token ([`session::session_layer`]); admins may
//! do everything, marketers everything but connectors, people and API keys.

mod account;
mod assets;
mod callers;
mod campaigns;
mod connectors;
mod csv_download;
mod double_submit;
mod error;
mod field_picker;
mod form;
mod forms;
mod headers;
mod jobs;
mod layout;
mod list_page;
mod lists;
mod page;
mod people;
mod prelude;
mod progress;
mod runs;
mod schedules;
mod segments;
mod session;
mod sign_in;
mod sync;
mod upload;
mod words;

use std::sync::Arc;

use axum::{Extension, Router, middleware, response::Redirect, routing::get};

use crate::app::AppState;

pub use headers::security_headers;

/// The answer for a path nothing serves: the console's "Not found" page for a browser
/// (it asks for HTML), an empty 404 for an API client, which the problem layer turns
/// into `Problem` JSON as for every other API error.
pub async fn not_found(request: axum::extract::Request) -> axum::response::Response {
    use axum::{http::header, response::IntoResponse};
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html && !request.uri().path().starts_with(crate::api::V1_PREFIX) {
        error::ConsoleError::NotFound(format!("There is no page at {}.", request.uri().path()))
            .into_response()
    } else {
        axum::http::StatusCode::NOT_FOUND.into_response()
    }
}
pub use sign_in::SignInLimiter;

/// Every console route, behind the session layer. `limiter` counts this instance's
/// sign-in attempts.
pub fn routes(state: &AppState, limiter: Arc<SignInLimiter>) -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/lists") }))
        .merge(sign_in::routes())
        .merge(connectors::routes())
        .merge(lists::routes())
        .merge(upload::routes())
        .merge(list_page::routes())
        .merge(sync::routes())
        .merge(progress::routes())
        .merge(runs::routes())
        .merge(forms::routes())
        .merge(campaigns::routes())
        .merge(jobs::routes())
        .merge(people::routes())
        .merge(account::routes())
        .merge(schedules::routes())
        .merge(segments::routes())
        .merge(callers::routes())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::session_layer,
        ))
        .layer(Extension(limiter))
        .merge(assets::routes())
}
