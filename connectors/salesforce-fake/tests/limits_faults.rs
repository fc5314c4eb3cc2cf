//! The API usage header and limit, and injected faults: 429 with Retry-After, 500, a
//! write applied before a 500, a dropped connection.
mod common;

use common::*;
use salesforce_fake::{Fault, FaultConfig, FaultRule, SObject};
use serde_json::json;

fn limit_header(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("sforce-limit-info")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn every_answer_carries_api_usage_and_the_limit_is_enforced() {
    let h = with_people(3, 0).await;
    let resp = send(h.get("limits")).await;
    assert_eq!(limit_header(&resp), "api-usage=1/15000");
    let resp = send(h.get("query").query(&[("q", "SELECT Bad FROM Lead")])).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        limit_header(&resp),
        "api-usage=2/15000",
        "errors count and carry it too"
    );
    let (status, _) = h.admin_post("limits", json!({"used": 9, "max": 10})).await;
    assert_eq!(status, 200);
    let resp = send(h.get("limits")).await;
    assert_eq!(limit_header(&resp), "api-usage=10/10");
    let body = body_json(resp).await;
    assert_eq!(body["DailyApiRequests"], json!({"Max": 10, "Remaining": 0}));
    let resp = send(h.get("limits")).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(limit_header(&resp), "api-usage=10/10");
    assert_eq!(
        body_json(resp).await,
        json!([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    );
    h.sf.shutdown().await;
}

#[tokio::test]
async fn status_faults_answer_salesforce_errors_without_processing() {
    let h = with_people(0, 0).await;
    let (status, _) = h
        .admin_post(
            "faults",
            json!({"rules": [
                {"fault": {"type": "status", "status": 429, "retry_after": 7}, "next": 1, "method": "GET", "path_contains": "/query"},
                {"fault": {"type": "status", "status": 500}, "next": 1, "sobject": "Lead", "method": "POST"}
            ]}),
        )
        .await;
    assert_eq!(status, 200);
    let resp = send(h.get("query").query(&[("q", "SELECT Id FROM Lead")])).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("7")
    );
    let (status, _) = h.query("SELECT Id FROM Lead").await;
    assert_eq!(status, 200, "the rule fired once");
    let resp = send(
        h.post("sobjects/Lead")
            .json(&json!({"LastName": "A", "Company": "B"})),
    )
    .await;
    assert_eq!(resp.status(), 500);
    assert_eq!(error_code(&body_json(resp).await), "UNKNOWN_EXCEPTION");
    assert_eq!(
        h.sf.state().count(SObject::Lead),
        0,
        "a refused write is not applied"
    );
    h.sf.shutdown().await;
}

#[tokio::test]
async fn apply_then_500_saves_the_write_a_retry_would_double() {
    let h = with_people(0, 0).await;
    h.sf.state().set_faults(FaultConfig {
        rules: vec![
            FaultRule::next(1, Fault::ApplyThenStatus { status: 500 })
                .with_path("/composite/sobjects"),
        ],
        ..FaultConfig::default()
    });
    let body = json!({"records": [{"attributes": {"type": "Lead"}, "LastName": "Once", "Company": "B", "Email": "once@b.example"}]});
    let resp = send(h.post("composite/sobjects").json(&body)).await;
    assert_eq!(resp.status(), 500);
    assert_eq!(h.sf.state().count(SObject::Lead), 1, "the create happened");
    let (_, page) = h
        .query("SELECT Id FROM Lead WHERE Email = 'ONCE@b.example'")
        .await;
    assert_eq!(
        page["totalSize"], 1,
        "a careful client finds it before retrying"
    );
    h.sf.shutdown().await;
}

#[tokio::test]
async fn a_dropped_connection_gives_no_answer() {
    let h = with_people(0, 0).await;
    h.sf.state().set_faults(FaultConfig {
        rules: vec![FaultRule::next(1, Fault::Drop { apply: false })],
        ..FaultConfig::default()
    });
    let outcome = h.get("limits").send().await;
    assert!(
        outcome.is_err(),
        "expected a broken connection, got {outcome:?}"
    );
    assert_eq!(send(h.get("limits")).await.status(), 200);
    h.sf.shutdown().await;
}
