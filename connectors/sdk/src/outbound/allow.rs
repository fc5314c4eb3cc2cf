//! The operator's exceptions to the outbound guard (`allow_private_hosts`): host names
//! and IP networks that may be reached although they are not on the public internet,
//! and that may be reached over plain `http://`.

use std::{fmt, net::IpAddr, str::FromStr};

use ipnet::IpNet;

/// An entry of an allow-list that is neither a host name nor an address or network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{entry}' is not a host name, an IP address or a network such as 10.0.0.0/8 or fd00::/8")]
pub struct AllowListError {
    /// The entry as given.
    pub entry: String,
}

/// Host names and networks an operator allows although they are private (a CRM on the
/// company network, a fake CRM in tests). Empty by default: nothing private is reached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    /// Lower-cased host names without a trailing dot.
    hosts: Vec<String>,
    /// Networks; a single address is a network of one.
    nets: Vec<IpNet>,
}

impl AllowList {
    /// Allows nothing.
    pub fn none() -> AllowList {
        AllowList::default()
    }

    /// This machine: `127.0.0.0/8`, `::1` and `localhost`. For tests, the demo and
    /// benchmarks, whose fake CRM listens on loopback.
    pub fn loopback() -> AllowList {
        AllowList::parse("127.0.0.0/8,::1,localhost").unwrap_or_default()
    }

    /// Parses a comma-separated list (the environment variable's form); blank entries
    /// are skipped.
    pub fn parse(list: &str) -> Result<AllowList, AllowListError> {
        AllowList::from_entries(list.split(','))
    }

    /// Parses entries (the config file's array form): host names, IP addresses or
    /// networks in CIDR notation; blank entries are skipped.
    pub fn from_entries<I, S>(entries: I) -> Result<AllowList, AllowListError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list = AllowList::none();
        for entry in entries {
            let entry = entry.as_ref().trim();
            if entry.is_empty() {
                continue;
            }
            if let Ok(net) = IpNet::from_str(entry) {
                list.nets.push(net);
            } else if let Ok(ip) =
                IpAddr::from_str(entry.trim_start_matches('[').trim_end_matches(']'))
            {
                list.nets.push(IpNet::from(ip));
            } else if is_host_name(entry) {
                list.hosts.push(normal_host(entry));
            } else {
                return Err(AllowListError {
                    entry: entry.to_string(),
                });
            }
        }
        Ok(list)
    }

    /// Adds every entry of `other`.
    pub fn extend(&mut self, other: &AllowList) {
        for host in &other.hosts {
            if !self.hosts.contains(host) {
                self.hosts.push(host.clone());
            }
        }
        for net in &other.nets {
            if !self.nets.contains(net) {
                self.nets.push(*net);
            }
        }
    }

    /// True when nothing is allowed.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty() && self.nets.is_empty()
    }

    /// True when the host name is listed (case and a trailing dot do not matter).
    pub fn allows_host(&self, name: &str) -> bool {
        self.hosts.contains(&normal_host(name))
    }

    /// True when the address is in a listed network, directly or as the IPv4 address
    /// an IPv4-mapped IPv6 address stands for.
    pub fn allows_address(&self, ip: IpAddr) -> bool {
        let canonical = ip.to_canonical();
        self.nets
            .iter()
            .any(|net| net.contains(&ip) || net.contains(&canonical))
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries: Vec<String> = self
            .nets
            .iter()
            .map(ToString::to_string)
            .chain(self.hosts.iter().cloned())
            .collect();
        f.write_str(&entries.join(","))
    }
}

fn normal_host(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Letters, digits, `-`, `_` and dots, in labels of at most 63 characters.
fn is_host_name(entry: &str) -> bool {
    let name = entry.trim_end_matches('.');
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse()
            .unwrap_or_else(|e| panic!("{text} is not an address: {e}"))
    }

    fn list(text: &str) -> AllowList {
        AllowList::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn networks_addresses_and_names() {
        let allowed = list(" 127.0.0.1/8, ::1 ,Fake-CRM., 10.1.2.3,, fd00::/8 ");
        assert!(allowed.allows_address(ip("127.200.0.1")));
        assert!(
            allowed.allows_address(ip("::ffff:127.0.0.1")),
            "mapped form"
        );
        assert!(allowed.allows_address(ip("::1")));
        assert!(allowed.allows_address(ip("10.1.2.3")));
        assert!(!allowed.allows_address(ip("10.1.2.4")));
        assert!(allowed.allows_address(ip("fd12::1")));
        assert!(!allowed.allows_address(ip("fc00::1")));
        assert!(!allowed.allows_address(ip("169.254.169.254")));
        assert!(allowed.allows_host("fake-crm"));
        assert!(allowed.allows_host("FAKE-CRM."));
        assert!(!allowed.allows_host("fake-crm.evil.example"));
        assert!(!allowed.allows_host("localhost"));
    }

    #[test]
    fn nothing_is_allowed_by_default() {
        let none = AllowList::none();
        assert!(none.is_empty());
        assert!(!none.allows_address(ip("127.0.0.1")));
        assert!(!none.allows_host("localhost"));
        assert_eq!(AllowList::parse(" , ").ok(), Some(AllowList::none()));
    }

    #[test]
    fn loopback_covers_this_machine_only() {
        let loopback = AllowList::loopback();
        assert!(loopback.allows_address(ip("127.0.0.1")));
        assert!(loopback.allows_address(ip("::1")));
        assert!(loopback.allows_host("localhost"));
        assert!(!loopback.allows_address(ip("10.0.0.1")));
        assert_eq!(loopback.to_string(), "127.0.0.0/8,::1/128,localhost");
    }

    #[test]
    fn entries_that_are_nothing_are_named() {
        for bad in [
            "10.0.0.0/33",
            "*.example.com",
            "http://crm",
            "a b",
            "::1/129",
        ] {
            let err = AllowList::parse(bad).err();
            assert_eq!(
                err.as_ref().map(|e| e.entry.as_str()),
                Some(bad),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn extend_adds_without_repeating() {
        let mut operator = list("fake-crm,127.0.0.1/8");
        operator.extend(&AllowList::loopback());
        assert_eq!(
            operator.to_string(),
            "127.0.0.1/8,127.0.0.0/8,::1/128,fake-crm,localhost"
        );
    }
}
