//! HTTP Basic authentication via `Authorization` or `X-Authorization`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::diagnose::{Diagnosis, SdataCode};

/// The challenge Infor CRM answers unauthenticated requests with.
const CHALLENGE: &str = "Basic realm=\"SalesLogix\"";

/// Finds the user whose Basic credentials the request carries, trying `Authorization`
/// then `X-Authorization`; `Err` carries why they were refused.
pub(crate) fn identify<T>(
    headers: &HeaderMap,
    user_for: impl Fn(&str, &str) -> Option<T>,
) -> Result<T, String> {
    let mut seen = false;
    for name in ["authorization", "x-authorization"] {
        let Some(value) = headers.get(name).and_then(|v| v.to_str().ok()) else {
            continue;
        };
        seen = true;
        let Some((scheme, token)) = value.trim().split_once(' ') else {
            continue;
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            continue;
        }
        let Ok(decoded) = STANDARD.decode(token.trim()) else {
            continue;
        };
        let text = String::from_utf8_lossy(&decoded);
        let Some((user, pass)) = text.split_once(':') else {
            continue;
        };
        if let Some(found) = user_for(user, pass) {
            return Ok(found);
        }
    }
    Err(if seen {
        "The user name or password is invalid.".into()
    } else {
        "Authentication is required.".into()
    })
}

/// Whether the client asked not to be challenged (`X-Authorization-Mode: no-challenge`).
pub(crate) fn no_challenge(headers: &HeaderMap) -> bool {
    headers
        .get("x-authorization-mode")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("no-challenge"))
}

/// The 401 diagnosis.
pub(crate) fn unauthorized(message: String) -> Diagnosis {
    Diagnosis::new(
        StatusCode::UNAUTHORIZED,
        SdataCode::ApplicationDiagnosis,
        message,
    )
}

/// Adds `WWW-Authenticate: Basic realm="SalesLogix"` unless suppressed.
pub(crate) fn challenge(headers: &HeaderMap, response: &mut axum::response::Response) {
    if !no_challenge(headers) {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(CHALLENGE),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(headers: &HeaderMap, username: &str, password: &str) -> Result<(), String> {
        identify(headers, |u, p| {
            (u.eq_ignore_ascii_case(username) && p == password).then_some(())
        })
    }

    fn basic(user: &str, pass: &str) -> HeaderValue {
        let token = STANDARD.encode(format!("{user}:{pass}"));
        HeaderValue::from_str(&format!("Basic {token}")).unwrap_or(HeaderValue::from_static(""))
    }

    #[test]
    fn either_header_carries_basic_credentials() {
        let mut h = HeaderMap::new();
        assert!(check(&h, "admin", "pw").is_err());
        h.insert("x-authorization", basic("Admin", "pw"));
        assert!(check(&h, "admin", "pw").is_ok());
        let mut h = HeaderMap::new();
        h.insert("authorization", basic("admin", "wrong"));
        assert!(check(&h, "admin", "pw").is_err());
        h.insert("authorization", HeaderValue::from_static("Bearer abc"));
        assert!(check(&h, "admin", "pw").is_err());
    }
}
