//! Configured CRM connectors: *Connect*, *Reconfirm Login*, *Reset Connector*,
//! and opening a live [`CrmConnector`] for a stored connector.
//!
//! This is the seam between stored connector rows and the connector plugins:
//! the API calls it for the interactive actions, and the sync engine calls
//! [`ConnectorService::open`] to get an `Arc<dyn CrmConnector>` for a connector id.
//! Only this module decrypts CRM passwords. Every connector is opened with the
//! service's outbound guard (`allow_private_hosts`), and logins are rate limited per
//! account.

mod attempts;
mod cache;
mod error;
pub mod limits;
mod service;
mod url_policy;

pub use attempts::{ATTEMPTS_BURST, ATTEMPTS_PER_MINUTE, ConnectAttempts};
pub use cache::ConnectorCache;
pub use error::ConnectError;
pub use service::{ConnectRequest, ConnectorService, ReconfirmRequest};
pub use url_policy::{UrlPolicyError, check_base_url};
