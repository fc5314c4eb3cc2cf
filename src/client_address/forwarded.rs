//! Reading the hops a proxy chain reports: RFC 7239 `Forwarded` (its `for=`
//! parameters) and the older `X-Forwarded-For`. Each yields the hops in the order the
//! header lists them (the client first, the nearest proxy last). Entries are read one
//! by one: an entry that does not follow its grammar becomes [`Hop::Malformed`] in its
//! place, so junk a client wrote to the left does not cost the entries a trusted proxy
//! appended to the right.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One hop of a proxy chain, as a header names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    /// An address (a port, if given, dropped).
    Address(IpAddr),
    /// A hop the proxy does not name: `unknown`, an obfuscated identifier (`_hidden`)
    /// or a `Forwarded` element without `for=`.
    Hidden,
    /// An entry that breaks the header's grammar: it names nobody.
    Malformed(MalformedHeader),
}

/// Why a proxy header entry cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MalformedHeader {
    /// A `Forwarded` element breaks RFC 7239's grammar.
    #[error("a Forwarded element is malformed: {0}")]
    Forwarded(&'static str),
    /// An `X-Forwarded-For` entry is not an address.
    #[error("an X-Forwarded-For entry is not an address")]
    ForwardedFor,
}

/// The hops of a `Forwarded` header line, element by element (an element that breaks
/// the grammar is a [`Hop::Malformed`]; empty elements are skipped).
pub fn parse_forwarded(header: &str) -> Vec<Hop> {
    elements(header)
        .into_iter()
        .filter_map(|element| match parse_element(element) {
            Ok(hop) => hop,
            Err(e) => Some(Hop::Malformed(e)),
        })
        .collect()
}

/// A `Forwarded` line cut at the commas outside quoted strings. An unclosed quote runs
/// to the end of the line, which then is one (malformed) element.
fn elements(header: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in header.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&header[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&header[start..]);
    out
}

/// One `Forwarded` element (no comma outside quotes): its `for` node, [`Hop::Hidden`]
/// without one, `None` when it holds no parameter at all.
fn parse_element(element: &str) -> Result<Option<Hop>, MalformedHeader> {
    let bad = MalformedHeader::Forwarded;
    let mut rest = element;
    let mut node: Option<Hop> = None;
    let mut names: Vec<String> = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            break;
        }
        let name_end = rest.find(|c: char| !is_tchar(c)).unwrap_or(rest.len());
        if name_end == 0 {
            return Err(bad("a parameter name is expected"));
        }
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..]
            .strip_prefix('=')
            .ok_or(bad("a parameter has no '='"))?;
        let (value, after) = read_value(rest)?;
        rest = after;
        if names.contains(&name) {
            return Err(bad("an element names a parameter twice"));
        }
        if name == "for" {
            node = Some(parse_node(&value).ok_or(bad("a for= value is not a node"))?);
        }
        names.push(name);
        rest = rest.trim_start_matches([' ', '\t']);
        if !(rest.is_empty() || rest.starts_with(';')) {
            return Err(bad("a parameter is followed by neither ';' nor ','"));
        }
    }
    Ok((!names.is_empty()).then(|| node.unwrap_or(Hop::Hidden)))
}

/// A parameter value at the start of `rest` (a token or a quoted string, unquoted) and
/// what follows it.
fn read_value(rest: &str) -> Result<(String, &str), MalformedHeader> {
    let bad = MalformedHeader::Forwarded;
    if let Some(quoted) = rest.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Ok((value, &quoted[i + 1..])),
                '\\' => {
                    let (_, escaped) = chars.next().ok_or(bad("a quoted value is not closed"))?;
                    value.push(escaped);
                }
                c if c.is_control() && c != '\t' => {
                    return Err(bad("a quoted value holds a control character"));
                }
                c => value.push(c),
            }
        }
        Err(bad("a quoted value is not closed"))
    } else {
        // Tokens by the letter exclude ':' and '[', but proxies write
        // `for=192.0.2.1:8080` unquoted; a node is checked on its own anyway.
        let end = rest
            .find(|c: char| matches!(c, ';' | ',' | '"' | ' ' | '\t') || c.is_control())
            .unwrap_or(rest.len());
        if end == 0 {
            return Err(bad("a parameter has an empty value"));
        }
        Ok((rest[..end].to_string(), &rest[end..]))
    }
}

