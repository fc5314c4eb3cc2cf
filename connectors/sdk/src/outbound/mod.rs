//! The one guard for every request listbridge sends out (CRM connectors today, webhooks
//! and destinations tomorrow): a URL given by an account must not become a way to probe
//! or reach the service's own network.
//!
//! Two checks, because `reqwest` resolves only host names:
//! - [`OutboundGuard::check_url`] before any request: the scheme, plain `http://` only to
//!   allowed hosts, and IP-literal hosts (which never reach a resolver);
//! - the resolver hook of [`OutboundGuard::client_builder`] on every connection to a
//!   host name: each address the name resolves to must be public or allowed (so DNS
//!   rebinding is refused too).
//!
//! Refused: loopback, private (RFC 1918), carrier-grade NAT, link-local (cloud
//! metadata), unique-local IPv6, multicast, broadcast, unspecified, documentation and
//! benchmarking ranges, and the IPv6 forms of such IPv4 addresses; unless the host name
//! or the address is in the operator's [`AllowList`] (`allow_private_hosts`). Nothing
//! is allowed by default. A refusal has one message whether the name resolved to a
//! private address or did not resolve at all.

mod address;
mod allow;
mod resolve;
#[cfg(test)]
mod tests;

use std::{error::Error as StdError, net::IpAddr, sync::Arc};

use reqwest::redirect;
use url::{Host, Url};

pub use address::{embedded_v4, is_public};
pub use allow::{AllowList, AllowListError};
pub use resolve::{HostRefused, Lookup, SystemLookup};

use resolve::GuardedResolver;

/// Why the guard refused a URL before anything was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// Not an absolute `http(s)` URL with a host.
    #[error("'{url}' is not a usable address: {reason}")]
    Invalid {
        /// The URL, without credentials, query or fragment.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Plain `http://` to a host the operator has not allowed.
    #[error(
        "'{url}' uses plain http:// to a remote host, which would send the password and \
         data unencrypted; use https://"
    )]
    Insecure {
        /// The URL, without credentials, query or fragment.
        url: String,
    },
    /// The host is, or resolves to, an address that is not on the public internet, or
    /// does not resolve: the same words either way, so they tell a prober nothing.
    #[error(
        "'{url}' is not an address listbridge may reach: its host is not a public internet \
         address (private, loopback and link-local networks, and names that do not resolve, \
         are refused alike). An operator can allow it with allow_private_hosts."
    )]
    NotAllowed {
        /// The URL, without credentials, query or fragment.
        url: String,
        /// True when the host name did not resolve (the DNS lookup failed), which may
        /// pass: the request is retried like an unreachable host. Not in the message,
        /// so a caller cannot tell it from a private address.
        lookup_failed: bool,
    },
}

/// The policy for outbound requests and the way to build HTTP clients that keep it.
/// Cheap to clone; every connector gets one in its `ConnectorConfig`.
#[derive(Debug, Clone)]
pub struct OutboundGuard {
    allow: Arc<AllowList>,
    lookup: Arc<dyn Lookup>,
}

impl Default for OutboundGuard {
    /// Public addresses only, with the system resolver.
    fn default() -> Self {
        OutboundGuard::new(AllowList::none())
    }
}

impl OutboundGuard {
    /// A guard that also allows `allow`, with the system resolver.
    pub fn new(allow: AllowList) -> OutboundGuard {
        OutboundGuard::with_lookup(allow, Arc::new(SystemLookup))
    }

    /// A guard whose host names resolve through `lookup` (tests answer without DNS).
    pub fn with_lookup(allow: AllowList, lookup: Arc<dyn Lookup>) -> OutboundGuard {
        OutboundGuard {
            allow: Arc::new(allow),
            lookup,
        }
    }

    /// The operator's exceptions.
    pub fn allow_list(&self) -> &AllowList {
        &self.allow
    }

    /// True when a connection to `ip` is permitted: a public address, or an allowed one.
    pub fn permits_address(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allow.allows_address(ip)
    }

