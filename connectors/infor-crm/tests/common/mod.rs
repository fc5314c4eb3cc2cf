//! Shared set-up for the integration tests: a fake CRM on a random port and a connector
//! pointed at it, with tiny backoff delays so retries are fast.

#![allow(dead_code)]

pub mod mock;

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use infor_crm::{Backoff, InforCrm, InforCrmOptions, WireFormat};
use infor_crm_fake::{FakeConfig, FakeCrm, FaultConfig, FaultRule};
use listbridge_connector::{AllowList, ConnectorConfig, FieldValues, OutboundGuard, RateLimit};
use secrecy::SecretString;

/// The fake's default password.
pub const PASSWORD: &str = "password";

/// Starts a fake CRM with `leads` generated leads and `contacts` contacts.
pub async fn fake(leads: usize, contacts: usize) -> FakeCrm {
    fake_with(FakeConfig {
        leads,
        contacts,
        ..FakeConfig::default()
    })
    .await
}

/// Starts a fake CRM with a custom configuration.
pub async fn fake_with(config: FakeConfig) -> FakeCrm {
    FakeCrm::start(config)
        .await
        .unwrap_or_else(|e| panic!("fake CRM did not start: {e}"))
}

/// Connector options for tests: the given format and millisecond backoff.
pub fn options(format: WireFormat) -> InforCrmOptions {
    InforCrmOptions {
        format,
        backoff: Backoff {
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(40),
            max_retry_after: Duration::from_secs(5),
        },
        ..InforCrmOptions::default()
    }
}

/// A connector config for `base_url` with the given password.
pub fn config(base_url: &str, password: &str) -> ConnectorConfig {
    let mut config = ConnectorConfig::new(base_url, "admin", SecretString::from(password));
    config.request_timeout = Duration::from_millis(1500);
    config.max_attempts = 6;
    config.rate_limit = RateLimit::per_second(1000, 8);
    // The fake listens on loopback, which the default guard refuses.
    config.outbound = OutboundGuard::new(AllowList::loopback());
    config
}

/// A connector to `fake` in `format`.
pub fn connector(fake: &FakeCrm, format: WireFormat) -> InforCrm {
    InforCrm::with_options(config(&fake.base_url(), PASSWORD), options(format))
        .unwrap_or_else(|e| panic!("connector: {e}"))
}

/// A connector to `fake` in `format` that pages by `startIndex` (following `next` links)
/// from the start, as it does for a server that refused the keyset clause: for tests of
/// that path.
pub fn offset_connector(fake: &FakeCrm, format: WireFormat) -> InforCrm {
    InforCrm::with_options(
        config(&fake.base_url(), PASSWORD),
        InforCrmOptions {
            keyset_paging: false,
            ..options(format)
        },
    )
    .unwrap_or_else(|e| panic!("connector: {e}"))
}

/// Field values from `(field, value)` pairs, every value set.
pub fn values(pairs: &[(&str, &str)]) -> FieldValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect()
}

/// Faults with these rules whose random choices follow `seed`, so a run is repeatable.
pub fn seeded_faults(seed: u64, rules: Vec<FaultRule>) -> FaultConfig {
    FaultConfig {
        seed,
        rules,
        ..FaultConfig::default()
    }
}

/// Both wire formats, for tests that must pass in each.
pub const FORMATS: [WireFormat; 2] = [WireFormat::Json, WireFormat::Atom];

/// A tracing writer that keeps everything written to it.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut bytes) = self.0.lock() {
            bytes.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs a subscriber for the current thread that records every event of the
/// connector and the HTTP stack at TRACE, with span fields; returns the capture and
/// the guard that keeps it installed.
pub fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "infor_crm=trace,reqwest=trace,hyper=trace,hyper_util=trace",
        ))
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}
