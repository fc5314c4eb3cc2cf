//! Which CRM base URLs a connector may use, checked before any request is sent: a
//! usable `http(s)` URL without embedded credentials, which the outbound guard
//! ([`OutboundGuard::check_url`]) accepts. The guard refuses IP literals that are not
//! public (unless `allow_private_hosts` lists them) and plain `http://` to hosts not on
//! that list; host names are checked again on every connection by the guard's
//! resolver hook.

use listbridge_connector::{OutboundError, OutboundGuard};
use url::Url;

use crate::domain::redact::redact_url;

/// Why a base URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlPolicyError {
    /// Not a usable absolute http(s) URL.
    #[error("'{url}' is not a valid CRM URL: {reason}")]
    Invalid {
        /// The URL as given, any password masked.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The outbound guard refused it (a private address, plain http to a host not
    /// allowed).
    #[error(transparent)]
    Refused(#[from] OutboundError),
}

/// Checks a base URL as typed by a marketer (or as stored) and returns it trimmed.
pub fn check_base_url(guard: &OutboundGuard, raw: &str) -> Result<String, UrlPolicyError> {
    let trimmed = raw.trim();
    // Errors show the URL with any embedded password masked.
    let invalid = |reason: &str| UrlPolicyError::Invalid {
        url: redact_url(trimmed),
        reason: reason.to_string(),
    };
    let url = Url::parse(trimmed).map_err(|e| invalid(&e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "it contains a user name or password; give them as username and password instead",
        ));
    }
    if url.host().is_none() {
        return Err(invalid("it has no host"));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(&format!(
            "scheme '{}' is not http or https",
            url.scheme()
        )));
    }
    guard.check_url(&url)?;
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use listbridge_connector::AllowList;

    use super::*;

    fn guard(allow: &str) -> OutboundGuard {
        OutboundGuard::new(AllowList::parse(allow).unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn https_to_public_hosts_and_http_only_to_allowed_ones() {
        let none = guard("");
        assert_eq!(
            check_base_url(&none, " https://acme.saleslogixcloud.com/ ").as_deref(),
            Ok("https://acme.saleslogixcloud.com/")
        );
        for refused in [
            "http://127.0.0.1:8080",
            "http://[::1]:9/sdata",
            "https://10.0.0.1",
            "https://169.254.169.254/",
        ] {
            assert!(
                matches!(
                    check_base_url(&none, refused),
                    Err(UrlPolicyError::Refused(OutboundError::NotAllowed { .. }))
                ),
                "{refused}"
            );
        }
        assert!(matches!(
            check_base_url(&none, "http://localhost:1"),
            Err(UrlPolicyError::Refused(OutboundError::Insecure { .. }))
        ));
        assert_eq!(
            check_base_url(&none, "http://crm.example.com"),
            Err(UrlPolicyError::Refused(OutboundError::Insecure {
                url: "http://crm.example.com/".into()
            }))
        );

        let loopback = guard("127.0.0.0/8,::1,localhost,Fake-CRM");
        for allowed in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9/sdata",
            "http://fake-crm:8181",
        ] {
            assert!(check_base_url(&loopback, allowed).is_ok(), "{allowed}");
        }
        assert!(check_base_url(&loopback, "http://other:8181").is_err());
    }

    #[test]
    fn malformed_urls_and_embedded_credentials_are_invalid() {
        for bad in [
            "crm.example.com",
            "ftp://crm.example.com",
            "https://u:p@crm.example.com",
            "https://u:p@10.0.0.1",
            "",
        ] {
            let err = check_base_url(&guard(""), bad).unwrap_err();
            assert!(matches!(err, UrlPolicyError::Invalid { .. }), "{bad}");
            assert!(!err.to_string().contains(":p@"), "{err}");
        }
    }
}
