//! Where the CRM's SData service lives, and the URLs of its resources.
//!
//! A marketer types `https://company.saleslogixcloud.com` (perhaps with a trailing `/`,
//! or even a pasted `/sdata/...` path). Everything from `/sdata` on is dropped; what is
//! left is the base under which `/sdata/slx/dynamic/-/` and the system contract live.

use listbridge_connector::ConnectorError;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

/// Characters left as they are in query values and keys: RFC 3986 "unreserved".
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a query value or path part (spaces become `%20`, never `+`).
pub(crate) fn encode(value: &str) -> String {
    utf8_percent_encode(value, STRICT).to_string()
}

/// The normalised location of one CRM's SData service.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Scheme, host, port and any path prefix, without a trailing slash.
    base: String,
    parsed: Url,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Endpoint").field(&self.base).finish()
    }
}

impl Endpoint {
    /// Normalises what a marketer typed. Refuses URLs that are not http(s), that have no
    /// host, or that embed a user name or password.
    pub fn parse(input: &str) -> Result<Endpoint, ConnectorError> {
        let invalid = |why: &str| ConnectorError::Invalid {
            message: format!("the CRM address is not usable: {why}"),
        };
        let trimmed = input.trim();
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_string()
        } else {
            format!("https://{trimmed}")
        };
        let mut url = Url::parse(&with_scheme).map_err(|_| invalid("it is not a web address"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("it must start with https:// (or http://)"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("it has no host name"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "it must not contain a user name or password; enter those separately",
            ));
        }
        let path = url.path().to_string();
        let lower = path.to_ascii_lowercase();
        let prefix = match lower.find("/sdata") {
            Some(at) => &path[..at],
            None => path.as_str(),
        };
        let prefix = prefix.trim_end_matches('/').to_string();
        url.set_path(&prefix);
        url.set_query(None);
        url.set_fragment(None);
        let base = url.as_str().trim_end_matches('/').to_string();
        Ok(Endpoint { base, parsed: url })
    }

    /// The normalised base URL (no trailing slash), e.g. `https://company.saleslogixcloud.com`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// True for plain `http://` to a host other than loopback: credentials would travel
    /// unencrypted. The service refuses such addresses on Connect.
    pub fn is_plaintext_remote(&self) -> bool {
        if self.parsed.scheme() != "http" {
            return false;
        }
        match self.parsed.host() {
            Some(url::Host::Ipv4(ip)) => !ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => !ip.is_loopback(),
            Some(url::Host::Domain(name)) => !name.eq_ignore_ascii_case("localhost"),
            None => true,
        }
    }

    /// True when `url` is on this endpoint's scheme, host and port (so credentials may go there).
    pub(crate) fn same_origin(&self, url: &Url) -> bool {
        url.scheme() == self.parsed.scheme()
            && url.host_str() == self.parsed.host_str()
            && url.port_or_known_default() == self.parsed.port_or_known_default()
    }

    /// `POST {base}/sdata/slx/system/-/$service/getCurrentUser`.
    pub(crate) fn current_user(&self) -> Result<Url, ConnectorError> {
        self.url(
            format!("{}/sdata/slx/system/-/$service/getCurrentUser", self.base),
            &[],
        )
    }

    /// `{base}/sdata/slx/dynamic/-/{kind}?{params}`.
    pub(crate) fn collection(
        &self,
        kind: &str,
        params: &[(&str, String)],
    ) -> Result<Url, ConnectorError> {
        self.url(format!("{}/sdata/slx/dynamic/-/{kind}", self.base), params)
    }

    /// `{base}/sdata/slx/dynamic/-/{kind}('{key}')?{params}`, the key quoted and encoded.
    pub(crate) fn single(
        &self,
        kind: &str,
        key: &str,
        params: &[(&str, String)],
    ) -> Result<Url, ConnectorError> {
        let quoted = encode(&key.replace('\'', "''"));
        self.url(
            format!("{}/sdata/slx/dynamic/-/{kind}('{quoted}')", self.base),
            params,
        )
    }

