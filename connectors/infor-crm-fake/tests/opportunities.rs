//! Opportunities: seeded through `/_admin/records/opportunities`, read as a feed with
//! `where`/`orderBy`/`select`/paging, written by PUT, and never in the email index.
mod common;

use chrono::{TimeZone, Utc};
use common::*;
use infor_crm_fake::{FakeConfig, Kind, Value as FieldValue};
use serde_json::{Value, json};

fn pinned() -> FakeConfig {
    FakeConfig {
        leads: 0,
        contacts: 0,
        accounts: 0,
        now: Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).single(),
        ..FakeConfig::default()
    }
}

/// One account and five opportunities, two of them won (on different days).
async fn seeded() -> (Harness, Vec<String>) {
    let h = start(pinned()).await;
    let account = send(
        h.client
            .post(h.admin("records/accounts"))
            .json(&json!({"AccountName": "Acme"})),
    )
    .await;
    assert_eq!(account.status(), 201, "{}", text(account).await);
    let Some(account) = h.crm.state().records(Kind::Account).first().cloned() else {
        panic!("no account")
    };
    let opportunities = json!([
        {"Description": "Acme renewal", "Status": "Closed - Won", "ActualAmount": 1200.5,
         "SalesPotential": 1000, "CloseProbability": 100, "ExchangeRateCode": "EUR",
         "ExchangeRate": 0.92, "ActualClose": "2025-05-01T10:00:00Z",
         "ModifyDate": "2025-05-01T10:00:00Z", "Account": {"$key": account.key},
         "CallReference": "call-1"},
        {"Description": "Acme pilot", "Status": "Open", "SalesPotential": 500,
         "CloseProbability": 40, "ModifyDate": "2025-05-02T10:00:00Z"},
        {"Description": "Acme upsell", "Status": "Closed - Won", "ActualAmount": 99,
         "ExchangeRateCode": "USD", "ModifyDate": "2025-05-03T10:00:00Z"},
        {"Description": "Acme lost", "Status": "Closed - Lost",
         "ModifyDate": "2025-05-04T10:00:00Z"},
        {"Description": "Acme expansion", "Status": "closed - won", "ActualAmount": 7,
         "ModifyDate": "2025-05-05T10:00:00Z"},
    ]);
    let resp = send(
        h.client
            .post(h.admin("records/opportunities"))
            .json(&opportunities),
    )
    .await;
    let status = resp.status();
    let body = body_json(resp).await;
    assert_eq!(status, 201, "{body}");
    let keys = h
        .crm
        .state()
        .records(Kind::Opportunity)
        .into_iter()
        .map(|r| r.key)
        .collect();
    (h, keys)
}

#[tokio::test]
async fn admin_inserts_opportunities_with_keys_of_their_own_and_derived_fields() {
    let (h, keys) = seeded().await;
    assert_eq!(keys.len(), 5);
    assert!(keys.iter().all(|k| k.starts_with('O') && k.len() == 12));
    let state = h.crm.state();
    let Some(won) = state
        .records(Kind::Opportunity)
        .into_iter()
        .find(|r| r.text("Description") == Some("Acme renewal"))
    else {
        panic!("the renewal")
    };
    assert_eq!(won.get("Closed"), Some(&FieldValue::Bool(true)));
    assert_eq!(won.get("Weighted"), Some(&FieldValue::Decimal(1000.0)));
    assert_eq!(won.text("ExchangeRateCode"), Some("EUR"));
    assert!(won.text("Account").is_some_and(|k| k.starts_with('A')));
    assert!(state.email_index_keys(Kind::Opportunity, "").is_empty());
    assert_eq!(state.verify_indexes(), Ok(()));
    let too_long = send(
        h.client
            .post(h.admin("records/opportunities"))
            .json(&json!({"Description": "x", "ExchangeRateCode": "EURO"})),
    )
    .await;
    assert_eq!(too_long.status(), 400, "a currency code holds 3 characters");
    let nameless = send(
        h.client
            .post(h.admin("records/opportunities"))
            .json(&json!({"Status": "Open"})),
    )
    .await;
    assert_eq!(nameless.status(), 400, "Description is mandatory");
    h.crm.shutdown().await;
}

#[tokio::test]
async fn feeds_filter_order_select_and_page_by_the_keyset() {
    let (h, _) = seeded().await;
    let base = "opportunities?format=json&orderBy=ModifyDate,Id&select=Description,Status,ActualAmount,ModifyDate&count=1";
    let first = h
        .json(&format!(
            "{base}&where=Status eq 'Closed - Won' and ModifyDate gt @2025-05-01T10:00:00Z@"
        ))
        .await;
    assert_eq!(first["$totalResults"], 2, "{first}");
    let page = resources(&first);
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["Description"], "Acme upsell");
    assert_eq!(page[0]["ActualAmount"], 99.0);
    assert!(page[0].get("ExchangeRateCode").is_none(), "select narrows");
    let Some(key) = page[0]["$key"].as_str() else {
        panic!("key")
    };
    // The next page by keyset, as the connector asks for it.
    let next = h
        .json(&format!(
            "{base}&where=(Status eq 'Closed - Won') and (ModifyDate gt @2025-05-03T10:00:00Z@ or (ModifyDate eq @2025-05-03T10:00:00Z@ and Id gt '{key}'))"
        ))
        .await;
    let page: Vec<Value> = resources(&next);
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["Description"], "Acme expansion");
    let atom = h
        .atom("opportunities?where=Status eq 'Closed - Lost'")
        .await;
    assert!(atom.contains("<slx:Opportunity") || atom.contains("<Opportunity"));
    assert!(atom.contains("Acme lost"));
    let no_email = send(h.get("opportunities?format=json&where=Email eq 'a@x.com'")).await;
    assert_eq!(no_email.status(), 400, "opportunities have no Email");
    let xsd = h.atom("$schema").await;
    assert!(xsd.contains(r#"<xs:element name="opportunity" type="opportunity--type""#));
    assert!(xsd.contains(r#"sme:pluralName="opportunities""#));
    assert!(xsd.contains(r#"name="ActualAmount" type="xs:decimal""#));
    assert!(xsd.contains(r#"name="Account" type="account--type""#));
    h.crm.shutdown().await;
}

#[tokio::test]
async fn put_writes_one_opportunity() {
    let (h, keys) = seeded().await;
    let key = &keys[0];
    let resp = send(
        h.put(&format!("opportunities('{key}')?format=json"))
            .header("Content-Type", "application/json")
            .json(&json!({"$name": "Opportunity", "MarketingSource": "google-ads", "CloseProbability": 50})),
    )
    .await;
    let status = resp.status();
    let body = body_json(resp).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["MarketingSource"], "google-ads");
    let Some(stored) = h.crm.state().record(Kind::Opportunity, key) else {
        panic!("stored")
    };
    assert_eq!(stored.text("MarketingSource"), Some("google-ads"));
    assert_eq!(stored.get("Weighted"), Some(&FieldValue::Decimal(500.0)));
    assert_eq!(
        stored.modify_date,
        Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0)
            .single()
            .unwrap_or_default()
    );
    h.crm.shutdown().await;
}
