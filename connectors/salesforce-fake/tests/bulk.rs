//! Bulk API 2.0 query jobs: state polling and CSV result paging by locator.
mod common;

use std::collections::HashSet;

use common::*;
use salesforce_fake::FakeConfig;
use serde_json::json;

#[tokio::test]
async fn a_query_job_completes_and_pages_its_csv_by_locator() {
    let h = start(FakeConfig {
        leads: 1200,
        bulk_polls: 1,
        ..FakeConfig::default()
    })
    .await;
    let resp = send(h.post("jobs/query").json(
        &json!({"operation": "query", "query": "SELECT Id, Email, HasOptedOutOfEmail FROM Lead"}),
    ))
    .await;
    assert_eq!(resp.status(), 200);
    let job = body_json(resp).await;
    assert_eq!(job["state"], "UploadComplete");
    assert_eq!(job["object"], "Lead");
    let id = job["id"].as_str().unwrap_or("").to_string();
    assert!(id.starts_with("750"));
    let early = send(h.get(&format!("jobs/query/{id}/results"))).await;
    assert_eq!(early.status(), 400, "no results before JobComplete");
    let first = h.json(&format!("jobs/query/{id}")).await;
    assert_eq!(first["state"], "InProgress");
    let done = h.json(&format!("jobs/query/{id}")).await;
    assert_eq!(done["state"], "JobComplete");
    assert_eq!(done["numberRecordsProcessed"], 1200);
    let mut locator: Option<String> = None;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let mut req = h
            .get(&format!("jobs/query/{id}/results"))
            .query(&[("maxRecords", "500")]);
        if let Some(l) = &locator {
            req = req.query(&[("locator", l.as_str())]);
        }
        let resp = send(req).await;
        assert_eq!(resp.status(), 200);
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let next = header("sforce-locator");
        let count: usize = header("sforce-numberofrecords")
            .parse()
            .unwrap_or(usize::MAX);
        assert!(header("content-type").starts_with("text/csv"));
        let csv = text(resp).await;
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some("\"Id\",\"Email\",\"HasOptedOutOfEmail\"")
        );
        let rows: Vec<&str> = lines.collect();
        assert_eq!(rows.len(), count);
        seen.extend(
            rows.iter()
                .map(|r| r.split(',').next().unwrap_or("").to_string()),
        );
        pages += 1;
        if next == "null" {
            break;
        }
        locator = Some(next);
    }
    assert_eq!(pages, 3);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (1200, 1200));
    let resp = send(
        h.post("jobs/query")
            .json(&json!({"operation": "query", "query": "SELECT Nope FROM Lead"})),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(error_code(&body_json(resp).await), "INVALID_FIELD");
    assert_eq!(
        send(h.delete(&format!("jobs/query/{id}"))).await.status(),
        204
    );
    assert_eq!(send(h.get(&format!("jobs/query/{id}"))).await.status(), 404);
    h.sf.shutdown().await;
}