    /// Checks a URL before any request to it: an `http(s)` scheme and a host; an IP
    /// literal must be permitted (a literal never reaches the resolver hook); plain
    /// `http://` only to a host name or address on the allow-list. A host name is
    /// checked on connection by the client's resolver hook.
    pub fn check_url(&self, url: &Url) -> Result<(), OutboundError> {
        let shown = shown(url);
        let host = match url.host() {
            Some(host) if matches!(url.scheme(), "http" | "https") => host,
            Some(_) => {
                return Err(OutboundError::Invalid {
                    url: shown,
                    reason: format!("the scheme '{}' is not http or https", url.scheme()),
                });
            }
            None => {
                return Err(OutboundError::Invalid {
                    url: shown,
                    reason: "it has no host".to_string(),
                });
            }
        };
        let allowed = match host {
            Host::Ipv4(ip) => self.literal(IpAddr::V4(ip), &shown)?,
            Host::Ipv6(ip) => self.literal(IpAddr::V6(ip), &shown)?,
            Host::Domain(name) => self.allow.allows_host(name),
        };
        if url.scheme() == "http" && !allowed {
            return Err(OutboundError::Insecure { url: shown });
        }
        Ok(())
    }

    /// Whether an IP-literal host is on the allow-list; an error when it is not
    /// permitted at all.
    fn literal(&self, ip: IpAddr, shown: &str) -> Result<bool, OutboundError> {
        if self.allow.allows_address(ip) {
            Ok(true)
        } else if is_public(ip) {
            Ok(false)
        } else {
            Err(OutboundError::NotAllowed {
                url: shown.to_string(),
                lookup_failed: false,
            })
        }
    }

    /// The addresses a connection to `host` may use, by the same rule as the resolver
    /// hook: for clients that are not `reqwest` (an SMTP transport), which then connect
    /// to one of these addresses rather than resolving the name again. An IP literal
    /// answers itself when it is permitted.
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, HostRefused> {
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return if self.permits_address(ip) {
                Ok(vec![ip])
            } else {
                Err(HostRefused {
                    lookup_failed: false,
                })
            };
        }
        GuardedResolver::addresses(&self.allow, self.lookup.as_ref(), host)
            .await
            .map_err(|e| match e.downcast::<HostRefused>() {
                Ok(refused) => *refused,
                Err(_) => HostRefused {
                    lookup_failed: true,
                },
            })
    }

    /// A client builder whose every connection goes through the guard: the resolver
    /// hook, no proxies (a proxy would resolve the host instead of the hook), and
    /// redirects followed only to URLs [`OutboundGuard::check_url`] accepts (at most 10).
    /// A caller that sets its own redirect policy uses
    /// [`OutboundGuard::redirect_policy`]; it must not add DNS overrides.
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .dns_resolver(GuardedResolver {
                allow: self.allow.clone(),
                lookup: self.lookup.clone(),
            })
            .no_proxy()
            .redirect(self.redirect_policy(10, |_| true))
    }

    /// A redirect policy that follows at most `max_hops` redirects, each only to a URL
    /// the guard accepts and `also` approves (e.g. the same origin, so credentials stay
    /// with the CRM).
    pub fn redirect_policy(
        &self,
        max_hops: usize,
        also: impl Fn(&Url) -> bool + Send + Sync + 'static,
    ) -> redirect::Policy {
        let guard = self.clone();
        redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= max_hops
                || !also(attempt.url())
                || guard.check_url(attempt.url()).is_err()
            {
                attempt.stop()
            } else {
                attempt.follow()
            }
        })
    }
}

/// True when the resolver hook refused the host somewhere in `error`'s causes (a
/// transport error of a guarded client): the request never left the service.
pub fn is_refusal(error: &(dyn StdError + 'static)) -> bool {
    refusal(error).is_some()
}

/// The resolver hook's refusal somewhere in `error`'s causes (a transport error of a
/// guarded client), telling whether the name did not resolve or resolved to a refused
/// address; `None` when the hook refused nothing.
pub fn refusal<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a HostRefused> {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(refused) = current.downcast_ref::<HostRefused>() {
            return Some(refused);
        }
        cause = current.source();
    }
    None
}

/// A URL as errors show it: without user name, password, query or fragment (they may
/// hold secrets or personal data).
pub fn shown(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}
