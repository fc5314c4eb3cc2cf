//! The `metrics_token` check: a scrape's `Authorization: Bearer <token>` against the
//! configured token, in constant time (both sides hashed to SHA-256 first, so neither
//! the content nor the length of the token leaks through timing).

use axum::http::{HeaderMap, header::AUTHORIZATION};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// Why a scrape was refused; the message is the 401 problem's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// No `Authorization: Bearer …` header.
    #[error("missing Authorization: Bearer <metrics token> header")]
    Missing,
    /// A bearer token that is not the configured one.
    #[error("the metrics token is not valid")]
    Wrong,
}

/// Whether `headers` carry `expected` as their bearer token; `None` (no token set)
/// lets every scrape through.
pub fn check(headers: &HeaderMap, expected: Option<&SecretString>) -> Result<(), TokenError> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .ok_or(TokenError::Missing)?;
    if same_secret(presented, expected.expose_secret()) {
        Ok(())
    } else {
        Err(TokenError::Wrong)
    }
}

/// Compares two secrets in time that depends on neither: their SHA-256 digests, every
/// byte, without an early exit.
pub fn same_secret(presented: &str, expected: &str) -> bool {
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(value).unwrap_or_else(|e| panic!("{e}")),
        );
        headers
    }

    #[test]
    fn same_secret_is_equality_whatever_the_lengths() {
        assert!(same_secret("0123456789abcdef", "0123456789abcdef"));
        assert!(!same_secret("0123456789abcdeF", "0123456789abcdef"));
        assert!(!same_secret("0123456789abcde", "0123456789abcdef"));
        assert!(!same_secret("", "0123456789abcdef"));
    }

    #[test]
    fn the_bearer_token_is_required_only_when_set() {
        let token = SecretString::from("0123456789abcdef".to_string());
        assert_eq!(check(&HeaderMap::new(), None), Ok(()));
        assert_eq!(
            check(&HeaderMap::new(), Some(&token)),
            Err(TokenError::Missing)
        );
        assert_eq!(
            check(&with_authorization("Basic 0123456789abcdef"), Some(&token)),
            Err(TokenError::Missing)
        );
        assert_eq!(
            check(&with_authorization("Bearer 0123456789abcdeX"), Some(&token)),
            Err(TokenError::Wrong)
        );
        assert_eq!(
            check(&with_authorization("bearer 0123456789abcdef"), Some(&token)),
            Ok(())
        );
    }
}
