//! Paging without `next` links (older SData providers: `startIndex += itemsPerPage`), and
//! paging counters a CRM gets wrong: a huge `startIndex` must neither overflow nor loop,
//! and a server that answers every `startIndex` with the same page must not be read forever.

mod common;

use std::{
    collections::{BTreeSet, HashMap},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    extract::Query,
    http::{StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use futures::StreamExt;
use infor_crm::WireFormat;
use infor_crm_fake::{FakeConfig, Kind};
use listbridge_connector::{ConnectorError, CrmConnector, CrmRecord, EntityKind, ReadQuery};
use serde_json::{Value, json};

use common::{FORMATS, connector, fake_with, mock};

/// Reads every page; a read that does not end within 20 s fails the test.
async fn read_all(
    crm: &dyn CrmConnector,
    query: ReadQuery,
) -> (Vec<CrmRecord>, Option<ConnectorError>) {
    let mut stream = crm.read(EntityKind::Lead, query);
    let mut records = Vec::new();
    let drained = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(page) = stream.next().await {
            match page {
                Ok(page) => records.extend(page.records),
                Err(error) => return Some(error),
            }
        }
        None
    })
    .await;
    match drained {
        Ok(error) => (records, error),
        Err(_) => panic!("the read did not end (read {} records)", records.len()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_next_links_a_capped_feed_is_read_to_the_end_by_start_index() {
    const LEADS: usize = 1_234;
    const CAP: usize = 37;
    let fake = fake_with(FakeConfig {
        leads: LEADS,
        page_cap: CAP,
        omit_next_links: true,
        ..FakeConfig::default()
    })
    .await;
    let stored = fake.state().records(Kind::Lead);
    let expected: BTreeSet<String> = stored.iter().map(|r| r.key.clone()).collect();
    for format in FORMATS {
        let crm = connector(&fake, format);
        let _ = crm.describe(EntityKind::Lead).await;
        fake.state().reset_stats();
        let (records, error) = read_all(
            &crm,
            ReadQuery {
                fields: vec!["LastName".into()],
                page_size: Some(100),
                ..ReadQuery::default()
            },
        )
        .await;
        assert!(error.is_none(), "{format:?}: {error:?}");
        let keys: Vec<String> = records.iter().map(|r| r.key.clone()).collect();
        assert_eq!(keys.len(), LEADS, "{format:?}: every lead once");
        assert_eq!(
            keys.iter().cloned().collect::<BTreeSet<_>>(),
            expected,
            "{format:?}"
        );
        for pair in records.windows(2) {
            assert!(
                (pair[0].modify_date, &pair[0].key) < (pair[1].modify_date, &pair[1].key),
                "{format:?}: out of order at {}",
                pair[1].key
            );
        }
        assert_eq!(
            fake.state().stats().kind_count("leads", "GET"),
            LEADS.div_ceil(CAP) as u64,
            "{format:?}: one request per capped page, none past the end"
        );

        // Lookups page the same way: 150 emails match more than one capped page.
        let emails: Vec<String> = stored
            .iter()
            .take(150)
            .filter_map(|r| r.text("Email").map(str::to_string))
            .collect();
        let wanted: BTreeSet<String> = emails.iter().map(|e| e.to_lowercase()).collect();
        let matching: BTreeSet<String> = stored
            .iter()
            .filter(|r| {
                r.text("Email")
                    .is_some_and(|e| wanted.contains(&e.to_lowercase()))
            })
            .map(|r| r.key.clone())
            .collect();
        assert!(matching.len() > CAP);
        let found = crm
            .find_by_email(EntityKind::Lead, &emails, &[])
            .await
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        let found_keys: Vec<String> = found.iter().map(|r| r.key.clone()).collect();
        assert_eq!(
            found_keys.len(),
            matching.len(),
            "{format:?}: each match once"
        );
        assert_eq!(
            found_keys.into_iter().collect::<BTreeSet<_>>(),
            matching,
            "{format:?}"
        );
    }
    assert!(
        fake.state().omit_next_links(),
        "the fake really left them out"
    );
    fake.shutdown().await;
}

/// How a scripted feed answers each request: `(startIndex it claims, totalResults)`.
type Script = fn(asked: u64) -> (Value, Option<u64>);

/// A server whose lead feed always holds two entries and claims what `script` says.
async fn scripted(script: Script, requests: Arc<AtomicUsize>) -> String {
    let schema = mock::lead_schema().await;
    let router = Router::new().fallback(
        move |uri: Uri, Query(params): Query<HashMap<String, String>>| {
            let schema = schema.clone();
            let requests = requests.clone();
            async move {
                let path = uri.path();
                if path.ends_with("schema") {
                    return ([(header::CONTENT_TYPE, "application/xml")], schema).into_response();
                }
                if !path.ends_with("/leads") {
                    return StatusCode::NOT_FOUND.into_response();
                }
                requests.fetch_add(1, Ordering::SeqCst);
                let asked = params
                    .get("startIndex")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(1);
                feed(script(asked))
            }
        },
    );
    mock::serve(router).await
}

fn feed((start_index, total): (Value, Option<u64>)) -> Response {
    let entry = |key: &str, second: u32| {
        json!({"$key": key, "$etag": "e", "LastName": "Paging",
               "ModifyDate": format!("2024-01-01T00:00:{second:02}Z")})
    };
    let mut body = json!({
        "$resources": [entry("LQA000000001", 1), entry("LQA000000002", 2)],
        "$startIndex": start_index,
        "$itemsPerPage": 2,
    });
    if let Some(total) = total {
        body["$totalResults"] = json!(total);
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[tokio::test]
async fn a_huge_start_index_from_the_crm_neither_overflows_nor_loops() {
    let cases: [(&str, Script, usize, bool); 4] = [
        // Claims to be the very last position with 10 results in all: nothing remains.
        (
            "u64::MAX with a total",
            |_| (json!(u64::MAX), Some(10)),
            1,
            false,
        ),
        (
            "near u64::MAX with a total",
            |_| (json!(u64::MAX - 10), Some(u64::MAX)),
            2,
            true,
        ),
        // No total, full pages: the next startIndex saturates and then stops advancing.
        (
            "u64::MAX without a total",
            |_| (json!(u64::MAX), None),
            2,
            true,
        ),
        ("a float beyond u64", |_| (json!(1.0e30), None), 2, true),
    ];
    for (name, script, requests_expected, fails) in cases {
        let requests = Arc::new(AtomicUsize::new(0));
        let base = scripted(script, requests.clone()).await;
        let crm = infor_crm::InforCrm::with_options(
            common::config(&base, common::PASSWORD),
            common::options(WireFormat::Json),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let (records, error) = read_all(&crm, ReadQuery::default()).await;
        assert!(!records.is_empty(), "{name}: the first page is read");
        assert_eq!(error.is_some(), fails, "{name}: {error:?}");
        if let Some(error) = error {
            assert!(
                matches!(&error, ConnectorError::Transient { message } if message.contains("does not page on")),
                "{name}: {error}"
            );
        }
        assert_eq!(requests.load(Ordering::SeqCst), requests_expected, "{name}");
    }
}

#[tokio::test]
async fn a_server_that_ignores_start_index_is_not_read_forever() {
    let requests = Arc::new(AtomicUsize::new(0));
    let base = scripted(|_| (json!(1), Some(1_000)), requests.clone()).await;
    let crm = infor_crm::InforCrm::with_options(
        common::config(&base, common::PASSWORD),
        common::options(WireFormat::Json),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (records, error) = read_all(&crm, ReadQuery::default()).await;
    assert_eq!(
        records.len(),
        4,
        "two pages were read before the repeat showed"
    );
    assert!(
        matches!(&error, Some(ConnectorError::Transient { message }) if message.contains("startIndex 3")),
        "{error:?}"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}
