//! Logging in: `verify`, a token refreshed once when Salesforce expires the session, a
//! daily allowance running low that slows requests down and a used-up one that ends at
//! once, and a secret that never leaks.

mod common;

use futures::TryStreamExt;
use listbridge_connector::{ConnectorError, CrmConnector, EntityKind, ReadQuery};
use salesforce::{ApiBudget, Salesforce, SalesforceOptions};

use common::{CLIENT_SECRET, add_lead, config, connector, fake};

#[tokio::test]
async fn verify_logs_in_and_checks_the_pinned_version() {
    let fake = fake(2000).await;
    let user = connector(&fake)
        .verify()
        .await
        .unwrap_or_else(|e| panic!("verify failed: {e}"));
    assert!(user.id.starts_with("005"), "the Run As user's id: {user:?}");

    let newer = Salesforce::with_options(
        config(&fake.base_url(), CLIENT_SECRET),
        SalesforceOptions {
            api_version: "v99.0".into(),
            ..SalesforceOptions::fast_retries()
        },
    )
    .unwrap_or_else(|e| panic!("connector: {e}"));
    match newer.verify().await {
        Err(ConnectorError::Invalid { message }) => assert!(message.contains("99.0"), "{message}"),
        other => panic!("an unserved version is refused, got {other:?}"),
    }
}

#[tokio::test]
async fn an_expired_session_is_renewed_once_without_failing_the_read() {
    let fake = fake(25).await;
    for n in 0..60 {
        add_lead(
            &fake,
            "Pat",
            &format!("Expiry{n}"),
            &format!("pat.expiry.{n}@example.test"),
        );
    }
    let connector = connector(&fake);
    let mut pages = connector.read(EntityKind::Lead, ReadQuery::default());
    let first = pages
        .try_next()
        .await
        .unwrap_or_else(|e| panic!("first page: {e}"))
        .unwrap_or_else(|| panic!("a first page"));
    // The session expires mid-read: the next page is refused with INVALID_SESSION_ID.
    fake.state().expire_tokens();
    let rest: Vec<_> = pages
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("the read after the session expired failed: {e}"));
    let count = first.records.len() + rest.iter().map(|p| p.records.len()).sum::<usize>();
    assert_eq!(count, 60);
    let tokens = fake.state().stats().count_of("oauth2/token", "POST");
    assert_eq!(tokens, 2, "one token at first, one after the 401");
}

#[tokio::test]
async fn a_used_up_daily_allowance_ends_with_a_clear_error_and_no_retries() {
    let fake = fake(2000).await;
    add_lead(&fake, "Pat", "Limit", "pat.limit@example.test");
    let connector = connector(&fake);
    connector
        .describe(EntityKind::Lead)
        .await
        .unwrap_or_else(|e| panic!("describe: {e}"));
    fake.state().set_api_usage(15_000, Some(15_000));
    let before = fake.state().stats().total;
    let error = connector
        .find_by_email(EntityKind::Lead, &["pat.limit@example.test".into()], &[])
        .await
        .map(|found| panic!("a lookup past the daily limit answered {found:?}"))
        .unwrap_err();
    let requests = fake.state().stats().total - before;
    assert_eq!(requests, 1, "no retry storm: one request, then stop");
    let text = error.to_string();
    assert!(text.contains("daily API request limit"), "{text}");
    assert!(text.contains("REQUEST_LIMIT_EXCEEDED"), "{text}");
    assert!(
        text.contains("15000 of 15000"),
        "the usage Salesforce reported: {text}"
    );
}

