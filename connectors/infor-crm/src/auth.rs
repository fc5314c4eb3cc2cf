//! The CRM login, kept secret: the password lives in a [`SecretString`] and only becomes a
//! header value (marked sensitive) at the moment a request is built.

use base64::Engine;
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

/// A CRM user name and password.
#[derive(Clone)]
pub(crate) struct Credentials {
    username: String,
    password: SecretString,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

impl Credentials {
    /// Wraps a login.
    pub fn new(username: String, password: SecretString) -> Credentials {
        Credentials { username, password }
    }

    /// Adds Basic auth the way the Saleslogix clients send it: in `Authorization` and
    /// `X-Authorization`, with `X-Authorization-Mode: no-challenge` so the server does not
    /// answer with a browser login prompt.
    pub fn apply(&self, headers: &mut HeaderMap) {
        let token = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.username,
            self.password.expose_secret()
        ));
        if let Ok(mut value) = HeaderValue::from_str(&format!("Basic {token}")) {
            value.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, value.clone());
            headers.insert("X-Authorization", value);
        }
        headers.insert(
            "X-Authorization-Mode",
            HeaderValue::from_static("no-challenge"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_in_both_headers_and_never_in_debug() {
        let creds = Credentials::new("admin".into(), SecretString::from("s3cr3t pass"));
        let mut headers = HeaderMap::new();
        creds.apply(&mut headers);
        // base64("admin:s3cr3t pass")
        let expected = "Basic YWRtaW46czNjcjN0IHBhc3M=";
        assert_eq!(
            headers.get("authorization").and_then(|v| v.to_str().ok()),
            Some(expected)
        );
        assert_eq!(
            headers.get("x-authorization").and_then(|v| v.to_str().ok()),
            Some(expected)
        );
        assert!(
            headers
                .get("authorization")
                .is_some_and(HeaderValue::is_sensitive)
        );
        assert_eq!(
            headers
                .get("x-authorization-mode")
                .and_then(|v| v.to_str().ok()),
            Some("no-challenge")
        );
        let debug = format!("{creds:?} {headers:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(!debug.contains("YWRtaW46czNjcjN0IHBhc3M="), "{debug}");
    }
}
