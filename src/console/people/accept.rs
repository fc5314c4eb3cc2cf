//! `GET/POST /invite/{token}`: the page an invited person opens from their one-time
//! link. They choose a password (the same length rule as everywhere,
//! [`crate::people::password::check_strength`]) and are signed in with a new session,
//! as sign-in does; the link then stops working. A used, expired or unknown link says
//! so and where to go instead.
//!
//! There is no session yet, so the form carries a double-submit token like sign-in: a
//! random value in a `SameSite=Strict` cookie and the same value in the form.

use axum::http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::console::prelude::*;
use crate::{
    console::{double_submit::DoubleSubmit, session},
    error::ApiError,
    people::{MIN_PASSWORD_CHARS, People, PeopleError},
};

/// The invitation form's double-submit cookie.
const INVITE: DoubleSubmit = DoubleSubmit {
    cookie: "lb_invite",
};

/// The invitation page: the form, or why the link does not work.
#[derive(Template)]
#[template(path = "console/invite.html")]
struct InvitePage<'a> {
    /// The link's token (the form posts back to it).
    token: &'a str,
    /// The double-submit token.
    form_token: &'a str,
    /// The invited email, or "" when the link does not work.
    email: &'a str,
    /// Why the link does not work, or "".
    refusal: &'a str,
    /// The message beside the new password, or "".
    password_error: &'a str,
    /// The message beside the repeated password, or "".
    confirm_error: &'a str,
    min_chars: usize,
    version: &'static str,
}

/// What the page says besides the form: whose invitation it is, or why the link does
/// not work, and the messages beside the two passwords.
#[derive(Debug, Default)]
struct Shown<'a> {
    email: &'a str,
    refusal: &'a str,
    password_error: &'a str,
    confirm_error: &'a str,
}

/// The submitted invitation form.
#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    form_token: String,
    new_password: SecretString,
    confirm_password: SecretString,
}

/// `GET /invite/{token}`: the password form, or why the link does not work.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, ConsoleError> {
    let secure = session::secure(&state, &headers);
    match People::of(&state).invitation(&token).await {
        Ok(user) => {
            let shown = Shown {
                email: &user.email,
                ..Shown::default()
            };
            page(&state, secure, &token, shown, StatusCode::OK)
        }
        Err(err) => link_refused(&state, secure, &token, err),
    }
}

/// `POST /invite/{token}`: sets the password, uses up the link and signs in.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<AcceptForm>,
) -> Result<Response, ConsoleError> {
    let secure = session::secure(&state, &headers);
    let people = People::of(&state);
    let user = match people.invitation(&token).await {
        Ok(user) => user,
        Err(err) => return link_refused(&state, secure, &token, err),
    };
    let again = |shown: Shown, status| page(&state, secure, &token, shown, status);
    if !INVITE.matches(&headers, &form.form_token) {
        let shown = Shown {
            email: &user.email,
            refusal: "This form has expired. Please choose your password again.",
            ..Shown::default()
        };
        return again(shown, StatusCode::FORBIDDEN);
    }
    if form.new_password.expose_secret() != form.confirm_password.expose_secret() {
        let shown = Shown {
            email: &user.email,
            confirm_error: "The two passwords are not the same. Type the same password twice.",
            ..Shown::default()
        };
        return again(shown, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let user = match people.accept_invitation(&token, form.new_password).await {
        Ok(user) => user,
        Err(PeopleError::Password(err)) => {
            let message = words::sentence(&err.to_string());
            let shown = Shown {
                email: &user.email,
                password_error: &message,
                ..Shown::default()
            };
            return again(shown, StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(err) => return link_refused(&state, secure, &token, err),
    };
    tracing::info!(user = %user.id, account = %user.account_id, "accepted a console invitation");
    session::start_and_redirect(&state, &headers, &user, "/lists", INVITE.cookie).await
}

/// The page for a link that does not work (unknown 404, used or expired 410).
fn link_refused(
    state: &AppState,
    secure: bool,
    token: &str,
    err: PeopleError,
) -> Result<Response, ConsoleError> {
    let api = ApiError::from(err);
    let status = api.status();
    if !matches!(status, StatusCode::NOT_FOUND | StatusCode::GONE) {
        return Err(ConsoleError::from(api));
    }
    let message = words::sentence(api.message());
    let shown = Shown {
        refusal: &message,
        ..Shown::default()
    };
    page(state, secure, token, shown, status)
}

/// The page with a new double-submit token for the form.
fn page(
    state: &AppState,
    secure: bool,
    token: &str,
    shown: Shown,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let form_token = DoubleSubmit::new_token(state.random.as_ref());
    let mut response = InvitePage {
        token,
        form_token: &form_token,
        email: shown.email,
        refusal: shown.refusal,
        password_error: shown.password_error,
        confirm_error: shown.confirm_error,
        min_chars: MIN_PASSWORD_CHARS,
        version: env!("CARGO_PKG_VERSION"),
    }
    .respond_no_store(status)?;
    INVITE.set(&mut response, &form_token, secure);
    Ok(response)
}