/// RFC 7230 token characters.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// A `for=` node: `unknown`, an obfuscated identifier, an IPv4 address or an IPv6
/// address in brackets, each with an optional port. `None` when it is none of them.
fn parse_node(value: &str) -> Option<Hop> {
    if let Some(bracketed) = value.strip_prefix('[') {
        let (v6, after) = bracketed.split_once(']')?;
        let v6: Ipv6Addr = v6.parse().ok()?;
        return port_ok(after).then_some(Hop::Address(IpAddr::V6(v6)));
    }
    // A bare IPv6 address is not what the RFC asks for, but it is unambiguous.
    if let Ok(v6) = value.parse::<Ipv6Addr>() {
        return Some(Hop::Address(IpAddr::V6(v6)));
    }
    let (name, after) = match value.find(':') {
        Some(at) => value.split_at(at),
        None => (value, ""),
    };
    if !port_ok(after) {
        return None;
    }
    if name.eq_ignore_ascii_case("unknown") || is_obfuscated(name) {
        return Some(Hop::Hidden);
    }
    name.parse::<Ipv4Addr>()
        .ok()
        .map(|v4| Hop::Address(IpAddr::V4(v4)))
}

/// Whether `after` (what follows a node's name) is nothing or `:` and a port: up to
/// five digits or an obfuscated port.
fn port_ok(after: &str) -> bool {
    match after.strip_prefix(':') {
        None => after.is_empty(),
        Some(port) => {
            (!port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()))
                || is_obfuscated(port)
        }
    }
}

/// `_` then letters, digits, `.`, `_` or `-` (RFC 7239 obfnode and obfport).
fn is_obfuscated(s: &str) -> bool {
    s.strip_prefix('_').is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    })
}

