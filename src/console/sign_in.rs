//! Sign in and sign out.
//!
//! Sign-in has no session yet, so its form carries a double-submit token: a random
//! value in a `SameSite=Strict` cookie and the same value in the form, which another
//! site can neither read nor set. Attempts are rate limited per client (its address
//! as [`crate::client_address`] finds it behind trusted proxies, an IPv6 one by its
//! /64) and per email, so guessing a password is slowed to a crawl; a successful
//! sign-in always starts a new session with a new id.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Extension, Router,
    extract::ConnectInfo,
    http::{HeaderMap, HeaderValue, header},
    routing::{get, post},
};
use governor::{DefaultKeyedRateLimiter, RateLimiter};
use secrecy::SecretString;
use serde::Deserialize;

use super::{
    double_submit::DoubleSubmit,
    session::{self, SESSION_COOKIE},
};
use crate::console::prelude::*;
use crate::{
    client_address::{ClientKey, client_address},
    forms::{RateQuota, check_keyed_rate, rate_quota},
    people::{People, PeopleError, Sessions},
};

/// The sign-in form's double-submit cookie.
const SIGN_IN: DoubleSubmit = DoubleSubmit {
    cookie: "lb_sign_in",
};
/// Attempts per email: five at once, then one every 30 seconds.
const PER_EMAIL: RateQuota = RateQuota {
    per_minute: 2,
    burst: 5,
};
/// Attempts per client address: twenty at once, then ten a minute (an office behind
/// one address signs in together in the morning).
const PER_ADDRESS: RateQuota = RateQuota {
    per_minute: 10,
    burst: 20,
};

/// This instance's count of sign-in attempts per client address and per email.
#[derive(Debug)]
pub struct SignInLimiter {
    per_address: DefaultKeyedRateLimiter<ClientKey>,
    per_email: DefaultKeyedRateLimiter<String>,
}

impl Default for SignInLimiter {
    fn default() -> Self {
        SignInLimiter {
            per_address: RateLimiter::keyed(rate_quota(PER_ADDRESS)),
            per_email: RateLimiter::keyed(rate_quota(PER_EMAIL)),
        }
    }
}

impl SignInLimiter {
    /// `Err(wait)` when this client or email has tried too often.
    fn check(&self, address: ClientKey, email: &str) -> Result<(), Duration> {
        check_keyed_rate(&self.per_address, &address)?;
        check_keyed_rate(&self.per_email, &email.trim().to_lowercase())
    }
}

/// `GET/POST /sign-in`, `POST /sign-out`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(show).post(sign_in))
        .route("/sign-out", post(sign_out))
}

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage<'a> {
    token: &'a str,
    next: &'a str,
    email: &'a str,
    error: &'a str,
    version: &'static str,
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only a path on this site: never `//other.site`, `https://…`, nor a path with a
/// backslash, a space or a control character (browsers drop tabs and line breaks from
/// URLs, so `/<TAB>/other.site` would become `//other.site`).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n
                    .chars()
                    .any(|c| c == '\\' || c.is_whitespace() || c.is_control()) =>
        {
            n
        }
        _ => "/lists",
    }
}

fn page(
    status: StatusCode,
    secure: bool,
    next: &str,
    email: &str,
    error: &str,
    random: &dyn crate::clock::Random,
) -> Result<Response, ConsoleError> {
    let token = DoubleSubmit::new_token(random);
    let mut response = SignInPage {
        token: &token,
        next,
        email,
        error,
        version: env!("CARGO_PKG_VERSION"),
    }
    .respond(status)?;
    SIGN_IN.set(&mut response, &token, secure);
    Ok(response)
}

async fn show(
    State(state): State<AppState>,
    viewer: Option<Viewer>,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Result<Response, ConsoleError> {
    let next = safe_next(query.next.as_deref());
    if viewer.is_some() {
        return Ok(Redirect::to(next).into_response());
    }
    let secure = session::secure(&state, &headers);
    page(StatusCode::OK, secure, next, "", "", state.random.as_ref())
}

#[derive(Deserialize)]
struct SignInForm {
    email: String,
    password: SecretString,
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: Option<String>,
}

async fn sign_in(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<SignInLimiter>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, ConsoleError> {
    let secure = session::secure(&state, &headers);
    let next = safe_next(form.next.as_deref());
    let again = |status, error: &str| {
        page(
            status,
            secure,
            next,
            &form.email,
            error,
            state.random.as_ref(),
        )
    };
    if !SIGN_IN.matches(&headers, &form.token) {
        return again(
            StatusCode::FORBIDDEN,
            "This sign-in form has expired. Please sign in again.",
        );
    }
    let client = ClientKey::of(client_address(
        client.ip(),
        &headers,
        &state.trusted_proxies,
        state.forwarded_header,
    ));
    if let Err(wait) = limiter.check(client, &form.email) {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut response = again(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Too many sign-in attempts. Wait {secs} seconds, then try again."),
        )?;
        if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return Ok(response);
    }
    let user = match People::of(&state).sign_in(&form.email, form.password).await {
        Ok(user) => user,
        Err(PeopleError::Refused) => {
            return again(StatusCode::UNAUTHORIZED, "The email or password is wrong.");
        }
        Err(err) => return Err(ConsoleError::internal(&err)),
    };
    tracing::info!(user = %user.id, account = %user.account_id, "signed in to the console");
    session::start_and_redirect(&state, &headers, &user, next, SIGN_IN.cookie).await
}

async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ConsoleError> {
    if let Some(token) = session::cookie(&headers, SESSION_COOKIE) {
        Sessions::of(&state, session::idle(&state))
            .end(token)
            .await
            .map_err(|e| ConsoleError::internal(&e))?;
    }
    let secure = session::secure(&state, &headers);
    let mut response = Redirect::to("/sign-in").into_response();
    if let Ok(value) =
        HeaderValue::from_str(&session::set_cookie(SESSION_COOKIE, "", secure, Some(0)))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/lists/1")), "/lists/1");
        assert_eq!(safe_next(Some("//evil.example")), "/lists");
        assert_eq!(safe_next(Some("/\\evil.example")), "/lists");
        assert_eq!(safe_next(Some("https://evil.example")), "/lists");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/lists");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/lists");
        assert_eq!(safe_next(Some("/lists?search=a b")), "/lists");
        assert_eq!(safe_next(None), "/lists");
    }

    #[test]
    fn a_sixth_attempt_for_one_email_waits() {
        let limiter = SignInLimiter::default();
        let ip = ClientKey::of([127, 0, 0, 1].into());
        for _ in 0..5 {
            assert!(limiter.check(ip, "Ann@Example.com").is_ok());
        }
        assert!(limiter.check(ip, "ann@example.com ").is_err());
        assert!(limiter.check(ip, "bob@example.com").is_ok());
    }
}
