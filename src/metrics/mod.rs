//! `/metrics`: what the service has done and is doing, in the Prometheus text format.
//!
//! The one home of the service's metrics. Code anywhere records through the functions of
//! [`record`] (the connector crates through the `metrics` facade under the SDK's
//! [`listbridge_connector::metric_names`]); [`recorder`] installs the process-wide
//! Prometheus recorder once; [`scrape`] serves `GET /metrics`, refreshing the gauges
//! read at scrape time (the job queue from the store, the process from `/proc/self`),
//! behind the optional `metrics_token` ([`token`]) and on the main port or its own
//! `metrics_bind`. Series are named `listbridge_…` (process series keep Prometheus's
//! `process_…` names) and labelled with fixed words only: never an account id, an
//! email or a list name.

pub mod names;
pub mod process;
pub mod record;
pub mod recorder;
pub mod scrape;
pub mod token;

use std::{fmt, net::SocketAddr};

use metrics_exporter_prometheus::PrometheusHandle;
use secrecy::SecretString;

use crate::config::Config;

pub use scrape::routes;

/// The metrics part of the application state: the recorder's handle (to render a
/// scrape) and where and how `/metrics` is served. Exists so every app in a process
/// (tests run several) renders the one recorder with its own settings.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
    token: Option<SecretString>,
    bind: Option<SocketAddr>,
}

impl Metrics {
    /// Installs the recorder (once per process) and takes `/metrics`'s settings.
    pub fn from_config(config: &Config) -> Metrics {
        Metrics {
            handle: recorder::install(),
            token: config.metrics_token.clone(),
            bind: config.metrics_bind,
        }
    }

    /// The separate address `/metrics` is served on; `None`: on the main port.
    pub fn bind(&self) -> Option<SocketAddr> {
        self.bind
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("bind", &self.bind)
            .finish_non_exhaustive()
    }
}
