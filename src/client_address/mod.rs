//! Who sent a request, for the limits counted per client (public form posts, console
//! sign-in attempts). The service speaks plain HTTP and runs behind a TLS proxy, where
//! every socket peer is the proxy: counting per peer would make all visitors share one
//! bucket. So when the peer is a configured trusted proxy ([`TrustedProxies`]), the
//! client is read from the one header that proxy writes ([`ForwardedHeader`]: setting
//! `forwarded_header`, `X-Forwarded-For` unless set to RFC 7239 `Forwarded`). The other
//! header is ignored: a proxy passes headers it does not write through untouched, so
//! whatever a client put there would be believed.
//!
//! The header is walked from the right (the nearest hop) past trusted proxies to the
//! first address that is not one: entries further left were written by that untrusted
//! client and prove nothing. Entries are read one by one, so junk a client wrote on the
//! left costs nothing; only an entry the walk meets before any untrusted address that
//! is malformed, or hidden (`unknown`, an obfuscated name), gives the peer. A peer that
//! is not trusted is the client, whatever its headers say.
//!
//! Limits count per [`ClientKey`]: an IPv4 address, or an IPv6 address's /64.

mod forwarded;
mod trusted;

use std::{
    fmt,
    net::{IpAddr, Ipv6Addr},
    str::FromStr,
};

use axum::http::{HeaderMap, HeaderName, header};

pub use self::forwarded::{Hop, MalformedHeader, parse_forwarded, parse_x_forwarded_for};
pub use self::trusted::{BadProxyEntry, TrustedProxies};