    /// `{base}/sdata/slx/dynamic/-/{kind}/{keyword}` such as `$schema` or `$batch`.
    pub(crate) fn keyword(
        &self,
        kind: &str,
        keyword: &str,
        params: &[(&str, String)],
    ) -> Result<Url, ConnectorError> {
        self.url(
            format!("{}/sdata/slx/dynamic/-/{kind}/{keyword}", self.base),
            params,
        )
    }

    fn url(&self, path: String, params: &[(&str, String)]) -> Result<Url, ConnectorError> {
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        let full = if query.is_empty() {
            path
        } else {
            format!("{path}?{}", query.join("&"))
        };
        Url::parse(&full).map_err(|e| ConnectorError::Invalid {
            message: format!("could not build a CRM address: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(input: &str) -> String {
        Endpoint::parse(input)
            .map(|e| e.base_url().to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn normalises_what_people_type() {
        assert_eq!(
            base("https://company.saleslogixcloud.com"),
            "https://company.saleslogixcloud.com"
        );
        assert_eq!(
            base(" https://company.saleslogixcloud.com/ "),
            "https://company.saleslogixcloud.com"
        );
        assert_eq!(
            base("https://h.example/sdata/slx/dynamic/-/leads?x=1"),
            "https://h.example"
        );
        assert_eq!(base("https://h.example/SData/"), "https://h.example");
        assert_eq!(base("https://h.example/crm/sdata"), "https://h.example/crm");
        assert_eq!(base("http://127.0.0.1:8123"), "http://127.0.0.1:8123");
        assert_eq!(
            base("company.saleslogixcloud.com"),
            "https://company.saleslogixcloud.com"
        );
    }

    #[test]
    fn refuses_unusable_addresses() {
        for input in [
            "ftp://h.example",
            "https://admin:secret@h.example",
            "https://",
            "http://",
        ] {
            assert!(Endpoint::parse(input).is_err(), "{input}");
        }
        let err = base("https://admin:secret@h.example");
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn plaintext_remote_detection() {
        let remote = |s: &str| {
            Endpoint::parse(s)
                .map(|e| e.is_plaintext_remote())
                .unwrap_or(false)
        };
        assert!(remote("http://crm.example.com"));
        assert!(!remote("https://crm.example.com"));
        assert!(!remote("http://127.0.0.1:9000"));
        assert!(!remote("http://localhost:9000"));
        assert!(!remote("http://[::1]:9000"));
    }

    #[test]
    fn resource_urls() {
        let e = Endpoint::parse("https://h.example/").unwrap_or_else(|e| panic!("{e}"));
        let url = |r: Result<Url, ConnectorError>| r.map(|u| u.to_string()).unwrap_or_default();
        assert_eq!(
            url(e.current_user()),
            "https://h.example/sdata/slx/system/-/$service/getCurrentUser"
        );
        assert_eq!(
            url(e.collection(
                "leads",
                &[
                    ("where", "Email eq 'a+b@x.com'".into()),
                    ("count", "10".into())
                ]
            )),
            "https://h.example/sdata/slx/dynamic/-/leads?where=Email%20eq%20%27a%2Bb%40x.com%27&count=10"
        );
        assert_eq!(
            url(e.single("leads", "O'N", &[])),
            "https://h.example/sdata/slx/dynamic/-/leads('O%27%27N')"
        );
        assert_eq!(
            url(e.keyword("leads", "$batch", &[])),
            "https://h.example/sdata/slx/dynamic/-/leads/$batch"
        );
    }

    #[test]
    fn origin_check() {
        let e = Endpoint::parse("http://127.0.0.1:8080").unwrap_or_else(|e| panic!("{e}"));
        let same = |s: &str| Url::parse(s).map(|u| e.same_origin(&u)).unwrap_or(false);
        assert!(same(
            "http://127.0.0.1:8080/sdata/slx/dynamic/-/leads?startIndex=11"
        ));
        assert!(!same("http://127.0.0.1:8081/sdata"));
        assert!(!same("http://evil.example:8080/sdata"));
        assert!(!same("https://127.0.0.1:8080/sdata"));
    }
}
