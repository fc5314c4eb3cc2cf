//! `GET/POST /invite/{token}`: the page an invited person opens from their one-time
//! link. They choose a password (the same length rule as everywhere,
//! [`crate::people::password::check_strength`]) and are signed in with a new session,
//! as sign-in does; the link then stops working. A used, expired or unknown link says
//! so and where to go instead.
//!
//! There is no session yet, so the form carries a double-submit token like sign-in: a
//! random value in a `SameSite=Strict` cookie and the same value in the form.

use askama::Template;
use axum::{
    Form,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::sentence;
use crate::{
    app::AppState,
    console::{error::ConsoleError, session},
    people::{MIN_PASSWORD_CHARS, People, PeopleError},
};

/// The invitation form's double-submit cookie.
const INVITE_COOKIE: &str = "lb_invite";

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
        Ok(user) => page(
            &state,
            secure,
            &token,
            &user.email,
            "",
            "",
            "",
            StatusCode::OK,
        ),
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
    let cookie_token = session::cookie(&headers, INVITE_COOKIE).unwrap_or_default();
    if form.form_token.is_empty() || cookie_token != form.form_token {
        return page(
            &state,
            secure,
            &token,
            &user.email,
            "This form has expired. Please choose your password again.",
            "",
            "",
            StatusCode::FORBIDDEN,
        );
    }
    if form.new_password.expose_secret() != form.confirm_password.expose_secret() {
        return page(
            &state,
            secure,
            &token,
            &user.email,
            "",
            "",
            "The two passwords are not the same. Type the same password twice.",
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let user = match people.accept_invitation(&token, form.new_password).await {
        Ok(user) => user,
        Err(PeopleError::Password(err)) => {
            return page(
                &state,
                secure,
                &token,
                &user.email,
                "",
                &sentence(&err.to_string()),
                "",
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
        Err(err) => return link_refused(&state, secure, &token, err),
    };
    tracing::info!(user = %user.id, account = %user.account_id, "accepted a console invitation");
    session::start_and_redirect(&state, &headers, &user, "/lists", INVITE_COOKIE).await
}

/// The page for a link that does not work (unknown 404, used or expired 410).
fn link_refused(
    state: &AppState,
    secure: bool,
    token: &str,
    err: PeopleError,
) -> Result<Response, ConsoleError> {
    let status = match err {
        PeopleError::InvitationUnknown => StatusCode::NOT_FOUND,
        PeopleError::InvitationUsed | PeopleError::InvitationExpired => StatusCode::GONE,
        other => return Err(ConsoleError::internal(&other)),
    };
    page(
        state,
        secure,
        token,
        "",
        &sentence(&err.to_string()),
        "",
        "",
        status,
    )
}

#[allow(clippy::too_many_arguments)]
fn page(
    state: &AppState,
    secure: bool,
    token: &str,
    email: &str,
    refusal: &str,
    password_error: &str,
    confirm_error: &str,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let mut bytes = [0u8; 32];
    state.random.fill(&mut bytes);
    let form_token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let html = InvitePage {
        token,
        form_token: &form_token,
        email,
        refusal,
        password_error,
        confirm_error,
        min_chars: MIN_PASSWORD_CHARS,
        version: env!("CARGO_PKG_VERSION"),
    }
    .render()?;
    let cookie = session::set_cookie(INVITE_COOKIE, &form_token, secure, None)
        .replace("SameSite=Lax", "SameSite=Strict");
    let mut response = (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}
