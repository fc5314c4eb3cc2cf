//! Paging by keyset (each page the records after the last one read), its fallback to
//! `startIndex` when a server refuses or ignores the clause, paging without `next` links
//! (older SData providers: `startIndex += itemsPerPage`), and paging counters a CRM gets
//! wrong: a huge `startIndex` must neither overflow nor loop, and a server that answers
//! every `startIndex` with the same page must not be read forever.

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
use infor_crm::{InforCrm, WireFormat};
use infor_crm_fake::{FakeConfig, Fault, FaultRule, Kind, UpdateSpec};
use listbridge_connector::{ConnectorError, CrmConnector, CrmRecord, EntityKind, ReadQuery};
use serde_json::{Value, json};

use common::{FORMATS, connector, fake_with, mock, offset_connector, options};

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

/// Reads the first page of a lead read, lets `between` change the CRM, then reads on.
async fn read_with_a_change(
    crm: &dyn CrmConnector,
    page_size: u32,
    between: impl FnOnce(&[CrmRecord]),
) -> (Vec<CrmRecord>, Option<ConnectorError>) {
    let mut stream = crm.read(
        EntityKind::Lead,
        ReadQuery {
            fields: vec!["LastName".into()],
            page_size: Some(page_size),
            ..ReadQuery::default()
        },
    );
    let mut records = match stream.next().await {
        Some(Ok(page)) => page.records,
        other => panic!("the first page: {other:?}"),
    };
    between(&records);
    let rest = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(page) = stream.next().await {
            match page {
                Ok(page) => records.extend(page.records),
                Err(error) => return Some(error),
            }
        }
        None
    })
    .await
    .unwrap_or_else(|_| panic!("the read did not end"));
    (records, rest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyset_read_skips_no_record_when_records_change_during_it() {
    const LEADS: usize = 500;
    const CAP: usize = 50;
    for keyset in [true, false] {
        let fake = fake_with(FakeConfig {
            leads: LEADS,
            page_cap: CAP,
            ..FakeConfig::default()
        })
        .await;
        let crm = if keyset {
            connector(&fake, WireFormat::Json)
        } else {
            offset_connector(&fake, WireFormat::Json)
        };
        let _ = crm.describe(EntityKind::Lead).await;
        fake.state().reset_stats();
        let state = fake.state();
        let (records, error) = read_with_a_change(&crm, 100, |first| {
            // A CRM user edits ten records of the first page: they move to the end.
            let keys = first.iter().take(10).map(|r| r.key.clone()).collect();
            let spec = UpdateSpec {
                keys,
                set: serde_json::from_value(json!({"Title": "Edited mid-read"}))
                    .unwrap_or_default(),
                ..UpdateSpec::default()
            };
            match state.update_records(Kind::Lead, &spec) {
                Ok(changed) => assert_eq!(changed.len(), 10),
                Err(e) => panic!("the edit: {e:?}"),
            }
        })
        .await;
        assert!(error.is_none(), "{error:?}");
        let seen: BTreeSet<String> = records.iter().map(|r| r.key.clone()).collect();
        let missed = LEADS - seen.len();
        if keyset {
            assert_eq!(missed, 0, "the keyset read skipped {missed} leads");
            assert_eq!(records.len(), LEADS + 10, "the ten edited leads come again");
            assert_eq!(
                fake.state().stats().kind_count("leads", "GET"),
                (LEADS + 10).div_ceil(CAP) as u64,
                "one request per capped page"
            );
        } else {
            // The reason for keyset paging: by offset, the edits shift every later
            // record back past the cursor.
            assert_eq!(missed, 10, "by startIndex the shift skips the edited count");
        }
        fake.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_keyset_clause_is_read_on_by_start_index_without_a_doubled_record() {
    const LEADS: usize = 300;
    const CAP: usize = 40;
    let fake = fake_with(FakeConfig {
        leads: LEADS,
        page_cap: CAP,
        ..FakeConfig::default()
    })
    .await;
    let crm = connector(&fake, WireFormat::Json);
    let _ = crm.describe(EntityKind::Lead).await;
    fake.state().reset_stats();
    let state = fake.state();
    let (records, error) = read_with_a_change(&crm, 100, |_| {
        // The next page is the first with the keyset clause: refused as an older
        // provider might (400 with an SData diagnosis).
        state.set_faults(infor_crm_fake::FaultConfig {
            rules: vec![
                FaultRule::next(
                    1,
                    Fault::Status {
                        status: 400,
                        retry_after: None,
                    },
                )
                .with_kind("leads"),
            ],
            ..infor_crm_fake::FaultConfig::default()
        });
    })
    .await;
    assert!(error.is_none(), "{error:?}");
    let keys: Vec<String> = records.iter().map(|r| r.key.clone()).collect();
    let distinct: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(keys.len(), LEADS, "every lead once");
    assert_eq!(distinct.len(), LEADS);
    // The refused request, then startIndex pages from record 41 on.
    assert_eq!(
        fake.state().stats().kind_count("leads", "GET"),
        1 + 1 + (LEADS - CAP).div_ceil(CAP) as u64
    );
    // The connector remembers: the next read pages by startIndex without asking again.
    fake.state().reset_stats();
    let (again, error) = read_all(&crm, ReadQuery::default()).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(again.len(), LEADS);
    assert_eq!(
        fake.state().stats().kind_count("leads", "GET"),
        LEADS.div_ceil(CAP) as u64
    );
    fake.shutdown().await;
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
        let crm = offset_connector(&fake, format);
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

/// A JSON connector to a scripted server, paging by keyset or by `startIndex`.
fn scripted_connector(base: &str, keyset_paging: bool) -> InforCrm {
    InforCrm::with_options(
        common::config(base, common::PASSWORD),
        infor_crm::InforCrmOptions {
            keyset_paging,
            ..options(WireFormat::Json)
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
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
        let crm = scripted_connector(&base, false);
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
async fn a_server_that_ignores_start_index_or_the_keyset_clause_is_not_read_forever() {
    // The scripted feed answers every query with the same two records. By startIndex
    // the second page repeats the first and ends the read. By keyset the page after the
    // first does not move on, so the read goes on by startIndex from record 3, where
    // the same repeat ends it: one request more, the same records and error.
    for (keyset_paging, requests_expected) in [(false, 2), (true, 3)] {
        let requests = Arc::new(AtomicUsize::new(0));
        let base = scripted(|_| (json!(1), Some(1_000)), requests.clone()).await;
        let crm = scripted_connector(&base, keyset_paging);
        let (records, error) = read_all(&crm, ReadQuery::default()).await;
        assert_eq!(
            records.len(),
            4,
            "keyset {keyset_paging}: two pages were read before the repeat showed"
        );
        assert!(
            matches!(&error, Some(ConnectorError::Transient { message }) if message.contains("startIndex 3")),
            "keyset {keyset_paging}: {error:?}"
        );
        assert_eq!(
            requests.load(Ordering::SeqCst),
            requests_expected,
            "keyset {keyset_paging}"
        );
    }
}
