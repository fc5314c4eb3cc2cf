//! Reading against the fake CRM: paging under a server cap, incremental reads, lookups.

mod common;

use std::collections::HashSet;

use futures::StreamExt;
use infor_crm::{InforCrm, InforCrmOptions, InforVocabulary, WireFormat};
use infor_crm_fake::Kind;
use listbridge_connector::{CrmConnector, CrmRecord, EntityKind, ReadQuery, Vocabulary, Watermark};

use common::{FORMATS, PASSWORD, config, connector, fake, options};

/// Reads every page of a query, checking order and page size as it goes.
async fn read_all(crm: &dyn CrmConnector, entity: EntityKind, query: ReadQuery) -> Vec<CrmRecord> {
    let mut stream = crm.read(entity, query);
    let mut all: Vec<CrmRecord> = Vec::new();
    while let Some(page) = stream.next().await {
        let page = page.unwrap_or_else(|e| panic!("read failed: {e}"));
        assert!(
            page.records.len() <= 100,
            "the server caps pages at 100, got {}",
            page.records.len()
        );
        all.extend(page.records);
    }
    all
}

fn assert_ordered(records: &[CrmRecord]) {
    for pair in records.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            (a.modify_date, &a.key) < (b.modify_date, &b.key),
            "out of order: {} then {}",
            a.key,
            b.key
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_leads_each_exactly_once_in_json_and_atom() {
    let fake = fake(10_000, 0).await;
    let expected: HashSet<String> = fake
        .state()
        .records(Kind::Lead)
        .into_iter()
        .map(|r| r.key)
        .collect();
    assert_eq!(expected.len(), 10_000);
    for format in FORMATS {
        let crm = connector(&fake, format);
        fake.state().reset_stats();
        let query = ReadQuery {
            fields: vec!["FirstName".into(), "LastName".into()],
            page_size: Some(500),
            ..ReadQuery::default()
        };
        let records = read_all(&crm, EntityKind::Lead, query).await;
        let keys: HashSet<String> = records.iter().map(|r| r.key.clone()).collect();
        assert_eq!(records.len(), 10_000, "{format:?}: every lead once");
        assert_eq!(keys, expected, "{format:?}: exactly the CRM's leads");
        assert_ordered(&records);
        assert!(
            records
                .iter()
                .all(|r| r.etag.is_some() && r.modify_date.is_some())
        );
        assert!(
            records
                .iter()
                .all(|r| r.fields.contains_key("Email") && r.fields.contains_key("LastName"))
        );
        // 100 pages plus the $schema fetch; nothing fetched twice.
        let gets = fake.state().stats().kind_count("leads", "GET");
        assert!(
            (100..=102).contains(&gets),
            "{format:?}: {gets} GETs for 100 pages"
        );
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn values_are_canonical_and_the_same_in_both_formats() {
    let fake = fake(30, 0).await;
    let mut by_format = Vec::new();
    for format in FORMATS {
        let crm = connector(&fake, format);
        by_format.push(read_all(&crm, EntityKind::Lead, ReadQuery::default()).await);
    }
    assert_eq!(by_format[0].len(), 30);
    assert_eq!(
        by_format[0], by_format[1],
        "JSON and Atom read the same records"
    );
    for record in &by_format[0] {
        let modified = record
            .fields
            .get("ModifyDate")
            .cloned()
            .flatten()
            .unwrap_or_default();
        assert!(
            modified.ends_with('Z') && modified.len() == 20,
            "canonical RFC 3339 UTC: {modified}"
        );
        assert!(record.key.len() == 12 && record.key.trim() == record.key);
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn incremental_read_starts_strictly_after_the_watermark() {
    let fake = fake(250, 0).await;
    let crm = connector(&fake, WireFormat::Json);
    let all = read_all(&crm, EntityKind::Lead, ReadQuery::default()).await;
    let cut = &all[120];
    let since = Watermark {
        modified: cut.modify_date.unwrap_or_default(),
        key: cut.key.clone(),
    };
    let rest = read_all(
        &crm,
        EntityKind::Lead,
        ReadQuery {
            since: Some(since),
            ..ReadQuery::default()
        },
    )
    .await;
    let expected: Vec<&str> = all[121..].iter().map(|r| r.key.as_str()).collect();
    let got: Vec<&str> = rest.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(got, expected);
    fake.shutdown().await;
}

#[tokio::test]
async fn find_by_email_is_case_insensitive_and_chunked() {
    let fake = fake(300, 0).await;
    let leads = fake.state().records(Kind::Lead);
    for format in FORMATS {
        let crm = connector(&fake, format);
        let wanted: Vec<String> = leads
            .iter()
            .take(120)
            .filter_map(|r| r.text("Email"))
            .map(str::to_uppercase)
            .collect();
        assert_eq!(wanted.len(), 120);
        fake.state().reset_stats();
        let mut asked = wanted.clone();
        asked.push("nobody@nowhere.example".into());
        let found = crm
            .find_by_email(EntityKind::Lead, &asked, &["LastName".into()])
            .await
            .unwrap_or_default();
        let found_emails: HashSet<String> = found
            .iter()
            .filter_map(|r| InforVocabulary.email_of(r))
            .map(str::to_uppercase)
            .collect();
        let wanted_set: HashSet<String> = wanted.into_iter().collect();
        assert_eq!(found_emails, wanted_set, "{format:?}");
        let gets = fake.state().stats().kind_count("leads", "GET");
        assert!(
            (1..=3).contains(&gets),
            "{format:?}: 121 emails in one tunnelled lookup (two pages of results, and the schema), not {gets}"
        );
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn without_tunnelling_lookups_are_cut_into_short_gets() {
    let fake = fake(300, 0).await;
    let wanted: Vec<String> = fake
        .state()
        .records(Kind::Lead)
        .iter()
        .take(120)
        .filter_map(|r| r.text("Email"))
        .map(str::to_string)
        .collect();
    let options = InforCrmOptions {
        tunnel_long_gets: false,
        lookup_chunk: 50,
        ..options(WireFormat::Json)
    };
    let crm = InforCrm::with_options(config(&fake.base_url(), PASSWORD), options)
        .unwrap_or_else(|e| panic!("connector: {e}"));
    fake.state().reset_stats();
    let found = crm
        .find_by_email(EntityKind::Lead, &wanted, &["LastName".into()])
        .await
        .unwrap_or_default();
    assert_eq!(found.len(), 120);
    let gets = fake.state().stats().kind_count("leads", "GET");
    assert!(
        (3..=6).contains(&gets),
        "120 emails in chunks of at most 50 under 2000 characters, not {gets}"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn get_by_keys_skips_missing_keys() {
    let fake = fake(40, 0).await;
    let crm = connector(&fake, WireFormat::Atom);
    let mut keys: Vec<String> = fake
        .state()
        .records(Kind::Lead)
        .into_iter()
        .take(25)
        .map(|r| r.key)
        .collect();
    keys.push("LNOSUCHKEY01".into());
    let found = crm
        .get_by_keys(EntityKind::Lead, &keys, &["Email".into()])
        .await
        .unwrap_or_default();
    let found: HashSet<String> = found.into_iter().map(|r| r.key).collect();
    assert_eq!(found.len(), 25);
    assert!(!found.contains("LNOSUCHKEY01"));
    fake.shutdown().await;
}

#[tokio::test]
async fn describe_lists_standard_custom_and_flattened_fields_once() {
    let fake = fake(1, 1).await;
    let crm = connector(&fake, WireFormat::Json);
    for entity in [EntityKind::Lead, EntityKind::Contact] {
        let fields = crm
            .describe(entity)
            .await
            .unwrap_or_else(|e| panic!("describe {entity}: {e}"));
        let field = |name: &str| fields.iter().find(|f| f.name == name).cloned();
        assert!(field("LastName").is_some_and(|f| f.required), "{entity}");
        assert!(field("LeadScore").is_some_and(|f| f.custom), "{entity}");
        assert!(
            field("Region").is_some_and(|f| f.custom && f.max_length == Some(32)),
            "{entity}"
        );
        assert!(field("Address.City").is_some(), "{entity}");
        assert!(field("ModifyDate").is_some_and(|f| f.read_only), "{entity}");
    }
    fake.state().reset_stats();
    let _ = crm.describe(EntityKind::Lead).await;
    assert_eq!(
        fake.state().stats().total,
        0,
        "field definitions are cached"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn iso_json_dates_read_the_same_as_microsoft_dates() {
    let ms = common::fake_with(infor_crm_fake::FakeConfig {
        leads: 20,
        ..Default::default()
    })
    .await;
    let iso = common::fake_with(infor_crm_fake::FakeConfig {
        leads: 20,
        json_dates: infor_crm_fake::JsonDates::Iso,
        ..Default::default()
    })
    .await;
    let from_ms = read_all(
        &connector(&ms, WireFormat::Json),
        EntityKind::Lead,
        ReadQuery::default(),
    )
    .await;
    let from_iso = read_all(
        &connector(&iso, WireFormat::Json),
        EntityKind::Lead,
        ReadQuery::default(),
    )
    .await;
    let dates = |records: &[CrmRecord]| -> Vec<(String, Option<String>, Option<String>)> {
        records
            .iter()
            .map(|r| {
                (
                    r.key.clone(),
                    r.fields.get("CreateDate").cloned().flatten(),
                    r.fields.get("ModifyDate").cloned().flatten(),
                )
            })
            .collect()
    };
    assert_eq!(from_ms.len(), 20);
    assert_eq!(
        dates(&from_ms),
        dates(&from_iso),
        "same seed, same canonical dates"
    );
    ms.shutdown().await;
    iso.shutdown().await;
}
