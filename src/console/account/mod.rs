//! The *Account* pages: the account's settings (admins: its name, shown in every
//! page's header, and its default time zone) and *Change password* (everyone: the
//! current password, the new one twice; every other session of theirs ends).

mod password;
mod settings;

use axum::{Router, routing::get};

use crate::app::AppState;

/// `/account` and `/account/password`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(settings::show).post(settings::submit))
        .route(
            "/account/password",
            get(password::show).post(password::submit),
        )
}
