//! Who is signed in, and the CSRF check.
//!
//! [`session_layer`] runs before every console handler: it finds the session of the
//! `lb_session` cookie (once per request) and, for every request that changes
//! something, checks the CSRF token the session issued: from the `X-CSRF-Token`
//! header (htmx sends it on every request), the `csrf` field of a url-encoded form,
//! or the `csrf` query parameter of a multipart upload (whose body is streamed, not
//! read ahead). Sign-in, which has no session yet, checks its own token.

use axum::{
    body::{Body, to_bytes},
    extract::{FromRequestParts, OptionalFromRequestParts, Request, State},
    http::{HeaderMap, Method, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::Duration;

use super::error::ConsoleError;
use crate::{
    app::AppState,
    config::SecureCookies,
    people::{ActiveSession, Sessions},
    store::Role,
};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "lb_session";
/// The header htmx requests carry the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field (or query parameter) carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// The largest url-encoded form body read for its CSRF token.
const MAX_FORM_BYTES: usize = 1024 * 1024;
/// Paths that check their own token because no session exists yet.
const OWN_TOKEN_PATHS: &[&str] = &["/sign-in"];
/// Path prefixes that check their own token: an invitation link (`/invite/{token}`),
/// opened before its person has a password, let alone a session.
const OWN_TOKEN_PREFIXES: &[&str] = &["/invite/"];

/// Whether `path` checks its own token instead of a session's CSRF token.
fn checks_own_token(path: &str) -> bool {
    OWN_TOKEN_PATHS.contains(&path) || OWN_TOKEN_PREFIXES.iter().any(|p| path.starts_with(p))
}

/// The signed-in person of a console request. Taking it in a handler proves the
/// request has a live session and names the one account whose data it may show.
#[derive(Debug, Clone)]
pub struct Viewer(pub ActiveSession);

impl Viewer {
    /// Whether the viewer is an admin (to show admin-only links).
    pub fn is_admin(&self) -> bool {
        self.0.user.role == Role::Admin
    }

    /// The viewer's account id, the scope of everything the page shows.
    pub fn account_id(&self) -> crate::store::AccountId {
        self.0.account.id
    }
}

/// The session found for a request, if any (set by [`session_layer`]).
#[derive(Debug, Clone)]
struct FoundSession(Option<ActiveSession>);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ConsoleError> {
        match parts.extensions.get::<FoundSession>() {
            Some(FoundSession(Some(session))) => Ok(Viewer(session.clone())),
            _ => Err(ConsoleError::SignInNeeded {
                next: return_path(parts),
                htmx: parts.headers.contains_key("hx-request"),
            }),
        }
    }
}

/// A signed-in admin of a console request. Taking it instead of a [`Viewer`] makes a
/// page admin-only (connectors, people, API keys, the account's settings): a marketer
/// gets the "not for your role" page (403) before the handler runs.
#[derive(Debug, Clone)]
pub struct Admin(pub Viewer);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let viewer =
            <Viewer as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        match viewer.0.user.role {
            Role::Admin => Ok(Admin(viewer)),
            Role::Marketer => Err(ConsoleError::Forbidden),
        }
    }
}

impl OptionalFromRequestParts<AppState> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <Viewer as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}

/// Where to come back to after signing in: the page itself, or for an htmx request
/// (a fragment) or a form post the page it was made from, so nobody lands on a bare
/// fragment or a URL that only takes POST.
fn return_path(parts: &Parts) -> String {
    // htmx names the page it runs in; a plain form post names it as its referrer
    // (same-origin, so the path and query are this site's).
    let htmx = parts.headers.contains_key("hx-request");
    let page_of = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| url::Url::parse(v).ok())
            .map(|u| match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_string(),
            })
    };
    let this = || {
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".to_string())
    };
    match (htmx, parts.method == Method::GET) {
        (true, _) => page_of("hx-current-url").unwrap_or_else(this),
        (false, true) => this(),
        // A form's own URL cannot be opened with GET; its page can.
        (false, false) => page_of("referer").unwrap_or_else(|| "/lists".to_string()),
    }
}

/// The idle time after which a session is over, from the settings.
pub fn idle(state: &AppState) -> Duration {
    Duration::minutes(i64::from(state.console.session_idle_minutes))
}

