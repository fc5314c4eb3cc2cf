//! The resolver hook: every connection a guarded `reqwest` client opens to a host name
//! asks [`GuardedResolver`] for the addresses, and gets none that the policy refuses.
//! Because the check runs on each connection with the answer that connection will use,
//! a name that answers a public address once and a private one later (DNS rebinding)
//! is refused the second time.

use std::{
    fmt, io,
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use futures::future::BoxFuture;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::{AllowList, address::is_public};

/// Where host names become addresses. The guard asks the system resolver
/// ([`SystemLookup`]); tests give it a double that answers without any DNS.
pub trait Lookup: Send + Sync + fmt::Debug {
    /// The addresses `host` resolves to.
    fn lookup(&self, host: &str) -> BoxFuture<'static, io::Result<Vec<IpAddr>>>;
}

/// The operating system's resolver (`getaddrinfo`, off the async threads).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: &str) -> BoxFuture<'static, io::Result<Vec<IpAddr>>> {
        let host = host.to_string();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// What the resolver hook answers for a host it refuses: the name resolved to an address
/// that is not public and not allowed, or did not resolve at all. The message is the
/// same for both, so a caller cannot use the refusal to map a network; only the
/// service itself looks at [`HostRefused::lookup_failed`], to retry a lookup failure
/// (a DNS outage may pass) where a private address would be refused again. Found in a
/// transport error's causes by [`super::refusal`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the host is not an address listbridge may reach")]
pub struct HostRefused {
    /// True when the name did not resolve (the lookup failed); false when it resolved
    /// to an address the policy refuses. Not part of the message.
    pub lookup_failed: bool,
}

/// The `reqwest` resolver that applies the policy to every answer.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver {
    pub allow: Arc<AllowList>,
    pub lookup: Arc<dyn Lookup>,
}

impl GuardedResolver {
    /// The addresses of `host` a connection may use, or [`HostRefused`]. An allowed host
    /// name is resolved as usual (its lookup errors are reported as they are); any
    /// other name is refused when it does not resolve (marked as a lookup failure) or
    /// when any of its addresses is neither public nor allowed (one bad address refuses
    /// the name, so no retry or fallback can reach it).
    pub async fn addresses(
        allow: &AllowList,
        lookup: &dyn Lookup,
        host: &str,
    ) -> Result<Vec<IpAddr>, Box<dyn std::error::Error + Send + Sync>> {
        if allow.allows_host(host) {
            return Ok(lookup.lookup(host).await?);
        }
        let addresses = lookup.lookup(host).await.map_err(|_| HostRefused {
            lookup_failed: true,
        })?;
        if addresses.is_empty() {
            return Err(Box::new(HostRefused {
                lookup_failed: true,
            }));
        }
        let permitted = |ip: &IpAddr| is_public(*ip) || allow.allows_address(*ip);
        if !addresses.iter().all(permitted) {
            return Err(Box::new(HostRefused {
                lookup_failed: false,
            }));
        }
        Ok(addresses)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        let lookup = self.lookup.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addresses = GuardedResolver::addresses(&allow, lookup.as_ref(), &host).await?;
            let addrs: Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, 0))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            Ok(addrs)
        })
    }
}
