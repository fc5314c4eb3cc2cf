//! Infor CRM specific options, beyond the CRM-neutral [`listbridge_connector::ConnectorConfig`].

pub use crate::retry::Backoff;

/// Which SData representation the connector reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WireFormat {
    /// `format=json` / `application/json` — smaller and what Saleslogix clients use.
    #[default]
    Json,
    /// Atom XML (`application/atom+xml`), for servers or proxies where JSON misbehaves.
    Atom,
}

impl WireFormat {
    /// The `format` query value.
    pub(crate) fn query_value(self) -> &'static str {
        match self {
            WireFormat::Json => "json",
            WireFormat::Atom => "atom",
        }
    }
}

/// Tuning of the Infor CRM connector. `Default` suits a hosted Infor CRM.
#[derive(Debug, Clone, PartialEq)]
pub struct InforCrmOptions {
    /// JSON (default) or Atom.
    pub format: WireFormat,
    /// Writes per `$batch` request.
    pub batch_size: usize,
    /// Most emails or keys per lookup request.
    pub lookup_chunk: usize,
    /// Longest URL sent as a plain GET; SData clients keep GETs under 2000. Longer reads
    /// are tunnelled (see `tunnel_long_gets`); without tunnelling, lookups are cut into
    /// chunks whose URLs fit.
    pub max_url_length: usize,
    /// Send reads whose URL exceeds `max_url_length` as a POST with
    /// `X-HTTP-Method-Override: GET` and the URL as the body, as Saleslogix's own SData
    /// clients do; lookups then carry up to `lookup_chunk` values per request.
    pub tunnel_long_gets: bool,
    /// Waits between attempts (the number of attempts comes from the connector config).
    pub backoff: Backoff,
    /// Page every read by the (ModifyDate, Id) keyset, each page a fresh query after the
    /// last record read, rather than by ever deeper `startIndex` offsets. A server that
    /// refuses or ignores the clause is read by `startIndex` anyway (see `read`); false
    /// pages by `startIndex` from the start.
    pub keyset_paging: bool,
}

impl Default for InforCrmOptions {
    fn default() -> Self {
        InforCrmOptions {
            format: WireFormat::Json,
            batch_size: 100,
            lookup_chunk: 200,
            max_url_length: 2000,
            tunnel_long_gets: true,
            backoff: Backoff::default(),
            keyset_paging: true,
        }
    }
}
