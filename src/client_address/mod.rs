//! Who sent a request, for the limits counted per client (public form posts, console
//! sign-in attempts). The service speaks plain HTTP and runs behind a TLS proxy, where
//! every socket peer is the proxy: counting per peer would make all visitors share one
//! bucket. So when the peer is a configured trusted proxy ([`TrustedProxies`]), the
//! client is read from `Forwarded` (RFC 7239) or, without it, `X-Forwarded-For`,
//! walking from the right (the nearest hop) past trusted proxies to the first address
//! that is not one: entries further left were written by that untrusted client and
//! prove nothing. A malformed header, or a hop a proxy hides, gives the peer. A peer
//! that is not trusted is the client, whatever its headers say.
//!
//! Limits count per [`ClientKey`]: an IPv4 address, or an IPv6 address's /64.

mod forwarded;
mod trusted;

use std::{
    fmt,
    net::{IpAddr, Ipv6Addr},
};

use axum::http::{HeaderMap, HeaderName, header};

pub use self::forwarded::{Hop, MalformedHeader, parse_forwarded, parse_x_forwarded_for};
pub use self::trusted::{BadProxyEntry, TrustedProxies};

/// The `X-Forwarded-For` header.
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The client address of a request whose socket peer is `peer` (see the module
/// documentation for which header is believed when).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let hops = match forwarded_hops(headers) {
        Ok(hops) => hops,
        Err(e) => {
            tracing::debug!(error = %e, "a proxy header was not used; the peer counts as the client");
            return peer;
        }
    };
    for hop in hops.iter().rev() {
        match hop {
            Hop::Address(ip) if !trusted.contains(*ip) => return ip.to_canonical(),
            Hop::Address(_) => {}
            Hop::Hidden => return peer,
        }
    }
    // Every hop is a trusted proxy: the first is the client as far as anyone knows.
    match hops.first() {
        Some(Hop::Address(ip)) => ip.to_canonical(),
        _ => peer,
    }
}

/// The hops the request's proxy headers list: `Forwarded` when present (all its lines),
/// else `X-Forwarded-For`; none without either.
fn forwarded_hops(headers: &HeaderMap) -> Result<Vec<Hop>, MalformedHeader> {
    if let Some(joined) = joined(headers, &header::FORWARDED) {
        return joined
            .ok_or(MalformedHeader::Forwarded("it is not text"))
            .and_then(|text| parse_forwarded(&text));
    }
    match joined(headers, &X_FORWARDED_FOR) {
        Some(joined) => joined
            .ok_or(MalformedHeader::ForwardedFor)
            .and_then(|text| parse_x_forwarded_for(&text)),
        None => Ok(Vec::new()),
    }
}

/// All lines of a header joined by commas (their meaning as one list); `None` when the
/// header is absent, `Some(None)` when a line is not visible ASCII.
fn joined(headers: &HeaderMap, name: &HeaderName) -> Option<Option<String>> {
    let mut lines = headers.get_all(name).iter().peekable();
    lines.peek()?;
    Some(
        lines
            .map(|line| line.to_str().ok())
            .collect::<Option<Vec<&str>>>()
            .map(|lines| lines.join(",")),
    )
}

/// The bucket a client's requests are counted in: an IPv4 address, or the /64 network
/// of an IPv6 address (one subscriber is usually given a whole /64, so counting per
/// address would give one visitor 2^64 buckets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    /// The bucket of `ip` (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => ClientKey(IpAddr::V4(v4)),
            IpAddr::V6(v6) => {
                let network = u128::from(v6) & !(u128::from(u64::MAX));
                ClientKey(IpAddr::V6(Ipv6Addr::from(network)))
            }
        }
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("test header name"),
                HeaderValue::from_str(value).expect("test header value"),
            );
        }
        map
    }

    fn trusted(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(entries.iter().copied()).expect("test proxies")
    }

    const PROXY: &str = "127.0.0.1";

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=203.0.113.9"),
        ]);
        assert_eq!(
            client_address(ip(PROXY), &h, &TrustedProxies::default()),
            ip(PROXY)
        );
        assert_eq!(
            client_address(ip("198.51.100.1"), &h, &trusted(&[PROXY])),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let proxies = trusted(&[PROXY, "10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.1.1.1")]);
        assert_eq!(
            client_address(ip(PROXY), &h, &proxies),
            ip("203.0.113.9"),
            "the spoofed left-most entry is not believed"
        );
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8::7]:443\";proto=https",
        )]);
        assert_eq!(client_address(ip(PROXY), &h, &proxies), ip("2001:db8::7"));
    }

    #[test]
    fn header_lines_are_one_list_and_forwarded_wins() {
        let proxies = trusted(&[PROXY, "10.0.0.0/8"]);
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.1"),
            ("x-forwarded-for", "203.0.113.2, 10.0.0.3"),
        ]);
        assert_eq!(client_address(ip(PROXY), &h, &proxies), ip("203.0.113.2"));
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.1"),
            ("forwarded", "for=198.51.100.5"),
        ]);
        assert_eq!(client_address(ip(PROXY), &h, &proxies), ip("198.51.100.5"));
    }

    #[test]
    fn malformed_headers_and_hidden_hops_give_the_peer() {
        let proxies = trusted(&[PROXY]);
        for h in [
            headers(&[("x-forwarded-for", "203.0.113.1, not-an-address")]),
            headers(&[("forwarded", "for=203.0.113.1;for=203.0.113.2")]),
            headers(&[("forwarded", "for=_hidden")]),
            headers(&[("forwarded", "for=203.0.113.1, for=unknown")]),
            headers(&[("forwarded", "proto=https")]),
        ] {
            assert_eq!(client_address(ip(PROXY), &h, &proxies), ip(PROXY), "{h:?}");
        }
        let mut h = HeaderMap::new();
        h.insert(
            &X_FORWARDED_FOR,
            HeaderValue::from_bytes(b"203.0.113.1\xff").expect("opaque bytes"),
        );
        assert_eq!(client_address(ip(PROXY), &h, &proxies), ip(PROXY));
        assert_eq!(
            client_address(ip(PROXY), &HeaderMap::new(), &proxies),
            ip(PROXY),
            "no header"
        );
    }

    #[test]
    fn a_chain_of_trusted_proxies_only_gives_its_first_hop() {
        let proxies = trusted(&[PROXY, "10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "10.0.0.5, 10.0.0.6")]);
        assert_eq!(client_address(ip(PROXY), &h, &proxies), ip("10.0.0.5"));
    }

    #[test]
    fn ipv4_mapped_peers_and_hops_count_as_ipv4() {
        let proxies = trusted(&[PROXY]);
        let h = headers(&[("x-forwarded-for", "::ffff:203.0.113.4")]);
        assert_eq!(
            client_address(ip("::ffff:127.0.0.1"), &h, &proxies),
            ip("203.0.113.4")
        );
    }

    #[test]
    fn ipv6_clients_share_a_bucket_per_64_and_ipv4_per_address() {
        let a = ClientKey::of(ip("2001:db8:1:2:aaaa::1"));
        let b = ClientKey::of(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        let other = ClientKey::of(ip("2001:db8:1:3::1"));
        assert_eq!(a, b, "one /64");
        assert_ne!(a, other, "another /64");
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
        assert_ne!(
            ClientKey::of(ip("192.0.2.1")),
            ClientKey::of(ip("192.0.2.2"))
        );
        assert_eq!(
            ClientKey::of(ip("::ffff:192.0.2.1")),
            ClientKey::of(ip("192.0.2.1"))
        );
    }
}