/// The `X-Forwarded-For` header.
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The header the trusted proxies write the client's address to (setting
/// `forwarded_header`). Only that one is read: the proxy passes the other through as the
/// client sent it, so reading it would let a client name any address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For` (nginx, HAProxy, AWS ALB, most others): the default.
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded` (its `for=` parameters).
    Forwarded,
}

impl ForwardedHeader {
    /// The header's name as the setting spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        }
    }
}

impl FromStr for ForwardedHeader {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(ForwardedHeader::XForwardedFor),
            "forwarded" => Ok(ForwardedHeader::Forwarded),
            _ => Err(
                "expected 'x-forwarded-for' or 'forwarded' (the header the trusted proxy writes)"
                    .to_string(),
            ),
        }
    }
}

/// The client address of a request whose socket peer is `peer`, behind `trusted`
/// proxies that write `header` (see the module documentation for which entry is
/// believed when).
pub fn client_address(
    peer: IpAddr,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
    header: ForwardedHeader,
) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let hops = forwarded_hops(headers, header);
    for hop in hops.iter().rev() {
        match hop {
            Hop::Address(ip) if !trusted.contains(*ip) => return ip.to_canonical(),
            Hop::Address(_) => {}
            Hop::Hidden => return peer,
            Hop::Malformed(e) => {
                tracing::debug!(error = %e, "a proxy header entry was not used; the peer counts as the client");
                return peer;
            }
        }
    }
    // Every hop is a trusted proxy: the first is the client as far as anyone knows.
    match hops.first() {
        Some(Hop::Address(ip)) => ip.to_canonical(),
        _ => peer,
    }
}

/// The hops header `which` lists, all its lines in order (several lines are one list); none
/// without the header. A line that is not visible ASCII is one malformed hop.
fn forwarded_hops(headers: &HeaderMap, which: ForwardedHeader) -> Vec<Hop> {
    let (name, parse, not_text): (&HeaderName, fn(&str) -> Vec<Hop>, _) = match which {
        ForwardedHeader::XForwardedFor => (
            &X_FORWARDED_FOR,
            parse_x_forwarded_for,
            MalformedHeader::ForwardedFor,
        ),
        ForwardedHeader::Forwarded => (
            &header::FORWARDED,
            parse_forwarded,
            MalformedHeader::Forwarded("it is not text"),
        ),
    };
    headers
        .get_all(name)
        .iter()
        .flat_map(|line| match line.to_str() {
            Ok(text) => parse(text),
            Err(_) => vec![Hop::Malformed(not_text)],
        })
        .collect()
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
    const XFF: ForwardedHeader = ForwardedHeader::XForwardedFor;
    const FORWARDED: ForwardedHeader = ForwardedHeader::Forwarded;

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=203.0.113.9"),
        ]);
        for which in [XFF, FORWARDED] {
            assert_eq!(
                client_address(ip(PROXY), &h, &TrustedProxies::default(), which),
                ip(PROXY)
            );
            assert_eq!(
                client_address(ip("198.51.100.1"), &h, &trusted(&[PROXY]), which),
                ip("198.51.100.1")
            );
        }
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let proxies = trusted(&[PROXY, "10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.1.1.1")]);
        assert_eq!(
            client_address(ip(PROXY), &h, &proxies, XFF),
            ip("203.0.113.9"),
            "the spoofed left-most entry is not believed"
        );
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8::7]:443\";proto=https",
        )]);
        assert_eq!(
            client_address(ip(PROXY), &h, &proxies, FORWARDED),
            ip("2001:db8::7")
        );
    }

    #[test]
    fn header_lines_are_one_list() {
        let proxies = trusted(&[PROXY, "10.0.0.0/8"]);
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.1"),
            ("x-forwarded-for", "203.0.113.2, 10.0.0.3"),
        ]);
        assert_eq!(
            client_address(ip(PROXY), &h, &proxies, XFF),
            ip("203.0.113.2")
        );
        let h = headers(&[
            ("forwarded", "for=203.0.113.1"),
            ("forwarded", "for=203.0.113.2, for=10.0.0.3"),
        ]);
        assert_eq!(
            client_address(ip(PROXY), &h, &proxies, FORWARDED),
            ip("203.0.113.2")
        );
    }

    #[test]
    fn only_the_header_the_proxy_writes_is_read() {
        let proxies = trusted(&[PROXY]);
        // The proxy appends to X-Forwarded-For and passes the client's own Forwarded
        // through: that one is not believed.
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.1"),
            ("forwarded", "for=198.51.100.5"),
        ]);
        assert_eq!(
            client_address(ip(PROXY), &h, &proxies, XFF),
            ip("203.0.113.1")
        );
        let h = headers(&[("forwarded", "for=198.51.100.5")]);
        assert_eq!(
            client_address(ip(PROXY), &h, &proxies, XFF),
            ip(PROXY),
            "a Forwarded header alone names nobody"
        );
        // And the other way round.
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.1"),
            ("forwarded", "for=198.51.100.5"),
        ]);
        assert_eq!(
            client_address(ip(PROXY), &h, &proxies, FORWARDED),
            ip("198.51.100.5")
        );
        let h = headers(&[("x-forwarded-for", "203.0.113.1")]);
        assert_eq!(
            client_address(ip(PROXY), &h, &proxies, FORWARDED),
            ip(PROXY)
        );
    }

    #[test]
    fn junk_left_of_the_client_is_skipped() {
        let proxies = trusted(&[PROXY, "10.0.0.0/8"]);
        for (h, which) in [
            (headers(&[("x-forwarded-for", "junk, 203.0.113.7")]), XFF),
            (
                headers(&[(
                    "x-forwarded-for",
                    "not an address, _x, 203.0.113.7, 10.0.0.2",
                )]),
                XFF,
            ),
            (
                headers(&[
                    ("x-forwarded-for", "junk"),
                    ("x-forwarded-for", "203.0.113.7"),
                ]),
                XFF,
            ),
            (
                headers(&[("forwarded", "for=junk;;x, for=203.0.113.7")]),
                FORWARDED,
            ),
            (
                headers(&[
                    ("forwarded", "for=\"unclosed"),
                    ("forwarded", "for=203.0.113.7"),
                ]),
                FORWARDED,
            ),
        ] {
            assert_eq!(
                client_address(ip(PROXY), &h, &proxies, which),
                ip("203.0.113.7"),
                "{h:?}"
            );
        }
        let mut h = HeaderMap::new();
        h.append(
            &X_FORWARDED_FOR,
            HeaderValue::from_bytes(b"203.0.113.1\xff").expect("opaque bytes"),
        );
        h.append(&X_FORWARDED_FOR, HeaderValue::from_static("203.0.113.8"));
        assert_eq!(
            client_address(ip(PROXY), &h, &proxies, XFF),
            ip("203.0.113.8"),
            "an opaque line to the left"
        );
    }

    #[test]
    fn a_malformed_or_hidden_hop_right_of_the_client_gives_the_peer() {
        let proxies = trusted(&[PROXY, "10.0.0.0/8"]);
        for (h, which) in [
            (
                headers(&[("x-forwarded-for", "203.0.113.1, not-an-address")]),
                XFF,
            ),
            (
                headers(&[("x-forwarded-for", "203.0.113.1, junk, 10.0.0.2")]),
                XFF,
            ),
            (headers(&[("x-forwarded-for", "203.0.113.1, unknown")]), XFF),
            (
                headers(&[("forwarded", "for=203.0.113.1;for=203.0.113.2")]),
                FORWARDED,
            ),
            (headers(&[("forwarded", "for=_hidden")]), FORWARDED),
            (
                headers(&[("forwarded", "for=203.0.113.1, for=unknown")]),
                FORWARDED,
            ),
            (headers(&[("forwarded", "proto=https")]), FORWARDED),
            (
                headers(&[("forwarded", "for=203.0.113.1, for=\"unclosed, for=10.0.0.2")]),
                FORWARDED,
            ),
        ] {
            assert_eq!(
                client_address(ip(PROXY), &h, &proxies, which),
                ip(PROXY),
                "{h:?}"
            );
        }
        let mut h = HeaderMap::new();
        h.insert(
            &X_FORWARDED_FOR,
            HeaderValue::from_bytes(b"203.0.113.1\xff").expect("opaque bytes"),
        );
        assert_eq!(client_address(ip(PROXY), &h, &proxies, XFF), ip(PROXY));
        assert_eq!(
            client_address(ip(PROXY), &HeaderMap::new(), &proxies, XFF),
            ip(PROXY),
            "no header"
        );
    }

    #[test]
    fn a_chain_of_trusted_proxies_only_gives_its_first_hop() {
        let proxies = trusted(&[PROXY, "10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "10.0.0.5, 10.0.0.6")]);
        assert_eq!(client_address(ip(PROXY), &h, &proxies, XFF), ip("10.0.0.5"));
        let h = headers(&[("x-forwarded-for", "junk, 10.0.0.5")]);
        assert_eq!(
            client_address(ip(PROXY), &h, &proxies, XFF),
            ip(PROXY),
            "no untrusted hop before the junk"
        );
    }

    #[test]
    fn ipv4_mapped_peers_and_hops_count_as_ipv4() {
        let proxies = trusted(&[PROXY]);
        let h = headers(&[("x-forwarded-for", "::ffff:203.0.113.4")]);
        assert_eq!(
            client_address(ip("::ffff:127.0.0.1"), &h, &proxies, XFF),
            ip("203.0.113.4")
        );
    }

    #[test]
    fn the_header_setting_reads_either_spelling() {
        assert_eq!(
            " X-Forwarded-For ".parse::<ForwardedHeader>(),
            Ok(ForwardedHeader::XForwardedFor)
        );
        assert_eq!(
            "Forwarded".parse::<ForwardedHeader>(),
            Ok(ForwardedHeader::Forwarded)
        );
        assert!("x-real-ip".parse::<ForwardedHeader>().is_err());
        assert_eq!(ForwardedHeader::default(), ForwardedHeader::XForwardedFor);
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
