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
        }
    }
}
