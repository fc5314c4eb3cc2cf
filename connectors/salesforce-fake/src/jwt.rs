//! Reading a JWT bearer assertion (RFC 7523) as Salesforce's OAuth 2.0 JWT Bearer Flow
//! takes it: `header.claims.signature`, base64url without padding.
//!
//! The signature is NOT verified: checking RS256 needs an RSA implementation and the
//! connected app's certificate. The fake checks the structure, `alg`, and the claims
//! `iss`, `sub`, `aud` and `exp`. See the README.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value as Json;

/// The claims Salesforce reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: Json,
    pub exp: i64,
}

impl Claims {
    /// Whether `aud` is (or, as an array, contains) `want`.
    pub(crate) fn has_audience(&self, want: &[String]) -> bool {
        let ok = |s: &str| {
            want.iter()
                .any(|w| w.trim_end_matches('/') == s.trim_end_matches('/'))
        };
        match &self.aud {
            Json::String(s) => ok(s),
            Json::Array(items) => items.iter().filter_map(Json::as_str).any(ok),
            _ => false,
        }
    }
}

fn part(text: &str) -> Option<Json> {
    let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The claims of a well-formed RS256 assertion; `None` when it is not one.
pub(crate) fn read(assertion: &str) -> Option<Claims> {
    let mut parts = assertion.split('.');
    let (header, claims, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || signature.is_empty() {
        return None;
    }
    let header = part(header)?;
    if header.get("alg").and_then(Json::as_str) != Some("RS256") {
        return None;
    }
    serde_json::from_value(part(claims)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_claims_of_an_rs256_assertion() {
        let enc = |j: &str| URL_SAFE_NO_PAD.encode(j);
        let a = format!(
            "{}.{}.sig",
            enc(r#"{"alg":"RS256"}"#),
            enc(r#"{"iss":"c","sub":"u@x","aud":"https://login.salesforce.com","exp":5}"#)
        );
        let Some(c) = read(&a) else {
            panic!("reads");
        };
        assert_eq!(c.sub, "u@x");
        assert!(c.has_audience(&["https://login.salesforce.com/".into()]));
        let none = format!("{}.{}.sig", enc(r#"{"alg":"none"}"#), enc("{}"));
        assert_eq!(read(&none), None);
        assert_eq!(read("a.b"), None);
    }
}