#[tokio::test]
async fn past_the_budget_share_of_the_daily_allowance_requests_are_spaced_out() {
    let fake = fake(2000).await;
    add_lead(&fake, "Pat", "Budget", "pat.budget@example.test");
    let interval = std::time::Duration::from_secs(1);
    let connector = Salesforce::with_options(
        config(&fake.base_url(), CLIENT_SECRET),
        SalesforceOptions {
            api_budget: ApiBudget {
                slow_down_at: 0.9,
                slowed_interval: interval,
            },
            ..SalesforceOptions::fast_retries()
        },
    )
    .unwrap_or_else(|e| panic!("connector: {e}"));
    let lookup = || async {
        connector
            .find_by_email(EntityKind::Lead, &["pat.budget@example.test".into()], &[])
            .await
            .unwrap_or_else(|e| panic!("lookup: {e}"))
    };
    // Below the share: no spacing (the first answer also tells the connector the usage).
    fake.state().set_api_usage(100, Some(15_000));
    lookup().await;
    let started = std::time::Instant::now();
    for _ in 0..4 {
        assert_eq!(lookup().await.len(), 1);
    }
    assert!(started.elapsed() < interval, "{:?}", started.elapsed());
    // Past 90% of the allowance: after the first, each request waits its turn.
    fake.state().set_api_usage(14_000, Some(15_000));
    lookup().await;
    let started = std::time::Instant::now();
    for _ in 0..4 {
        assert_eq!(lookup().await.len(), 1, "slowed, not refused");
    }
    assert!(
        started.elapsed() >= interval * 3 - std::time::Duration::from_millis(20),
        "four requests {interval:?} apart: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_client_secret_never_appears_in_debug_or_errors() {
    let fake = fake(2000).await;
    let secret = "s3cr3t-that-must-not-leak";
    let connector = Salesforce::with_options(
        config(&fake.base_url(), secret),
        SalesforceOptions::fast_retries(),
    )
    .unwrap_or_else(|e| panic!("connector: {e}"));
    let debug = format!("{connector:?}");
    assert!(!debug.contains(secret), "{debug}");
    let error = match connector.verify().await {
        Err(e) => e,
        Ok(user) => panic!("a wrong secret logged in as {user:?}"),
    };
    assert!(matches!(error, ConnectorError::Auth { .. }), "{error:?}");
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains(secret), "{text}");
    }
    let right = common::connector(&fake);
    right
        .verify()
        .await
        .unwrap_or_else(|e| panic!("verify: {e}"));
    let debug = format!("{right:?}");
    assert!(!debug.contains(CLIENT_SECRET), "{debug}");
    assert!(!debug.to_lowercase().contains("bearer"), "{debug}");
}

#[test]
fn the_factory_registers_the_salesforce_kind() {
    use listbridge_connector::{ConnectorFactory, ConnectorRegistry, SystemUsage};
    let mut registry = ConnectorRegistry::new();
    salesforce::register(&mut registry);
    let factory = registry
        .get("salesforce")
        .unwrap_or_else(|| panic!("registered"));
    assert_eq!(factory.display_name(), "Salesforce");
    let vocabulary = factory.vocabulary();
    assert_eq!(vocabulary.email_field(EntityKind::Contact), "Email");
    assert_eq!(
        vocabulary.usage_field(EntityKind::Contact, SystemUsage::BusinessCity),
        Some("MailingCity")
    );
    let built = salesforce::SalesforceFactory::default()
        .build(config("http://127.0.0.1:9", CLIENT_SECRET))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(built.kind(), "salesforce");
    assert_eq!(built.capabilities().batch_size, 200);
}

#[tokio::test]
async fn a_create_salesforce_refuses_names_the_field() {
    let fake = fake(2000).await;
    let connector = connector(&fake);
    let fields = listbridge_connector::FieldValues::from([
        ("FirstName".to_string(), Some("Pat".to_string())),
        ("Company".to_string(), Some("Acme".to_string())),
        (
            "Email".to_string(),
            Some("pat.refused@example.test".to_string()),
        ),
    ]);
    match connector.create(EntityKind::Lead, &fields).await {
        Err(ConnectorError::Rejected { message }) => {
            assert!(message.contains("REQUIRED_FIELD_MISSING"), "{message}");
            assert!(message.contains("LastName"), "{message}");
        }
        other => panic!("a lead without LastName is refused, got {other:?}"),
    }
    assert_eq!(fake.state().count(salesforce_fake::SObject::Lead), 0);
}
