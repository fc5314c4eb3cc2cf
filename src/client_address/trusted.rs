//! The proxies whose forwarding headers are believed (`trusted_proxies`).

use std::{net::IpAddr, str::FromStr};

use ipnet::IpNet;

/// The addresses and networks of the proxies in front of the service. Only a request
/// whose socket peer is one of them has its `Forwarded` / `X-Forwarded-For` read: anyone
/// else could write any address there. Empty (the default) believes no header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// A `trusted_proxies` entry that is neither an address nor a network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is neither an IP address nor a network in CIDR form (such as 10.0.0.0/8 or fd00::/8); host names are not accepted"
)]
pub struct BadProxyEntry(pub String);

impl TrustedProxies {
    /// Reads entries such as `10.0.0.7`, `10.0.0.0/8` or `fd00::/8` (blank ones are
    /// skipped); the first that is neither an address nor a network is refused.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, BadProxyEntry> {
        entries
            .into_iter()
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                IpNet::from_str(entry)
                    .map(|net| net.trunc())
                    .or_else(|_| IpAddr::from_str(entry).map(IpNet::from))
                    .map_err(|_| BadProxyEntry(entry.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    /// Whether `ip` (an IPv4-mapped IPv6 address counts as its IPv4 address) is a
    /// trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn addresses_and_networks_of_both_families() {
        let trusted =
            TrustedProxies::parse(["10.0.0.7", " 192.168.0.0/16 ", "", "fd00::/8", "::1"])
                .expect("valid entries");
        for yes in [
            "10.0.0.7",
            "192.168.44.1",
            "fd12::9",
            "::1",
            "::ffff:10.0.0.7",
        ] {
            assert!(trusted.contains(ip(yes)), "{yes}");
        }
        for no in ["10.0.0.8", "192.169.0.1", "fe80::1", "127.0.0.1"] {
            assert!(!trusted.contains(ip(no)), "{no}");
        }
        assert!(TrustedProxies::default().is_empty());
        assert!(!TrustedProxies::default().contains(ip("127.0.0.1")));
    }

    #[test]
    fn a_network_with_host_bits_means_the_network() {
        let trusted = TrustedProxies::parse(["10.1.2.3/8"]).expect("valid entry");
        assert!(trusted.contains(ip("10.200.0.1")));
    }

    #[test]
    fn names_and_garbage_are_refused_by_entry() {
        for bad in ["proxy.internal", "10.0.0.0/33", "10.0.0", "*"] {
            assert_eq!(
                TrustedProxies::parse(["10.0.0.1", bad]),
                Err(BadProxyEntry(bad.to_string())),
                "{bad}"
            );
        }
    }
}
