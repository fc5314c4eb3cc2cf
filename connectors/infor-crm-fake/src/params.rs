//! Query-string handling: case-insensitive parameter names, `+` as space, and
//! rebuilding paging links that keep every other parameter as the client sent it.

use http::HeaderMap;
use percent_encoding::percent_decode_str;

/// The wire format of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Atom/XML (the SData default).
    Atom,
    /// JSON (`format=json` or `Accept: application/json`).
    Json,
}

/// The parsed query string of one request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    /// (decoded name, decoded value, raw `name=value` text).
    pairs: Vec<(String, String, String)>,
}

/// Percent-decodes a query component, treating `+` as a space.
pub(crate) fn decode_component(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

impl Params {
    /// Parses a raw query string (without `?`).
    pub(crate) fn parse(raw: Option<&str>) -> Params {
        let pairs = raw
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (name, value) = p.split_once('=').unwrap_or((p, ""));
                (
                    decode_component(name),
                    decode_component(value),
                    p.to_string(),
                )
            })
            .collect();
        Params { pairs }
    }

    /// The first value of a parameter, matching its name case-insensitively.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, ..)| n.eq_ignore_ascii_case(name))
            .map(|(_, v, _)| v.as_str())
    }

    /// The raw query with `startIndex`/`count` replaced, for `next`/`first` links.
    pub(crate) fn with_paging(&self, start_index: usize, count: usize) -> String {
        let mut parts: Vec<String> = self
            .pairs
            .iter()
            .filter(|(n, ..)| {
                !n.eq_ignore_ascii_case("startIndex") && !n.eq_ignore_ascii_case("count")
            })
            .map(|(_, _, raw)| raw.clone())
            .collect();
        parts.push(format!("startIndex={start_index}"));
        parts.push(format!("count={count}"));
        parts.join("&")
    }

    /// The raw query as received.
    pub(crate) fn raw(&self) -> String {
        self.pairs
            .iter()
            .map(|(_, _, raw)| raw.as_str())
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The response format: `format=` first, then the `Accept` header, else Atom.
    pub(crate) fn format(&self, headers: &HeaderMap) -> Format {
        if let Some(f) = self.get("format") {
            return if f.eq_ignore_ascii_case("json") {
                Format::Json
            } else {
                Format::Atom
            };
        }
        let accept = headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if accept.contains("application/json") && !accept.contains("atom") {
            Format::Json
        } else {
            Format::Atom
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_plus_is_space() {
        let p = Params::parse(Some(
            "orderby=LastName&where=Email+eq+%27a%40b.com%27&FORMAT=json",
        ));
        assert_eq!(p.get("orderBy"), Some("LastName"));
        assert_eq!(p.get("where"), Some("Email eq 'a@b.com'"));
        assert_eq!(p.format(&HeaderMap::new()), Format::Json);
    }

    #[test]
    fn paging_links_keep_other_parameters_raw() {
        let p = Params::parse(Some("where=A%20eq%201&startIndex=1&count=10&format=json"));
        assert_eq!(
            p.with_paging(11, 10),
            "where=A%20eq%201&format=json&startIndex=11&count=10"
        );
    }
}
