//! The API destination against the fake call-tracking platform on loopback.

use std::{num::NonZeroU32, time::Duration};

use call_tracking::{ApiConfig, CallTrackingApi};
use call_tracking_fake::{FakePlatform, FakePlatformConfig, Faults, call_reference};
use listbridge_connector::{
    AllowList, Amount, ConversionDestination, ConversionReference, ConversionRow, Currency,
    DestinationError, OutboundGuard, RowOutcome, retry::Backoff,
};
use secrecy::SecretString;

async fn platform() -> FakePlatform {
    let _ = rustls::crypto::ring::default_provider().install_default();
    FakePlatform::start(FakePlatformConfig {
        generated: 100,
        token: "s3cret-token".into(),
        ..FakePlatformConfig::default()
    })
    .await
    .expect("platform starts")
}

fn config(platform: &FakePlatform, token: &str) -> ApiConfig {
    ApiConfig {
        base_url: platform.base_url().parse().expect("a URL"),
        token: SecretString::from(token),
        batch_size: 500,
        requests_per_second: NonZeroU32::new(100).expect("non-zero"),
        max_attempts: 3,
        backoff: Backoff {
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(2),
        },
    }
}

fn api(platform: &FakePlatform) -> CallTrackingApi {
    CallTrackingApi::new(
        config(platform, "s3cret-token"),
        &OutboundGuard::new(AllowList::loopback()),
    )
    .expect("a destination")
}

fn row(key: &str, reference: ConversionReference) -> ConversionRow {
    ConversionRow {
        key: key.into(),
        action_name: "sale".into(),
        title: Some("Annual plan".into()),
        occurred_at: chrono::DateTime::parse_from_rfc3339("2026-12-04T10:15:30-05:00")
            .map(|d| d.to_utc())
            .unwrap_or_default(),
        transaction_reference: Some(format!("SO-{key}")),
        amount: Amount::parse("15000.00"),
        currency: Currency::parse("gbp"),
        margin: Amount::parse("3000"),
        reference,
    }
}

fn rows(n: usize) -> Vec<ConversionRow> {
    (1..=n)
        .map(|i| {
            row(
                &format!("r{i}"),
                ConversionReference::CallReference(call_reference(i)),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_row_gets_its_outcome_in_order_and_arrives_as_written() {
    let platform = platform().await;
    let mut batch = rows(2);
    batch.push(row(
        "unknown",
        ConversionReference::CallReference("CR-999999".into()),
    ));
    batch.push(row(
        "visitor",
        ConversionReference::VisitorId("VID-000003".into()),
    ));
    let outcomes = api(&platform).send(&batch).await.expect("sent");
    assert_eq!(
        outcomes,
        vec![
            RowOutcome::Accepted {
                marketing_source: Some("Google Ads / Brand".into())
            },
            RowOutcome::Accepted {
                marketing_source: Some("Bing Ads / Generic".into())
            },
            RowOutcome::Rejected {
                message: "unknown call reference 'CR-999999'".into()
            },
            RowOutcome::Accepted {
                marketing_source: Some("Organic search".into())
            },
        ]
    );
    let stored = platform.state().accepted();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0].date_time, "2026-12-04 15:15:30", "in UTC");
    assert_eq!(stored[0].transaction_currency.as_deref(), Some("GBP"));
    assert_eq!(stored[0].transaction_amount.as_deref(), Some("15000.00"));
    assert_eq!(stored[2].visitor_id.as_deref(), Some("VID-000003"));
    assert_eq!(stored[2].call_reference, None);
    platform.shutdown().await;
}

#[tokio::test]
async fn a_busy_platform_is_waited_out_and_a_lost_answer_sent_again_without_duplicates() {
    let platform = platform().await;
    platform.state().set_faults(Faults {
        fail_next: 1,
        status: 429,
        retry_after_seconds: Some(1),
        lose_next: 1,
        ..Faults::default()
    });
    let outcomes = api(&platform).send(&rows(50)).await.expect("sent");
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, RowOutcome::Accepted { .. }))
    );
    let stats = platform.state().stats();
    assert_eq!(stats.requests, 3, "refused, answer lost, answered again");
    assert_eq!(stats.accepted, 50);
    assert_eq!(stats.duplicates, 50);
    assert_eq!(platform.state().accepted().len(), 50, "each row once");
    platform.shutdown().await;
}

#[tokio::test]
async fn a_platform_down_past_the_attempts_is_unavailable_naming_it() {
    let platform = platform().await;
    platform.state().set_faults(Faults {
        fail_next: 10,
        status: 503,
        ..Faults::default()
    });
    let err = api(&platform)
        .send(&rows(1))
        .await
        .expect_err("unavailable");
    match err {
        DestinationError::Unavailable { message, .. } => {
            assert!(message.contains("/v1/conversions"), "{message}");
            assert!(message.contains("503"), "{message}");
            assert!(message.contains("after 3 attempts"), "{message}");
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
    assert_eq!(platform.state().stats().requests, 3);
    platform.shutdown().await;
}

#[tokio::test]
async fn a_wrong_token_is_refused_at_once_without_showing_it() {
    let platform = platform().await;
    let api = CallTrackingApi::new(
        config(&platform, "wrong-token-value"),
        &OutboundGuard::new(AllowList::loopback()),
    )
    .expect("a destination");
    let err = api.send(&rows(1)).await.expect_err("refused");
    let text = err.to_string();
    assert!(matches!(err, DestinationError::Refused(_)), "{err:?}");
    assert!(text.contains("401"), "{text}");
    assert!(!text.contains("wrong-token-value"), "{text}");
    assert!(!format!("{api:?}").contains("wrong-token-value"));
    assert_eq!(platform.state().stats().unauthorized, 1, "not retried");
    platform.shutdown().await;
}

#[tokio::test]
async fn an_address_the_guard_refuses_is_never_contacted() {
    let platform = platform().await;
    let err = CallTrackingApi::new(
        config(&platform, "s3cret-token"),
        &OutboundGuard::new(AllowList::none()),
    )
    .expect_err("refused");
    assert!(
        err.to_string()
            .contains("not an address listbridge may reach"),
        "{err}"
    );
    assert_eq!(platform.state().stats().requests, 0);
    platform.shutdown().await;
}
