//! The transport: the request budget holds, and writes are retried when Salesforce says
//! nothing was applied (429 with `Retry-After`, 503) but an update through a 500 is safe
//! to send again too.

mod common;

use std::time::{Duration, Instant};

use listbridge_connector::{CrmConnector, EntityKind, FieldValues, RateLimit, WriteOp};
use salesforce::{Salesforce, SalesforceOptions};
use salesforce_fake::{Fault, FaultRule, SObject};

use common::{CLIENT_SECRET, add_lead, config, connector, fake};

fn title(value: &str) -> FieldValues {
    FieldValues::from([("Title".to_string(), Some(value.to_string()))])
}

#[tokio::test]
async fn the_request_budget_holds() {
    let fake = fake(2000).await;
    add_lead(&fake, "Pat", "Budget", "pat.budget@example.test");
    let mut config = config(&fake.base_url(), CLIENT_SECRET);
    config.rate_limit = RateLimit {
        requests_per_second: 5,
        burst: 1,
        concurrency: 1,
    };
    let connector = Salesforce::with_options(config, SalesforceOptions::fast_retries())
        .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    for _ in 0..4 {
        connector
            .find_by_email(EntityKind::Lead, &["pat.budget@example.test".into()], &[])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // A token, a describe and four queries: six requests at five a second, burst one.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn batches_are_retried_through_429_and_500() {
    let fake = fake(2000).await;
    let key = add_lead(&fake, "Pat", "Retry", "pat.retry@example.test");
    let connector = connector(&fake);
    connector
        .describe(EntityKind::Lead)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let state = fake.state();
    let mut faults = state.faults();
    faults.rules.push(
        FaultRule::next(
            1,
            Fault::Status {
                status: 429,
                retry_after: Some(1),
            },
        )
        .with_method("POST")
        .with_path("/composite/sobjects"),
    );
    faults.rules.push(
        FaultRule::next(1, Fault::ApplyThenStatus { status: 500 })
            .with_method("PATCH")
            .with_path("/composite/sobjects"),
    );
    state.set_faults(faults);
    let started = Instant::now();
    let outcomes = connector
        .write_batch(vec![
            WriteOp::Create {
                entity: EntityKind::Lead,
                fields: FieldValues::from([
                    ("LastName".to_string(), Some("Created".to_string())),
                    ("Company".to_string(), Some("Acme".to_string())),
                    (
                        "Email".to_string(),
                        Some("pat.created@example.test".to_string()),
                    ),
                ]),
            },
            WriteOp::Update {
                entity: EntityKind::Lead,
                key: key.clone(),
                etag: None,
                fields: title("Retried"),
                expected: None,
            },
        ])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After waited"
    );
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    assert_eq!(state.count(SObject::Lead), 2, "the create made once");
    let stored = state.record(&key).unwrap_or_else(|| panic!("the lead"));
    assert_eq!(stored.field("Title").as_text(), Some("Retried"));
    assert!(state.faults().rules.is_empty(), "both faults fired");
}
