//! SOQL over REST: paging, keyset reads across a shared SystemModstamp, email lookups,
//! COUNT(), and the errors Salesforce gives for what it cannot parse.
mod common;

use std::collections::HashSet;

use common::*;
use salesforce_fake::{FakeConfig, SObject};
use serde_json::json;

#[tokio::test]
async fn five_thousand_records_page_by_2000_and_each_is_read_once() {
    let h = start(FakeConfig {
        leads: 5000,
        ..FakeConfig::default()
    })
    .await;
    let (records, pages) = h.query_all_pages("SELECT Id, Email FROM Lead").await;
    assert_eq!(pages, 3);
    let ids = ids(&records);
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), 5000);
    assert_eq!(unique.len(), 5000, "a record was read twice");
    let (_, first) = h.query("SELECT Id FROM Lead").await;
    assert_eq!(first["totalSize"], 5000);
    assert_eq!(first["records"].as_array().map(Vec::len), Some(2000));
    let next = first["nextRecordsUrl"].as_str().unwrap_or("");
    assert!(
        next.starts_with("/services/data/v62.0/query/01g") && next.ends_with("-2000"),
        "{next}"
    );
    // A smaller batchSize is honoured.
    let resp = send(
        h.get("query")
            .query(&[("q", "SELECT Id FROM Lead")])
            .header("Sforce-Query-Options", "batchSize=500"),
    )
    .await;
    let page = body_json(resp).await;
    assert_eq!(page["records"].as_array().map(Vec::len), Some(500));
    let resp = send(h.get("query/01gbogus-2000")).await;
    assert_eq!(error_code(&body_json(resp).await), "INVALID_QUERY_LOCATOR");
    h.sf.shutdown().await;
}

#[tokio::test]
async fn the_keyset_query_reads_a_group_sharing_one_stamp_exactly_once() {
    let h = with_people(300, 0).await;
    let shared = "2026-12-05T10:15:30.000+0000";
    for i in 0..25 {
        h.insert(
            "Lead",
            json!({"LastName": format!("Bulk{i}"), "Company": "B", "SystemModstamp": shared}),
        )
        .await;
    }
    let total = h.sf.state().count(SObject::Lead);
    let mut seen = Vec::new();
    let mut after: Option<(String, String)> = None;
    loop {
        let filter = match &after {
            None => String::new(),
            Some((stamp, id)) => format!(
                "WHERE (SystemModstamp > {stamp} OR (SystemModstamp = {stamp} AND Id > '{id}')) "
            ),
        };
        let soql = format!(
            "SELECT Id, SystemModstamp FROM Lead {filter}ORDER BY SystemModstamp, Id LIMIT 7"
        );
        let (status, page) = h.query(&soql).await;
        assert_eq!(status, 200, "{soql}: {page}");
        let records = page["records"].as_array().cloned().unwrap_or_default();
        let Some(last) = records.last() else {
            break;
        };
        after = Some((
            last["SystemModstamp"].as_str().unwrap_or("").to_string(),
            last["Id"].as_str().unwrap_or("").to_string(),
        ));
        seen.extend(ids(&records));
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), total, "every lead read");
    assert_eq!(unique.len(), total, "no lead read twice");
    h.sf.shutdown().await;
}

#[tokio::test]
async fn email_lookups_ignore_case_and_find_every_holder() {
    let h = with_people(0, 0).await;
    let a = h
        .insert(
            "Lead",
            json!({"LastName": "A", "Company": "X", "Email": "Ann.Lee@Acme.example"}),
        )
        .await;
    let b = h
        .insert(
            "Lead",
            json!({"LastName": "B", "Company": "X", "Email": "ann.lee@acme.example"}),
        )
        .await;
    h.insert(
        "Lead",
        json!({"LastName": "C", "Company": "X", "Email": "someone@else.example"}),
    )
    .await;
    let (status, page) = h
        .query("SELECT Id, Email FROM Lead WHERE Email IN ('ANN.LEE@ACME.EXAMPLE', 'nobody@x.example')")
        .await;
    assert_eq!(status, 200);
    let mut found = ids(page["records"].as_array().map_or(&[][..], Vec::as_slice));
    found.sort();
    let mut want = vec![a, b];
    want.sort();
    assert_eq!(found, want);
    let (_, count) = h
        .query("SELECT COUNT() FROM Lead WHERE Email = 'ann.lee@ACME.example'")
        .await;
    assert_eq!(count, json!({"totalSize": 2, "done": true, "records": []}));
    h.sf.shutdown().await;
}

