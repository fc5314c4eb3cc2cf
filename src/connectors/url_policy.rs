//! Which CRM base URLs a connector may use, checked before any request is sent.
//!
//! Plain `http://` is allowed only to loopback hosts (local fakes and tunnels)
//! and to hosts the operator names in `LISTBRIDGE_ALLOW_HTTP_HOSTS` (e.g. a fake
//! CRM container on a private network): anywhere else it would send the CRM
//! password in clear text.

use std::{net::IpAddr, sync::Arc};

use url::{Host, Url};

use crate::domain::redact::redact_url;

/// Why a base URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlPolicyError {
    /// Not a usable absolute http(s) URL.
    #[error("'{url}' is not a valid CRM URL: {reason}")]
    Invalid {
        /// The URL as given.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// `http://` to a host other than this machine.
    #[error(
        "'{url}' uses plain http:// to a remote host, which would send the CRM password \
         unencrypted; use https://"
    )]
    Insecure {
        /// The URL as given.
        url: String,
    },
}

/// Which hosts besides loopback may be reached over plain `http://`.
#[derive(Debug, Clone, Default)]
pub struct UrlPolicy {
    allow_http_hosts: Arc<[String]>,
}

impl UrlPolicy {
    /// A policy that also allows plain http to these host names (case-insensitive).
    pub fn allowing_http_to(hosts: &[String]) -> Self {
        UrlPolicy {
            allow_http_hosts: hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect(),
        }
    }

    /// Checks a base URL as typed by a marketer and returns it trimmed.
    pub fn check(&self, raw: &str) -> Result<String, UrlPolicyError> {
        check_with(raw, |host| {
            is_loopback(host)
                || self
                    .allow_http_hosts
                    .iter()
                    .any(|h| *h == host.to_string().to_ascii_lowercase())
        })
    }
}

/// Checks a base URL with the default policy (plain http to loopback only).
pub fn check_base_url(raw: &str) -> Result<String, UrlPolicyError> {
    UrlPolicy::default().check(raw)
}

fn check_with(
    raw: &str,
    http_allowed: impl Fn(&Host<&str>) -> bool,
) -> Result<String, UrlPolicyError> {
    let trimmed = raw.trim();
    // Errors show the URL with any embedded password masked.
    let shown = redact_url(trimmed);
    let invalid = |reason: &str| UrlPolicyError::Invalid {
        url: shown.clone(),
        reason: reason.to_string(),
    };
    let url = Url::parse(trimmed).map_err(|e| invalid(&e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "it contains a user name or password; give them as username and password instead",
        ));
    }
    let host = url.host().ok_or_else(|| invalid("it has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if http_allowed(&host) => {}
        "http" => return Err(UrlPolicyError::Insecure { url: shown }),
        other => return Err(invalid(&format!("scheme '{other}' is not http or https"))),
    }
    Ok(trimmed.to_string())
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_to_loopback() {
        assert!(check_base_url(" https://acme.saleslogixcloud.com/ ").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080").is_ok());
        assert!(check_base_url("http://localhost:1").is_ok());
        assert!(check_base_url("http://[::1]:9/sdata").is_ok());
        assert_eq!(
            check_base_url("http://crm.example.com"),
            Err(UrlPolicyError::Insecure {
                url: "http://crm.example.com".into()
            })
        );
        assert!(matches!(
            check_base_url("http://10.0.0.1"),
            Err(UrlPolicyError::Insecure { .. })
        ));
    }

    #[test]
    fn named_hosts_may_use_http() {
        let policy = UrlPolicy::allowing_http_to(&["Fake-CRM".to_string()]);
        assert!(policy.check("http://fake-crm:8181").is_ok());
        assert!(policy.check("http://other:8181").is_err());
    }

    #[test]
    fn malformed_urls_and_embedded_credentials_are_invalid() {
        for bad in [
            "crm.example.com",
            "ftp://crm.example.com",
            "https://u:p@crm.example.com",
            "",
        ] {
            let err = check_base_url(bad).unwrap_err();
            assert!(matches!(err, UrlPolicyError::Invalid { .. }), "{bad}");
            assert!(!err.to_string().contains(":p@"), "{err}");
        }
    }
}
