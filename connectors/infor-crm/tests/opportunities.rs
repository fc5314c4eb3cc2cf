//! Opportunities as a conversion source, against the fake CRM in JSON and Atom: described
//! from `$schema`, read filtered and incrementally by the (ModifyDate, Id) keyset, and
//! written back by PUT; leads still read through the SDK's default.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use infor_crm_fake::{FakeConfig, Kind};
use listbridge_connector::{
    ConnectorError, CrmConnector, FieldType, Filter, ReadQuery, SourceKind, SourceRecord,
};
use serde_json::{Map, Value, json};

use common::{FORMATS, connector, fake, fake_with, values};

const STATUSES: [&str; 3] = ["Open", "Closed - Won", "Closed - Lost"];

fn object(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// A fake with one account and 30 opportunities: every third won, two by two sharing a
/// ModifyDate (so the keyset's key tie-break matters).
async fn seeded() -> infor_crm_fake::FakeCrm {
    let fake = fake_with(FakeConfig {
        leads: 0,
        contacts: 0,
        accounts: 0,
        ..FakeConfig::default()
    })
    .await;
    let state = fake.state();
    let account = state
        .insert_record(Kind::Account, &object(json!({"AccountName": "Acme"})))
        .unwrap_or_else(|e| panic!("account: {e:?}"));
    let base = Utc
        .with_ymd_and_hms(2025, 5, 1, 9, 0, 0)
        .single()
        .unwrap_or_default();
    let items: Vec<Map<String, Value>> = (0..30)
        .map(|i| {
            let modified = base + chrono::TimeDelta::hours(i / 2);
            object(json!({
                "Description": format!("Deal {i:02}"),
                "Status": STATUSES[(i % 3) as usize],
                "ActualAmount": 1000.5 + i as f64,
                "SalesPotential": 2000,
                "CloseProbability": 50,
                "ExchangeRateCode": "EUR",
                "ActualClose": (modified - chrono::TimeDelta::days(1)).to_rfc3339(),
                "ModifyDate": modified.to_rfc3339(),
                "Account": {"$key": account.key},
                "CallReference": format!("call-{i}"),
            }))
        })
        .collect();
    state
        .insert_records(Kind::Opportunity, &items)
        .unwrap_or_else(|e| panic!("opportunities: {e:?}"));
    fake
}

/// A plain decimal: digits with at most one point, no exponent.
fn plain_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_opportunities_lists_status_amounts_and_the_conversion_fields() {
    let fake = seeded().await;
    for format in FORMATS {
        let crm = connector(&fake, format);
        let fields = crm
            .describe_source(SourceKind::Opportunity)
            .await
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        let field = |name: &str| fields.iter().find(|f| f.name == name);
        assert!(field("Status").is_some_and(|f| f.max_length == Some(64)));
        assert!(field("ActualAmount").is_some_and(|f| f.field_type == FieldType::Decimal));
        assert!(field("ActualClose").is_some_and(|f| f.field_type == FieldType::DateTime));
        assert!(field("ExchangeRateCode").is_some_and(|f| f.max_length == Some(3)));
        assert!(
            field("CallReference").is_some_and(|f| f.custom && f.max_length == Some(32)),
            "{format:?}"
        );
        assert!(field("Weighted").is_some_and(|f| f.read_only));
        assert!(
            field("Account.AccountName").is_some(),
            "the account, flattened"
        );
        assert!(field("Email").is_none(), "opportunities have no email");
        // People gained the conversion fields too, described as before.
        let leads = crm
            .describe_source(SourceKind::Lead)
            .await
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert!(
            leads
                .iter()
                .any(|f| f.name == "MarketingSource" && f.custom)
        );
        assert!(leads.iter().any(|f| f.name == "Email"));
    }
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn won_opportunities_after_a_watermark_come_oldest_first_across_pages() {
    let fake = seeded().await;
    let mut all = fake.state().records(Kind::Opportunity);
    all.sort_by(|a, b| (a.modify_date, &a.key).cmp(&(b.modify_date, &b.key)));
    // Since the 8th record (the first of a pair sharing a ModifyDate).
    let since_record = &all[8];
    let since = listbridge_connector::Watermark {
        modified: since_record.modify_date,
        key: since_record.key.clone(),
    };
    let expected: Vec<String> = all
        .iter()
        .filter(|r| (r.modify_date, &r.key) > (since.modified, &since.key))
        .filter(|r| r.text("Status") == Some("Closed - Won"))
        .map(|r| r.key.clone())
        .collect();
    assert!(expected.len() >= 6, "{}", expected.len());
    for format in FORMATS {
        let crm = connector(&fake, format);
        fake.state().reset_stats();
        let query = ReadQuery {
            fields: [
                "Description",
                "Status",
                "ActualAmount",
                "ActualClose",
                "ExchangeRateCode",
            ]
            .map(String::from)
            .to_vec(),
            since: Some(since.clone()),
            page_size: Some(2),
            filters: vec![Filter::equals("Status", "Closed - Won")],
            any_order: false,
        };
        let mut stream = crm.read_source(SourceKind::Opportunity, query);
        let mut read: Vec<SourceRecord> = Vec::new();
        let mut pages = 0;
        while let Some(page) = stream.next().await {
            let page = page.unwrap_or_else(|e| panic!("{format:?}: {e}"));
            assert!(page.len() <= 2, "{format:?}: a page of {}", page.len());
            pages += 1;
            read.extend(page);
        }
        let keys: Vec<String> = read.iter().map(|r| r.key.clone()).collect();
        assert_eq!(
            keys, expected,
            "{format:?}: the won ones after since, oldest first"
        );
        assert!(pages >= 3, "{format:?}: {pages} pages");
        for record in &read {
            assert_eq!(record.source, SourceKind::Opportunity);
            assert!(record.modify_date.is_some());
            let field = |name: &str| record.fields.get(name).cloned().flatten();
            assert_eq!(field("Status").as_deref(), Some("Closed - Won"));
            let amount = field("ActualAmount").unwrap_or_default();
            assert!(plain_decimal(&amount), "{format:?}: amount {amount}");
            assert!(amount.starts_with("10"), "{format:?}: amount {amount}");
            let closed = field("ActualClose").unwrap_or_default();
            assert!(
                closed.ends_with('Z') && DateTime::parse_from_rfc3339(&closed).is_ok(),
                "{format:?}: ActualClose {closed}"
            );
            assert_eq!(field("ExchangeRateCode").as_deref(), Some("EUR"));
            assert!(!record.fields.contains_key("Email"), "no email selected");
        }
        let gets = fake.state().stats().kind_count("opportunities", "GET");
        assert!(gets >= pages, "{format:?}: {gets} GETs for {pages} pages");
    }
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_on_a_field_opportunities_lack_is_refused_before_any_read() {
    let fake = seeded().await;
    let crm = connector(&fake, FORMATS[0]);
    let query = ReadQuery {
        filters: vec![Filter::equals("Email", "a@x.com")],
        ..ReadQuery::default()
    };
    let mut stream = crm.read_source(SourceKind::Opportunity, query);
    match stream.next().await {
        Some(Err(ConnectorError::Invalid { message })) => {
            assert!(
                message.contains("opportunity has no field Email"),
                "{message}"
            )
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_source_writes_the_marketing_source_to_the_opportunity() {
    let fake = seeded().await;
    let keys: Vec<String> = fake
        .state()
        .records(Kind::Opportunity)
        .into_iter()
        .map(|r| r.key)
        .collect();
    for (format, key) in FORMATS.into_iter().zip(&keys) {
        let crm = connector(&fake, format);
        crm.update_source(
            SourceKind::Opportunity,
            key,
            &values(&[("MarketingSource", "google-ads / spring")]),
        )
        .await
        .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        let stored = fake.state().record(Kind::Opportunity, key);
        assert_eq!(
            stored.as_ref().and_then(|r| r.text("MarketingSource")),
            Some("google-ads / spring"),
            "{format:?}"
        );
        assert_eq!(
            stored.as_ref().and_then(|r| r.text("CallReference")),
            Some(format!(
                "call-{}",
                keys.iter().position(|k| k == key).unwrap_or_default()
            ))
            .as_deref(),
            "{format:?}: other fields kept"
        );
        let read_only = crm
            .update_source(SourceKind::Opportunity, key, &values(&[("Weighted", "1")]))
            .await;
        assert!(
            matches!(read_only, Err(ConnectorError::Invalid { .. })),
            "{format:?}: {read_only:?}"
        );
        let missing = crm
            .update_source(
                SourceKind::Opportunity,
                "ONOPE0000000",
                &values(&[("MarketingSource", "x")]),
            )
            .await;
        assert!(
            matches!(missing, Err(ConnectorError::NotFound { .. })),
            "{format:?}: {missing:?}"
        );
    }
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leads_still_read_as_a_source_through_the_default() {
    let fake = fake(25, 0).await;
    let crm = connector(&fake, FORMATS[0]);
    let query = ReadQuery {
        fields: vec!["LastName".into()],
        page_size: Some(10),
        ..ReadQuery::default()
    };
    let mut stream = crm.read_source(SourceKind::Lead, query);
    let mut read: Vec<SourceRecord> = Vec::new();
    while let Some(page) = stream.next().await {
        read.extend(page.unwrap_or_else(|e| panic!("{e}")));
    }
    assert_eq!(read.len(), 25);
    assert!(read.iter().all(|r| r.source == SourceKind::Lead));
    assert!(read.iter().all(|r| r.fields.contains_key("Email")));
    for pair in read.windows(2) {
        assert!((pair[0].modify_date, &pair[0].key) < (pair[1].modify_date, &pair[1].key));
    }
    fake.shutdown().await;
}
