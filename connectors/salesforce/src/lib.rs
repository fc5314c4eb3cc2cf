//! The Salesforce connector for listbridge, over the Salesforce REST API.
//!
//! [`Salesforce`] implements [`listbridge_connector::CrmConnector`]; [`SalesforceFactory`]
//! registers it under the kind `salesforce`. It logs in with the OAuth 2.0
//! client-credentials flow of a connected app, pins one REST API version, reads with SOQL
//! in (SystemModstamp, Id) keyset order, writes through sObject Collections, keeps notes as
//! completed Tasks, and owns its transport: a request budget, timeouts, retries with
//! backoff, never creating a record twice, and a clear stop when the org's daily API
//! allowance is used up.
//!
//! **Configuration** ([`listbridge_connector::ConnectorConfig`]): `base_url` is the org's
//! My Domain URL, `username` the connected app's consumer key (client id) and `password`
//! its consumer secret (never logged, never in `Debug` or errors). With
//! [`AuthFlow::JwtBearer`] the `password` is the connected app's PEM private key instead. Salesforce specific
//! tuning (API version, batch and lookup sizes) is in [`SalesforceOptions`].
//!
//! Module map: `config` · `auth` (token flow) · `request` · `client` (HTTP, budget, retries, spans) ·
//! `errors` (Salesforce error shapes) · `id` (15/18-character Ids) · `describe` (fields,
//! schema) · `soql` (literals, filters) · `select` · `query` (paging, chunks) · `record`
//! (canonical values) · `read` · `converted` (leads to follow) · `lookup` · `write` · `batch` (Collections) · `notes`
//! (Tasks) · `verify` · `vocabulary`.

#![warn(missing_docs)]

use std::sync::Arc;

use listbridge_connector::{
    ConnectorConfig, ConnectorFactory, ConnectorRegistry, ConnectorResult, CrmConnector, Vocabulary,
};

mod auth;
mod batch;
mod bulk;
mod client;
mod composite;
mod config;
mod connector;
mod converted;
mod describe;
mod errors;
mod id;
mod jwt;
mod lookup;
mod notes;
mod query;
mod read;
mod record;
mod request;
mod select;
mod soql;
mod verify;
mod vocabulary;
mod write;

pub use config::{ApiBudget, AuthFlow, Backoff, BulkOptions, SalesforceOptions};
pub use connector::Salesforce;
pub use vocabulary::SalesforceVocabulary;

/// The registry kind name of this connector.
pub const KIND: &str = "salesforce";

/// Builds [`Salesforce`] connectors for the registry, each with the factory's options.
#[derive(Debug, Clone, Default)]
pub struct SalesforceFactory {
    options: SalesforceOptions,
}

impl SalesforceFactory {
    /// A factory whose connectors use `options`.
    pub fn with_options(options: SalesforceOptions) -> SalesforceFactory {
        SalesforceFactory { options }
    }
}

impl ConnectorFactory for SalesforceFactory {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn display_name(&self) -> &'static str {
        "Salesforce"
    }

    fn vocabulary(&self) -> &'static dyn Vocabulary {
        &vocabulary::VOCABULARY
    }

    fn build(&self, config: ConnectorConfig) -> ConnectorResult<Arc<dyn CrmConnector>> {
        Ok(Arc::new(Salesforce::with_options(
            config,
            self.options.clone(),
        )?))
    }
}

/// Registers the Salesforce connector (default options) in `registry`.
pub fn register(registry: &mut ConnectorRegistry) {
    registry.register(Arc::new(SalesforceFactory::default()));
}
