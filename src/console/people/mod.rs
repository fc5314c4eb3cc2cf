//! The *People* page (admins only): the account's users — *Invite a person* (a
//! one-time sign-in link or a generated password, shown once), change a role, remove
//! a person behind a confirmation — and its API keys — *Create API key* (shown once),
//! *Revoke* behind a confirmation. Also the public invitation page (`/invite/{token}`)
//! on which an invited person chooses their password and is signed in.
//!
//! Every action goes through [`crate::people::People`] and
//! [`crate::accounts::AccountAdmin`]; the refusals they give are shown beside the
//! control they are about.

mod accept;
mod index;
mod invite;
mod keys;
mod remove;
mod role;

use axum::{
    Router,
    http::StatusCode,
    routing::{get, post},
};

use super::{error::ConsoleError, form::FieldErrors};
use crate::{
    accounts::{AccountAdmin, AccountError},
    app::AppState,
    error::ApiError,
    people::PeopleError,
    store::{ApiKeyId, UserId},
};

/// `/people`, its forms, `/people/keys…` and the public `/invite/{token}`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/people", get(index::show))
        .route("/people/invite", post(invite::submit))
        .route("/people/{id}/role", post(role::submit))
        .route(
            "/people/{id}/remove",
            get(remove::show).post(remove::submit),
        )
        .route("/people/keys", post(keys::create))
        .route(
            "/people/keys/{id}/revoke",
            get(keys::show_revoke).post(keys::revoke),
        )
        .route("/invite/{token}", get(accept::show).post(accept::submit))
}

/// The service of accounts and API keys over the application's parts.
pub(crate) fn account_admin(state: &AppState) -> AccountAdmin<'_> {
    AccountAdmin {
        store: &state.store,
        clock: state.clock.as_ref(),
        random: state.random.as_ref(),
    }
}

/// A refusal of the people service, beside the form control it is about: `Ok` with
/// the messages and status to show the form again with, `Err` for what is no form's
/// fault (an unknown person is the "not found" page; a broken store the error page).
/// Statuses and messages come from the one mapping of `PeopleError` (`api/problems.rs`).
pub(crate) fn people_refusal(
    err: PeopleError,
    field_of: impl Fn(&PeopleError) -> &'static str,
) -> Result<(FieldErrors, StatusCode), ConsoleError> {
    let field = field_of(&err);
    form_refusal(ApiError::from(err), field)
}

/// An account-service refusal, beside the form control it is about; see
/// [`people_refusal`].
pub(crate) fn account_refusal(
    err: AccountError,
    field_of: impl Fn(&AccountError) -> &'static str,
) -> Result<(FieldErrors, StatusCode), ConsoleError> {
    let field = field_of(&err);
    form_refusal(ApiError::from(err), field)
}

/// A service refusal as a message beside `field`, or the error page when it is no
/// form's fault (not found, server errors).
fn form_refusal(
    api: ApiError,
    field: &'static str,
) -> Result<(FieldErrors, StatusCode), ConsoleError> {
    let status = api.status();
    if status == StatusCode::NOT_FOUND || status.is_server_error() {
        return Err(ConsoleError::from(api));
    }
    Ok((
        FieldErrors::on(field, super::words::sentence(api.message())),
        status,
    ))
}

/// An account-service error that is no form's fault.
pub(crate) fn account_failure(err: AccountError) -> ConsoleError {
    ConsoleError::service(err)
}

/// The user id of a URL; a malformed id is "not found", like another account's.
fn user_id(raw: &str) -> Result<UserId, ConsoleError> {
    UserId::from_db(raw).ok_or_else(not_found)
}

/// The API key id of a URL; a malformed id is "not found", like another account's.
fn key_id(raw: &str) -> Result<ApiKeyId, ConsoleError> {
    ApiKeyId::from_db(raw).ok_or_else(|| account_failure(AccountError::UnknownKey))
}

/// The page shown for a person who is not in this account.
fn not_found() -> ConsoleError {
    ConsoleError::service(PeopleError::UnknownUser)
}
