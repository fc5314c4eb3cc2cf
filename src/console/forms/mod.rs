//! The *Forms* pages: the account's web forms, the builder (fields, mapping, update
//! rules, hosted page texts, thank-you), the embed snippet, and each form's submissions
//! with *Retry* and a CSV download. Every action goes through [`crate::forms`], the
//! same service as `/v1/forms`, and shows the API's messages beside their control.

mod builder;
mod builder_values;
mod index;
mod submissions;
mod submissions_csv;

use axum::{
    Router,
    routing::{get, post},
};

use super::error::ConsoleError;
use crate::{
    app::AppState,
    forms::FormError,
    store::{AccountId, Form, FormId},
};

/// `/forms` and its pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/forms", get(index::show).post(builder::create))
        .route("/forms/new", get(builder::new_form))
        .route("/forms/{id}", get(builder::show).post(builder::update))
        .route("/forms/{id}/submissions", get(submissions::show))
        .route(
            "/forms/{id}/submissions/{sid}/retry",
            post(submissions::retry),
        )
        .route(
            "/forms/{id}/submissions.csv",
            get(submissions_csv::download),
        )
}

/// The form `raw` (an id from the URL) of `account`: a malformed id and another
/// account's form are both "not found".
async fn owned(state: &AppState, account: AccountId, raw: &str) -> Result<Form, ConsoleError> {
    let id = FormId::from_db(raw).ok_or_else(not_found)?;
    crate::forms::get_form(state, account, id)
        .await
        .map_err(page_error)
}

/// The error page for a failed form action that is not about a control.
fn page_error(err: FormError) -> ConsoleError {
    match err {
        FormError::NotFound(_) => not_found(),
        other => ConsoleError::service(other),
    }
}

/// The page shown for a form that is not this account's.
fn not_found() -> ConsoleError {
    ConsoleError::NotFound("There is no such form in this account.".to_string())
}
