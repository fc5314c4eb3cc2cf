//! The double-submit token of a form shown before there is a session (sign-in, an
//! invitation's password form), which the session's CSRF token cannot protect: a
//! random value in a `SameSite=Strict` cookie and the same value in the form, which
//! another site can neither read nor set.

use axum::{
    http::{HeaderMap, HeaderValue, header},
    response::Response,
};
use base64::Engine as _;

use super::session;
use crate::clock::Random;

/// The double-submit cookie of one form, by its name.
#[derive(Debug, Clone, Copy)]
pub struct DoubleSubmit {
    /// The cookie's name (one per form, so one form's token does not pass another).
    pub cookie: &'static str,
}

impl DoubleSubmit {
    /// A new random token for the form about to be shown.
    pub fn new_token(random: &dyn Random) -> String {
        let mut bytes = [0u8; 32];
        random.fill(&mut bytes);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Whether the form's `token` is the one its cookie holds (an empty one never is).
    pub fn matches(&self, headers: &HeaderMap, token: &str) -> bool {
        !token.is_empty() && session::cookie(headers, self.cookie) == Some(token)
    }

    /// Sets the cookie holding `token` on the answer that shows the form.
    pub fn set(&self, response: &mut Response, token: &str, secure: bool) {
        let cookie = session::set_cookie(self.cookie, token, secure, None)
            .replace("SameSite=Lax", "SameSite=Strict");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
}
