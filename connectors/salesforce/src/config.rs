//! Salesforce specific options, beyond the CRM-neutral
//! [`listbridge_connector::ConnectorConfig`].
//!
//! How the neutral configuration maps onto Salesforce (a connected app using the OAuth 2.0
//! client-credentials flow):
//!
//! - `base_url`: the org's My Domain URL (`https://acme.my.salesforce.com`); the token
//!   endpoint is `{base_url}/services/oauth2/token`;
//! - `username`: the connected app's consumer key (`client_id`);
//! - `password`: the connected app's consumer secret (`client_secret`), kept in a
//!   [`secrecy::SecretString`] and never logged; with [`AuthFlow::JwtBearer`], the
//!   connected app's PEM RSA private key instead.

use std::time::Duration;

/// Waits between attempts of a failed request (the number of attempts comes from the
/// connector config).
pub use listbridge_connector::retry::Backoff;

/// How the connector logs in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AuthFlow {
    /// OAuth 2.0 client credentials: `password` is the consumer secret.
    #[default]
    ClientCredentials,
    /// OAuth 2.0 JWT bearer: `password` is the connected app's PEM RSA private key (the
    /// certificate uploaded to the app is its public half), `username` still the consumer
    /// key.
    JwtBearer {
        /// The Salesforce user the connector acts as (the assertion's `sub`).
        username: String,
        /// The assertion's `aud`: `https://login.salesforce.com`, or
        /// `https://test.salesforce.com` for a sandbox.
        audience: String,
    },
}

/// Tuning of the Salesforce connector. `Default` suits a production org.
#[derive(Debug, Clone, PartialEq)]
pub struct SalesforceOptions {
    /// The pinned REST API version, `vNN.0`: every request names it, so a Salesforce
    /// release cannot change the answers under us.
    pub api_version: String,
    /// Records per sObject Collections request (Salesforce takes at most 200).
    pub batch_size: usize,
    /// Most emails or Ids in one lookup query.
    pub lookup_chunk: usize,
    /// Longest query URL sent: Salesforce refuses URIs past about 16,000 characters, so
    /// lookups are cut into chunks whose URL stays under this.
    pub max_url_length: usize,
    /// Waits between attempts.
    pub backoff: Backoff,
    /// Client credentials (default) or JWT bearer.
    pub auth: AuthFlow,
    /// How the connector spends the org's daily API allowance once it runs low.
    pub api_budget: ApiBudget,
    /// Full reads that may come in any order ([`listbridge_connector::ReadQuery::any_order`])
    /// of a table at least this large go through a Bulk API 2.0 query job.
    pub bulk: BulkOptions,
}

/// When and how full reads use Bulk API 2.0: a job answers a large table in pages of
/// tens of thousands of records, a fraction of the REST query's requests (which the
/// org's daily allowance counts), at the price of a job to wait for and no order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BulkOptions {
    /// The fewest records (a `COUNT()` asked first) a read goes to a job for; below it
    /// the REST query is as cheap and starts at once.
    pub threshold: u64,
    /// Records per results request (`maxRecords`); each request's answer is held whole
    /// while it is read, so this bounds memory too.
    pub page: u32,
    /// The first wait between polls of the job's state; it doubles up to `max_poll`.
    pub first_poll: Duration,
    /// The longest wait between polls.
    pub max_poll: Duration,
    /// How long a job may take before the read gives up (the job is aborted).
    pub max_wait: Duration,
}

impl Default for BulkOptions {
    /// Tables of 50,000 records and more, results 10,000 at a time, polls from a
    /// quarter of a second up to five seconds, for at most half an hour.
    fn default() -> Self {
        BulkOptions {
            threshold: 50_000,
            page: 10_000,
            first_poll: Duration::from_millis(250),
            max_poll: Duration::from_secs(5),
            max_wait: Duration::from_secs(30 * 60),
        }
    }
}

/// The org's daily API allowance is shared with every other integration and its users'
/// tools: past `slow_down_at` of it (as `Sforce-Limit-Info: api-usage=n/m` says), the
/// connector spaces its requests `slowed_interval` apart, so a large run leaves the rest
/// of the day's allowance for others instead of spending it in minutes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ApiBudget {
    /// The share of the allowance (0 to 1) past which requests slow down.
    pub slow_down_at: f64,
    /// The least time between two requests past that share.
    pub slowed_interval: Duration,
}

impl Default for ApiBudget {
    /// Past 90% of the allowance, one request a second.
    fn default() -> Self {
        ApiBudget {
            slow_down_at: 0.9,
            slowed_interval: Duration::from_secs(1),
        }
    }
}

impl Default for SalesforceOptions {
    fn default() -> Self {
        SalesforceOptions {
            api_version: "v62.0".into(),
            batch_size: 200,
            lookup_chunk: 200,
            max_url_length: 12_000,
            backoff: Backoff::default(),
            auth: AuthFlow::ClientCredentials,
            api_budget: ApiBudget::default(),
            bulk: BulkOptions::default(),
        }
    }
}

impl SalesforceOptions {
    /// Options for tests: millisecond backoff, Retry-After honoured up to five seconds.
    pub fn fast_retries() -> SalesforceOptions {
        SalesforceOptions {
            backoff: Backoff {
                base_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(40),
                max_retry_after: Duration::from_secs(5),
            },
            bulk: BulkOptions {
                first_poll: Duration::from_millis(5),
                max_poll: Duration::from_millis(20),
                ..BulkOptions::default()
            },
            ..SalesforceOptions::default()
        }
    }
}
