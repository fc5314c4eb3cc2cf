//! The Infor CRM (Saleslogix) connector for listbridge, speaking Sage SData 1.1.
//!
//! [`InforCrm`] implements [`listbridge_connector::CrmConnector`]; [`InforCrmFactory`]
//! registers it under the kind `infor-crm`. The connector reads and writes JSON by default
//! or Atom ([`WireFormat`]), accepts both SData date forms, both namespace styles and all
//! diagnosis forms, and owns its transport: Basic auth, a request budget, timeouts,
//! retries with backoff, and never creating a record twice.
//!
//! **Lead conversion.** This connector keeps the SDK's default
//! [`listbridge_connector::CrmConnector::moved`]: it reports no converted leads. The SData
//! resources it is built to (`docs/sdata.md`: `leads`, `contacts` and their `$schema`)
//! carry no property naming the contact a lead became, and no feed of conversions; we
//! found none in the sources that document, so there is nothing to follow. Guessing by
//! email would link a member to whichever contact shares the address, which may be
//! another person's record. Where the conversion removes the lead, a push finds it gone
//! and the member becomes a tombstone ("deleted in the CRM": kept in the list, never
//! re-created); a contact list picks the person up by email.
//!
//! Module map: `endpoint` (URLs) · `query` (safe `where`) · `filter` (read filters) · `client` (HTTP, budget,
//! retries) · `auth` · `retry` · `xml`/`atom`/`json` (wire formats) · `dates` ·
//! `diagnoses` · `schema` (`$schema` → fields) · `record` (canonical values) ·
//! `resource` (the SData kinds: leads, contacts, opportunities) · `linked` (an
//! opportunity's primary contact, read as `Contact.<Field>`) ·
//! `response` (replies → values/errors) · `verify` · `read` · `write` · `batch` · `notes` ·
//! `vocabulary` (the field names listbridge gives a meaning to).

use std::sync::Arc;

use listbridge_connector::{
    ConnectorConfig, ConnectorFactory, ConnectorRegistry, ConnectorResult, CrmConnector,
    Vocabulary, retry,
};

mod atom;
mod auth;
mod batch;
mod client;
mod config;
mod connector;
mod dates;
mod diagnoses;
mod endpoint;
mod filter;
mod json;
mod linked;
mod notes;
#[cfg(test)]
mod parse_props;
mod query;
mod read;
mod record;
mod request_metrics;
mod resource;
mod response;
mod schema;
mod verify;
mod vocabulary;
#[cfg(test)]
mod where_props;
mod wire;
mod write;
mod xml;

pub use config::{Backoff, InforCrmOptions, WireFormat};
pub use connector::InforCrm;
pub use endpoint::Endpoint;
pub use vocabulary::InforVocabulary;

/// The registry kind name of this connector.
pub const KIND: &str = "infor-crm";

/// Builds [`InforCrm`] connectors for the registry. Carries the options every connector
/// it builds gets (defaults: JSON, batches of 100, lookups of 200 values).
#[derive(Debug, Clone, Default)]
pub struct InforCrmFactory {
    options: InforCrmOptions,
}

impl InforCrmFactory {
    /// A factory whose connectors use `options`.
    pub fn with_options(options: InforCrmOptions) -> InforCrmFactory {
        InforCrmFactory { options }
    }
}

impl ConnectorFactory for InforCrmFactory {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn display_name(&self) -> &'static str {
        "Infor CRM"
    }

    fn vocabulary(&self) -> &'static dyn Vocabulary {
        &vocabulary::VOCABULARY
    }

    fn build(&self, config: ConnectorConfig) -> ConnectorResult<Arc<dyn CrmConnector>> {
        Ok(Arc::new(InforCrm::with_options(
            config,
            self.options.clone(),
        )?))
    }
}

/// Registers the Infor CRM connector (default options) in `registry`.
pub fn register(registry: &mut ConnectorRegistry) {
    registry.register(Arc::new(InforCrmFactory::default()));
}
