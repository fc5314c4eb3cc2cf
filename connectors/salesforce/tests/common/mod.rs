//! Shared set-up for the integration tests: a fake Salesforce on a random loopback port
//! and a connector pointed at it, with tiny backoff delays so retries are fast.

#![allow(dead_code)]

use std::time::Duration;

use chrono::{TimeZone, Utc};
use listbridge_connector::{AllowList, ConnectorConfig, FieldValues, OutboundGuard, RateLimit};
use salesforce::{Salesforce, SalesforceOptions};
use salesforce_fake::{FakeConfig, FakeSalesforce, SObject};
use secrecy::SecretString;
use serde_json::{Map, Value};

/// The fake's consumer key and secret.
pub const CLIENT_ID: &str = "demo-client";
/// The consumer secret (tests check it never leaks).
pub const CLIENT_SECRET: &str = "demo-secret";

/// An empty fake on a pinned clock with `page_cap` records a page.
pub async fn fake(page_cap: usize) -> FakeSalesforce {
    FakeSalesforce::start(FakeConfig {
        page_cap,
        now: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).single(),
        ..FakeConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("the fake Salesforce did not start: {e}"))
}

/// A connector config for `base_url` with the given secret.
pub fn config(base_url: &str, secret: &str) -> ConnectorConfig {
    let mut config = ConnectorConfig::new(base_url, CLIENT_ID, SecretString::from(secret));
    config.request_timeout = Duration::from_millis(1500);
    config.max_attempts = 6;
    config.rate_limit = RateLimit::per_second(1000, 8);
    // The fake listens on loopback, which the default guard refuses.
    config.outbound = OutboundGuard::new(AllowList::loopback());
    config
}

/// A connector to `fake`.
pub fn connector(fake: &FakeSalesforce) -> Salesforce {
    Salesforce::with_options(
        config(&fake.base_url(), CLIENT_SECRET),
        SalesforceOptions::fast_retries(),
    )
    .unwrap_or_else(|e| panic!("connector: {e}"))
}

/// Field values as the fake's JSON.
pub fn json(fields: &FieldValues) -> Map<String, Value> {
    fields
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.clone().map(Value::String).unwrap_or(Value::Null),
            )
        })
        .collect()
}

/// Inserts a lead with these fields on the CRM side; answers its 18-character Id.
pub fn add_lead(fake: &FakeSalesforce, first: &str, last: &str, email: &str) -> String {
    let fields = serde_json::json!({"FirstName": first, "LastName": last, "Company": "Acme", "Email": email});
    let Value::Object(map) = fields else {
        panic!("an object")
    };
    fake.state()
        .insert_record(SObject::Lead, &map)
        .unwrap_or_else(|e| panic!("inserting a lead: {e}"))
}