/// The hops of an `X-Forwarded-For` header line: addresses, optionally with a port
/// (`192.0.2.1:8080`, `[2001:db8::1]:8080`), or `unknown`; any other entry is a
/// [`Hop::Malformed`]. Empty entries are skipped.
pub fn parse_x_forwarded_for(header: &str) -> Vec<Hop> {
    header
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            if let Ok(ip) = entry.parse::<IpAddr>() {
                return Hop::Address(ip);
            }
            match parse_node(entry) {
                Some(Hop::Address(ip)) => Hop::Address(ip),
                Some(Hop::Hidden) if entry.eq_ignore_ascii_case("unknown") => Hop::Hidden,
                _ => Hop::Malformed(MalformedHeader::ForwardedFor),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Hop {
        Hop::Address(s.parse().expect("test address"))
    }

    /// Whether `hops` is one malformed entry.
    fn one_malformed(hops: &[Hop]) -> bool {
        matches!(hops, [Hop::Malformed(_)])
    }

    #[test]
    fn forwarded_elements_in_order_with_other_parameters() {
        assert_eq!(
            parse_forwarded("for=192.0.2.60;proto=http;by=203.0.113.43, for=198.51.100.17"),
            vec![at("192.0.2.60"), at("198.51.100.17")]
        );
        assert_eq!(
            parse_forwarded("For=\"192.0.2.60\" ; Proto=https"),
            vec![at("192.0.2.60")],
            "names in any case, spaces around ';', quoted IPv4"
        );
    }

    #[test]
    fn forwarded_ports_and_ipv6_brackets() {
        assert_eq!(
            parse_forwarded(r#"for="[2001:db8:cafe::17]:4711", for="192.0.2.43:47011""#),
            vec![at("2001:db8:cafe::17"), at("192.0.2.43")]
        );
        assert_eq!(
            parse_forwarded(r#"for="[2001:db8::1]""#),
            vec![at("2001:db8::1")]
        );
        assert_eq!(
            parse_forwarded("for=192.0.2.43:8080"),
            vec![at("192.0.2.43")],
            "an unquoted port"
        );
        assert!(one_malformed(&parse_forwarded(
            r#"for="[2001:db8::1]:port""#
        )));
        assert!(one_malformed(&parse_forwarded(r#"for="[2001:db8::1""#)));
        assert!(one_malformed(&parse_forwarded("for=192.0.2.43:123456")));
    }

    #[test]
    fn forwarded_unknown_obfuscated_and_missing_for_are_hidden_hops() {
        assert_eq!(
            parse_forwarded(
                r#"for=unknown, for=_hidden, for="_SEVKISEK:_port", proto=https, for=192.0.2.1"#
            ),
            vec![
                Hop::Hidden,
                Hop::Hidden,
                Hop::Hidden,
                Hop::Hidden,
                at("192.0.2.1")
            ]
        );
        assert!(
            one_malformed(&parse_forwarded("for=_")),
            "an empty obfuscated name"
        );
        assert!(one_malformed(&parse_forwarded("for=_a/b")));
    }

    #[test]
    fn forwarded_quoted_strings_hold_delimiters_and_escapes() {
        assert_eq!(
            parse_forwarded(r#"for=192.0.2.1;host="a,b;c=\"d\"", for=192.0.2.2"#),
            vec![at("192.0.2.1"), at("192.0.2.2")]
        );
        assert_eq!(
            parse_forwarded(r#"for="\192.0.2.1""#),
            vec![at("192.0.2.1")],
            "a quoted pair stands for its character"
        );
    }

    #[test]
    fn forwarded_empty_elements_are_skipped() {
        assert_eq!(
            parse_forwarded(" , for=192.0.2.1,,  ;"),
            vec![at("192.0.2.1")]
        );
        assert_eq!(parse_forwarded(""), vec![]);
    }

    #[test]
    fn forwarded_garbage_is_malformed_in_its_place() {
        for garbage in [
            "192.0.2.1",
            "for=",
            "for 192.0.2.1",
            "for=192.0.2.1 proto=http",
            "for=192.0.2.1;for=192.0.2.2",
            "for=\"192.0.2.1",
            "for=not-an-address",
            "for=999.0.2.1",
            "=192.0.2.1",
            "for=192.0.2.1\u{1}",
            "for=\"a\u{1}\"",
            "for=1.2.3.4:",
        ] {
            assert!(one_malformed(&parse_forwarded(garbage)), "{garbage:?}");
        }
        assert!(matches!(
            parse_forwarded("for=192.0.2.1, for=[::1").as_slice(),
            [Hop::Address(_), Hop::Malformed(_)]
        ));
        assert!(matches!(
            parse_forwarded("for=junk;by=x, for=192.0.2.9").as_slice(),
            [Hop::Malformed(_), Hop::Address(_)]
        ));
    }

    #[test]
    fn forwarded_an_unclosed_quote_swallows_what_follows() {
        // A client's open quote cannot make a proxy's element read as another address:
        // the rest of the line is one malformed element.
        assert!(one_malformed(&parse_forwarded(
            r#"for="198.51.100.1, for=192.0.2.9"#
        )));
        assert!(matches!(
            parse_forwarded(r#"for=6.6.6.6;host=", for="[2001:db8::1]""#).as_slice(),
            [Hop::Malformed(_)]
        ));
    }

    #[test]
    fn x_forwarded_for_lists_addresses_with_or_without_ports() {
        assert_eq!(
            parse_x_forwarded_for(
                " 203.0.113.7 , 2001:db8::5,[2001:db8::6]:443, 198.51.100.2:8080,,unknown"
            ),
            vec![
                at("203.0.113.7"),
                at("2001:db8::5"),
                at("2001:db8::6"),
                at("198.51.100.2"),
                Hop::Hidden
            ]
        );
        for garbage in [
            "example.com",
            "1.2.3.4 5.6.7.8",
            "_hidden",
            "1.2.3.4:x",
            "[::1",
        ] {
            assert_eq!(
                parse_x_forwarded_for(garbage),
                vec![Hop::Malformed(MalformedHeader::ForwardedFor)],
                "{garbage:?}"
            );
        }
        assert_eq!(
            parse_x_forwarded_for("junk, 203.0.113.7"),
            vec![
                Hop::Malformed(MalformedHeader::ForwardedFor),
                at("203.0.113.7")
            ],
            "a bad entry keeps its neighbours"
        );
    }
}