/// A cookie's value from the request headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// Whether cookies set in answer to this request get `Secure`.
pub fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    match state.console.secure_cookies {
        SecureCookies::Always => true,
        SecureCookies::Never => false,
        SecureCookies::Auto => {
            let forwarded_proto = headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
            let forwarded = headers
                .get(header::FORWARDED)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.to_ascii_lowercase().contains("proto=https"));
            forwarded_proto || forwarded
        }
    }
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, path `/`, `Secure` when asked;
/// `max_age` in seconds (0 removes the cookie; `None` lasts for the browser session).
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> String {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// Starts a new session for `user` (ending the browser's old one, if any, and sweeping
/// idle ones) and answers with a redirect to `to` that sets its cookie and clears the
/// one-time form cookie `used_cookie` (sign-in's or an invitation's double-submit token).
pub async fn start_and_redirect(
    state: &AppState,
    headers: &HeaderMap,
    user: &crate::store::User,
    to: &str,
    used_cookie: &str,
) -> Result<Response, ConsoleError> {
    let sessions = Sessions::of(state, idle(state));
    if let Some(old) = cookie(headers, SESSION_COOKIE) {
        sessions
            .end(old)
            .await
            .map_err(|e| ConsoleError::internal(&e))?;
    }
    let token = sessions
        .start(user)
        .await
        .map_err(|e| ConsoleError::internal(&e))?;
    // Sessions nobody came back to are removed here, so the table holds only live ones
    // without a background task (one indexed delete per sign-in).
    if let Err(err) = sessions.sweep().await {
        tracing::warn!(error = %err, "removing idle console sessions failed");
    }
    let secure = secure(state, headers);
    let mut response = axum::response::Redirect::to(to).into_response();
    for set in [
        set_cookie(SESSION_COOKIE, token.expose(), secure, None),
        set_cookie(used_cookie, "", secure, Some(0)),
    ] {
        if let Ok(value) = axum::http::HeaderValue::from_str(&set) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// Finds the request's session and checks the CSRF token of every request that
/// changes something.
pub async fn session_layer(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let found = match cookie(&parts.headers, SESSION_COOKIE) {
        Some(token) => match Sessions::of(&state, idle(&state)).find(token).await {
            Ok(found) => found,
            Err(err) => return ConsoleError::internal(&err).into_response(),
        },
        None => None,
    };
    let changes_state = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let body = if changes_state && !checks_own_token(parts.uri.path()) {
        let Some(session) = &found else {
            return ConsoleError::SignInNeeded {
                next: return_path(&parts),
                htmx: parts.headers.contains_key("hx-request"),
            }
            .into_response();
        };
        match check_csrf(&parts, body, &session.csrf_token).await {
            Ok(body) => body,
            Err(err) => return err.into_response(),
        }
    } else {
        body
    };
    parts.extensions.insert(FoundSession(found));
    next.run(Request::from_parts(parts, body)).await
}

/// Passes the body on when the request carries the session's CSRF token.
async fn check_csrf(parts: &Parts, body: Body, expected: &str) -> Result<Body, ConsoleError> {
    let matches = |given: &str| constant_time_eq(given.as_bytes(), expected.as_bytes());
    if let Some(given) = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if matches(given) {
            Ok(body)
        } else {
            Err(ConsoleError::CsrfRejected)
        };
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let bytes = to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| ConsoleError::TooLarge)?;
        let given = form_urlencoded_field(&bytes, CSRF_FIELD);
        return match given {
            Some(given) if matches(&given) => Ok(Body::from(bytes)),
            _ => Err(ConsoleError::CsrfRejected),
        };
    }
    let query_token = parts
        .uri
        .query()
        .and_then(|q| form_urlencoded_field(q.as_bytes(), CSRF_FIELD));
    match query_token {
        Some(given) if matches(&given) => Ok(body),
        _ => Err(ConsoleError::CsrfRejected),
    }
}

/// The first value of `name` in a url-encoded body or query string.
fn form_urlencoded_field(bytes: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(bytes)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Compares two tokens without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; lb_session=tok; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn set_cookie_has_the_attributes() {
        let c = set_cookie(SESSION_COOKIE, "v", true, None);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        assert!(!set_cookie(SESSION_COOKIE, "v", false, Some(0)).contains("Secure"));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn form_fields_are_decoded() {
        assert_eq!(
            form_urlencoded_field(b"x=1&csrf=a%2Bb", CSRF_FIELD).as_deref(),
            Some("a+b")
        );
    }
}
