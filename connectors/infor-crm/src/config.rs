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
    /// Most emails or keys per lookup request (URLs are also kept under `max_url_length`).
    pub lookup_chunk: usize,
    /// Longest URL the connector builds for lookups; SData clients keep GETs under 2000.
    pub max_url_length: usize,
    /// Waits between attempts (the number of attempts comes from the connector config).
    pub backoff: Backoff,
}

impl Default for InforCrmOptions {
    fn default() -> Self {
        InforCrmOptions {
            format: WireFormat::Json,
            batch_size: 50,
            lookup_chunk: 50,
            max_url_length: 2000,
            backoff: Backoff::default(),
        }
    }
}
