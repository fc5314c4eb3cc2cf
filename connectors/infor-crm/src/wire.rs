//! The format-neutral shape of what SData sends and receives, shared by the Atom and JSON
//! readers and writers. Values here are still raw wire values; `record` turns them into
//! listbridge's canonical strings using the entity's field types.

use crate::diagnoses::Diagnosis;

/// The longest name of a related record whose properties are flattened to `Rel.Field`.
/// SData property names are identifiers of a few dozen characters; flattening copies the
/// name once per property, so a much longer one (from a broken or hostile server) would
/// turn a small body into a large allocation. Such a record's properties are skipped.
pub(crate) const MAX_RELATION_NAME: usize = 128;

/// One raw property value as it appeared on the wire.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawValue {
    /// `xsi:nil="true"` or JSON `null`.
    Null,
    /// Text (all Atom values, JSON strings).
    Text(String),
    /// A JSON boolean.
    Bool(bool),
    /// A JSON number, as serde_json printed it.
    Number(String),
    /// A reference to another record: its (trimmed) key.
    Ref(String),
}

/// One entry (record) of a feed or a single-entry response.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct WireEntry {
    /// `sdata:key` / `$key`, trimmed of the space padding fixed-width ids carry.
    pub key: Option<String>,
    /// `http:etag` / `$etag`.
    pub etag: Option<String>,
    /// `sdata:uri`, `sdata:url`, Atom `<id>` or `$url`.
    pub url: Option<String>,
    /// Properties in document order; related single records flattened to `Rel.Field`.
    pub fields: Vec<(String, RawValue)>,
    /// `http:httpStatus` / `$httpStatus` (batch responses).
    pub http_status: Option<u16>,
    /// `http:httpMessage` / `$httpMessage`.
    pub http_message: Option<String>,
    /// `http:location` / `$location`.
    pub location: Option<String>,
    /// Diagnoses attached to this entry.
    pub diagnoses: Vec<Diagnosis>,
}

impl WireEntry {
    /// The key, taken from `sdata:key` or else from a `kind('KEY')` URL.
    pub fn effective_key(&self) -> Option<String> {
        if let Some(key) = self.key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            return Some(key.to_string());
        }
        [self.url.as_deref(), self.location.as_deref()]
            .into_iter()
            .flatten()
            .find_map(key_from_url)
    }
}

/// One page of a feed.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct WireFeed {
    /// The entries of this page.
    pub entries: Vec<WireEntry>,
    /// `opensearch:totalResults` / `$totalResults`.
    pub total_results: Option<u64>,
    /// `opensearch:startIndex` / `$startIndex` (1-based).
    pub start_index: Option<u64>,
    /// `opensearch:itemsPerPage` / `$itemsPerPage` (the server may cap it).
    pub items_per_page: Option<u64>,
    /// The `next` link, when the server says more remain.
    pub next: Option<String>,
}

/// A property value to write, already converted from canonical form to its wire type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OutValue {
    /// Clear the field (`xsi:nil` / `null`).
    Null,
    /// Text (also decimals and dates, written as text in Atom and JSON strings in JSON).
    Text(String),
    /// A boolean.
    Bool(bool),
    /// A number literal (validated digits).
    Number(String),
    /// A reference by key (`sdata:key` / `{"$key":…}`).
    Ref(String),
}

/// One property to write: a plain value or a related single record's fields (`Address`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OutNode {
    /// A plain property.
    Value(OutValue),
    /// A nested single record: its properties.
    Group(Vec<(String, OutValue)>),
}

/// HTTP method of one `$batch` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BatchMethod {
    /// Create.
    Post,
    /// Update.
    Put,
}

impl BatchMethod {
    /// The method name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchMethod::Post => "POST",
            BatchMethod::Put => "PUT",
        }
    }
}

/// An entry to write: its payload and, inside `$batch`, what to do with it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OutEntry {
    /// Payload element / `$name`: `Lead`, `Contact`, `History`.
    pub entity_name: &'static str,
    /// The properties.
    pub fields: Vec<(String, OutNode)>,
    /// Batch method (None outside `$batch`).
    pub batch_method: Option<BatchMethod>,
    /// Resource URL of the record (updates inside `$batch`).
    pub url: Option<String>,
    /// Key of the record (updates inside `$batch`).
    pub key: Option<String>,
    /// `http:ifMatch` / `$ifMatch` inside `$batch`.
    pub if_match: Option<String>,
}

/// Extracts `KEY` from `…/leads('KEY')` (doubled quotes undone, padding trimmed).
pub(crate) fn key_from_url(url: &str) -> Option<String> {
    let without_query = url.split(['?', '#']).next().unwrap_or(url);
    let decoded = percent_encoding::percent_decode_str(without_query).decode_utf8_lossy();
    let start = decoded.rfind("('")? + 2;
    let end = decoded.rfind("')")?;
    (end >= start)
        .then(|| decoded[start..end].replace("''", "'").trim().to_string())
        .filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_urls() {
        assert_eq!(
            key_from_url("https://h/sdata/slx/dynamic/-/leads('LQA1B0000001')").as_deref(),
            Some("LQA1B0000001")
        );
        assert_eq!(
            key_from_url("/sdata/slx/dynamic/-/leads(%27LQA1B0000002%27)?format=json").as_deref(),
            Some("LQA1B0000002")
        );
        assert_eq!(
            key_from_url("https://h/x/leads('O''Neil ')").as_deref(),
            Some("O'Neil")
        );
        assert_eq!(key_from_url("https://h/sdata/slx/dynamic/-/leads"), None);
    }

    #[test]
    fn effective_key_prefers_sdata_key_and_trims_padding() {
        let entry = WireEntry {
            key: Some("ADMIN       ".into()),
            url: Some("x/leads('OTHER')".into()),
            ..Default::default()
        };
        assert_eq!(entry.effective_key().as_deref(), Some("ADMIN"));
        let from_url = WireEntry {
            url: Some("x/leads('K1')".into()),
            ..Default::default()
        };
        assert_eq!(from_url.effective_key().as_deref(), Some("K1"));
    }
}
