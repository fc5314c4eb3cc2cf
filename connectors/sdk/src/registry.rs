//! The registry from a connector kind name to its factory, so adding a CRM is adding a crate.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use secrecy::SecretString;

use crate::{ConnectorResult, CrmConnector, OutboundGuard, Vocabulary};

/// How hard a connector may drive its CRM: a CRM (or the proxy in front of it) that is
/// sent too much answers 429s or slows down for every user of it, so each connector
/// keeps to a request budget the service operator can set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second (at least 1).
    pub requests_per_second: u32,
    /// Requests that may start at once after a quiet spell, before the sustained rate
    /// applies (at least 1). `requests_per_second` is one second's worth.
    pub burst: u32,
    /// Requests in flight at once (at least 1).
    pub concurrency: usize,
}

impl RateLimit {
    /// A budget of `requests_per_second` with a burst of one second's worth.
    pub fn per_second(requests_per_second: u32, concurrency: usize) -> RateLimit {
        RateLimit {
            requests_per_second,
            burst: requests_per_second,
            concurrency,
        }
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit::per_second(20, 4)
    }
}

/// Everything needed to open a connection to one CRM.
#[derive(Debug, Clone)]
pub struct ConnectorConfig {
    /// Base URL as the marketer typed it, e.g. `https://company.saleslogixcloud.com`.
    pub base_url: String,
    /// CRM login name.
    pub username: String,
    /// CRM password; only exposed when building the request that needs it.
    pub password: SecretString,
    /// Request budget.
    pub rate_limit: RateLimit,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// How many attempts a transient failure gets before it is reported.
    pub max_attempts: u32,
    /// Page size to ask for when reading; `None` for the connector's own default (each
    /// CRM pages best at its own size: Infor CRM 100, Salesforce its 2,000 maximum).
    pub page_size: Option<u32>,
    /// Where the connector may send requests: its HTTP client is built with
    /// [`OutboundGuard::client_builder`] and its base URL checked with
    /// [`OutboundGuard::check_url`]. The default allows public addresses only.
    pub outbound: OutboundGuard,
    /// The most bytes of one CRM response the connector reads; a larger answer fails
    /// with [`crate::ConnectorError::ResponseTooLarge`] instead of filling memory.
    pub max_response_bytes: u64,
}

/// The default [`ConnectorConfig::max_response_bytes`]: 32 MiB, far above any page or
/// schema a CRM sends, far below what would hurt the service.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 32 * 1024 * 1024;

impl ConnectorConfig {
    /// A configuration with sensible defaults for the given endpoint and login.
    pub fn new(
        base_url: impl Into<String>,
        username: impl Into<String>,
        password: SecretString,
    ) -> Self {
        ConnectorConfig {
            base_url: base_url.into(),
            username: username.into(),
            password,
            rate_limit: RateLimit::default(),
            request_timeout: Duration::from_secs(30),
            max_attempts: 6,
            page_size: None,
            outbound: OutboundGuard::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// Builds connectors of one kind.
pub trait ConnectorFactory: Send + Sync {
    /// The kind name, e.g. `infor-crm`.
    fn kind(&self) -> &'static str;
    /// A human name, e.g. `Infor CRM`.
    fn display_name(&self) -> &'static str;
    /// The kind's field names ([`Vocabulary`]), known without a connection.
    fn vocabulary(&self) -> &'static dyn Vocabulary;
    /// Opens a connector (no network traffic; call `verify` to log in).
    fn build(&self, config: ConnectorConfig) -> ConnectorResult<Arc<dyn CrmConnector>>;
}

/// All connector kinds this build knows.
#[derive(Default, Clone)]
pub struct ConnectorRegistry {
    factories: BTreeMap<&'static str, Arc<dyn ConnectorFactory>>,
}

impl std::fmt::Debug for ConnectorRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.factories.keys()).finish()
    }
}

impl ConnectorRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the factory for its kind.
    pub fn register(&mut self, factory: Arc<dyn ConnectorFactory>) {
        self.factories.insert(factory.kind(), factory);
    }

    /// The factory for a kind, if registered.
    pub fn get(&self, kind: &str) -> Option<Arc<dyn ConnectorFactory>> {
        self.factories.get(kind).cloned()
    }

    /// The field names of a kind, if registered.
    pub fn vocabulary(&self, kind: &str) -> Option<&'static dyn Vocabulary> {
        self.factories.get(kind).map(|f| f.vocabulary())
    }

    /// The registered kind names.
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.factories.keys().copied()
    }
}