#[tokio::test]
async fn filters_order_limit_and_deleted_records() {
    let h = with_people(0, 0).await;
    for (name, score, opted) in [("Ann", 10, false), ("Bob", 20, true), ("Cid", 30, false)] {
        h.insert("Lead", json!({"LastName": name, "Company": "Acme Corp", "Score__c": score, "HasOptedOutOfEmail": opted})).await;
    }
    let names = |page: &serde_json::Value| -> Vec<String> {
        page["records"].as_array().map_or(Vec::new(), |r| {
            r.iter()
                .map(|x| x["LastName"].as_str().unwrap_or("").to_string())
                .collect()
        })
    };
    let (_, p) = h
        .query("SELECT LastName FROM Lead WHERE Score__c >= 20 AND HasOptedOutOfEmail = false")
        .await;
    assert_eq!(names(&p), ["Cid"]);
    let (_, p) = h.query("SELECT LastName FROM Lead WHERE (Score__c < 15 OR LastName LIKE 'b%') ORDER BY LastName DESC").await;
    assert_eq!(names(&p), ["Bob", "Ann"]);
    let (_, p) = h.query("SELECT LastName FROM Lead WHERE LastName NOT IN ('Ann') ORDER BY Score__c DESC LIMIT 1").await;
    assert_eq!(names(&p), ["Cid"]);
    let bob =
        h.sf.state()
            .records(SObject::Lead)
            .into_iter()
            .find(|r| r.field("LastName").as_text() == Some("Bob"));
    let Some(bob) = bob else { panic!("Bob") };
    let resp = send(h.delete(&format!("sobjects/Lead/{}", bob.id()))).await;
    assert_eq!(resp.status(), 204);
    let (_, p) = h.query("SELECT LastName FROM Lead ORDER BY LastName").await;
    assert_eq!(names(&p), ["Ann", "Cid"], "deleted records are not queried");
    let resp = send(h.get("queryAll").query(&[(
        "q",
        "SELECT LastName, IsDeleted FROM Lead WHERE IsDeleted = true",
    )]))
    .await;
    assert_eq!(names(&body_json(resp).await), ["Bob"]);
    h.sf.shutdown().await;
}

#[tokio::test]
async fn unsupported_or_wrong_queries_are_refused_with_salesforce_codes() {
    let h = with_people(5, 0).await;
    let cases = [
        ("SELECT Id FROM Lead WHERE", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead GROUP BY Email", "MALFORMED_QUERY"),
        (
            "SELECT Id FROM Lead WHERE Email = 'a' AND LastName = 'b' OR LastName = 'c'",
            "MALFORMED_QUERY",
        ),
        (
            "SELECT Id, (SELECT Id FROM Tasks) FROM Lead",
            "MALFORMED_QUERY",
        ),
        ("SELECT FIELDS(ALL) FROM Lead LIMIT 200", "MALFORMED_QUERY"),
        ("SELECT Nope__c FROM Lead", "INVALID_FIELD"),
        (
            "SELECT Id FROM Lead WHERE Score__c = 'high'",
            "INVALID_FIELD",
        ),
        (
            "SELECT Id FROM Lead WHERE SystemModstamp > '2026-01-01T00:00:00Z'",
            "INVALID_FIELD",
        ),
        ("SELECT Id FROM Widget__c", "INVALID_TYPE"),
        (
            "SELECT Id FROM Lead WHERE Id = 'zzz'",
            "INVALID_QUERY_FILTER_OPERATOR",
        ),
    ];
    for (soql, want) in cases {
        let (status, body) = h.query(soql).await;
        assert_eq!(status, 400, "{soql}");
        assert_eq!(error_code(&body), want, "{soql}: {body}");
        assert!(body[0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (_, body) = h.query("SELECT Foo FROM Lead").await;
    assert!(
        body[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("ERROR at Row:1:Column:8")
                && m.contains("No such column 'Foo' on entity 'Lead'")),
        "{body}"
    );
    let resp = send(h.get("query")).await;
    assert_eq!(resp.status(), 400);
    h.sf.shutdown().await;
}
