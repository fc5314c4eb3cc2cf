//! Filtered reads against the fake CRM, in JSON and Atom: each filter kind returns
//! exactly the records an unfiltered read says match, filters combine with the keyset
//! `since`, and a value full of quotes matches only itself.

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use infor_crm_fake::Kind;
use listbridge_connector::{
    ConnectorError, CrmConnector, CrmRecord, EntityKind, Filter, ReadQuery, Watermark,
};
use serde_json::json;

use common::{FORMATS, connector, fake};

const FIELDS: [&str; 5] = ["LastName", "DoNotEmail", "LeadScore", "Title", "Region"];

async fn read(crm: &dyn CrmConnector, query: ReadQuery) -> Result<Vec<CrmRecord>, ConnectorError> {
    let mut stream = crm.read(EntityKind::Lead, query);
    let mut all = Vec::new();
    while let Some(page) = stream.next().await {
        all.extend(page?.records);
    }
    Ok(all)
}

fn query(filters: Vec<Filter>) -> ReadQuery {
    ReadQuery {
        fields: FIELDS.iter().map(|f| f.to_string()).collect(),
        filters,
        ..ReadQuery::default()
    }
}

fn value<'a>(record: &'a CrmRecord, field: &str) -> Option<&'a str> {
    record.fields.get(field).and_then(|v| v.as_deref())
}

fn keys(records: &[CrmRecord]) -> Vec<String> {
    records.iter().map(|r| r.key.clone()).collect()
}

fn expected(all: &[CrmRecord], keep: impl Fn(&CrmRecord) -> bool) -> Vec<String> {
    all.iter()
        .filter(|r| keep(r))
        .map(|r| r.key.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_reads_return_exactly_the_matching_records() {
    let fake = fake(400, 0).await;
    let hostile = "O'Neil' or '1' eq '1";
    for last_name in ["O'Neil", hostile] {
        let fields = json!({"LastName": last_name, "Company": "Quote & Co"});
        let fields = fields.as_object().cloned().unwrap_or_default();
        fake.state()
            .insert_record(Kind::Lead, &fields)
            .unwrap_or_else(|e| panic!("insert: {e:?}"));
    }
    for format in FORMATS {
        let crm = connector(&fake, format);
        let all = read(&crm, query(Vec::new()))
            .await
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert_eq!(all.len(), 402);
        let some_name = value(&all[7], "LastName").unwrap_or_default().to_string();
        let other_name = value(&all[8], "LastName").unwrap_or_default().to_string();
        let middle = all[200].modify_date.unwrap_or_default();

        let cases: Vec<(&str, Vec<Filter>, Vec<String>)> = vec![
            (
                "opted out",
                vec![Filter::equals("DoNotEmail", "true")],
                expected(&all, |r| value(r, "DoNotEmail") == Some("true")),
            ),
            (
                "two last names, any case",
                vec![Filter::one_of(
                    "LastName",
                    [some_name.to_uppercase(), other_name.clone()],
                )],
                expected(&all, |r| {
                    value(r, "LastName").is_some_and(|n| {
                        n.eq_ignore_ascii_case(&some_name) || n.eq_ignore_ascii_case(&other_name)
                    })
                }),
            ),
            (
                "no title",
                vec![Filter::IsNull {
                    field: "Title".into(),
                }],
                expected(&all, |r| value(r, "Title").is_none()),
            ),
            (
                "has a region and one of three scores",
                vec![
                    Filter::NotNull {
                        field: "Region".into(),
                    },
                    Filter::one_of("LeadScore", ["10", "50", "90"]),
                ],
                expected(&all, |r| {
                    value(r, "Region").is_some()
                        && matches!(value(r, "LeadScore"), Some("10" | "50" | "90"))
                }),
            ),
            (
                "modified before the middle record",
                vec![Filter::ModifiedBefore { at: middle }],
                expected(&all, |r| r.modify_date.is_some_and(|m| m < middle)),
            ),
            (
                "an apostrophe is data",
                vec![Filter::equals("LastName", "O'Neil")],
                expected(&all, |r| value(r, "LastName") == Some("O'Neil")),
            ),
            (
                "a value built to widen the query matches only itself",
                vec![Filter::equals("LastName", hostile)],
                expected(&all, |r| value(r, "LastName") == Some(hostile)),
            ),
        ];
        for (name, filters, want) in cases {
            assert!(
                !want.is_empty() && want.len() < all.len(),
                "{name}: the case must select a proper subset ({})",
                want.len()
            );
            let got = read(&crm, query(filters))
                .await
                .unwrap_or_else(|e| panic!("{format:?} {name}: {e}"));
            assert_eq!(keys(&got), want, "{format:?}: {name}");
        }
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn filters_combine_with_the_incremental_keyset() {
    let fake = fake(300, 0).await;
    for format in FORMATS {
        let crm = connector(&fake, format);
        let all = read(&crm, query(Vec::new()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let cut = &all[100];
        let since = Watermark {
            modified: cut.modify_date.unwrap_or_default(),
            key: cut.key.clone(),
        };
        let until: DateTime<Utc> = all[250].modify_date.unwrap_or_default();
        let window = ReadQuery {
            since: Some(since.clone()),
            page_size: Some(7),
            ..query(vec![
                Filter::equals("DoNotEmail", "false"),
                Filter::ModifiedBefore { at: until },
            ])
        };
        let got = read(&crm, window).await.unwrap_or_else(|e| panic!("{e}"));
        let want = expected(&all[101..], |r| {
            value(r, "DoNotEmail") == Some("false") && r.modify_date.is_some_and(|m| m < until)
        });
        assert!(want.len() > 100, "{}", want.len());
        assert_eq!(keys(&got), want, "{format:?}");
        let distinct: BTreeSet<&String> = got.iter().map(|r| &r.key).collect();
        assert_eq!(distinct.len(), got.len(), "{format:?}: each record once");
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn a_bad_filter_is_refused_before_anything_is_sent() {
    let fake = fake(5, 0).await;
    let crm = connector(&fake, FORMATS[0]);
    let _ = crm.describe(EntityKind::Lead).await;
    fake.state().reset_stats();
    for filter in [
        Filter::equals("NoSuchField", "x"),
        Filter::equals("LeadScore", "1 or 1 eq 1"),
        Filter::one_of("Email", Vec::<String>::new()),
    ] {
        let err = read(&crm, query(vec![filter.clone()])).await.err();
        assert!(
            matches!(err, Some(ConnectorError::Invalid { .. })),
            "{filter:?}: {err:?}"
        );
    }
    assert_eq!(fake.state().stats().total, 0, "nothing reached the CRM");
    fake.shutdown().await;
}
