//! Composite Batch and sObject Collections retrieve: one request answering many, each
//! part as its resource would have answered alone.
mod common;

use common::*;
use serde_json::{Value, json};

fn id_of(record: &Value) -> String {
    record["Id"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_batch_answers_each_subrequest_and_spends_one_call_each() {
    let h = with_people(30, 5).await;
    let before = h.sf.state().api_usage().0;
    let q1 = format!("{V}/query?q=SELECT+Id,Email+FROM+Lead+ORDER+BY+Id+LIMIT+3");
    let q2 = format!("{V}/query?q=SELECT+Id+FROM+Contact+ORDER+BY+Id");
    let bad = format!("{V}/query?q=SELECT+Nope__c+FROM+Lead");
    let resp = send(h.post("composite/batch").json(&json!({"batchRequests": [
        {"method": "GET", "url": q1},
        {"method": "GET", "url": bad},
        {"method": "GET", "url": q2},
    ]})))
    .await;
    assert_eq!(resp.status(), 200);
    let limit = resp
        .headers()
        .get("sforce-limit-info")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = body_json(resp).await;
    assert_eq!(body["hasErrors"], true);
    let results = body["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["statusCode"], 200);
    assert_eq!(
        results[0]["result"]["records"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(results[1]["statusCode"], 400);
    assert_eq!(results[1]["result"][0]["errorCode"], "INVALID_FIELD");
    assert_eq!(results[2]["result"]["totalSize"], 5);
    let after = h.sf.state().api_usage().0;
    assert_eq!(after - before, 4, "the batch once and each subrequest once");
    assert!(limit.starts_with(&format!("api-usage={after}/")), "{limit}");
    let stats = h.sf.state().stats();
    assert_eq!(stats.subrequests, 3);
    assert_eq!(stats.count_of("composite/batch", "POST"), 1);
}

#[tokio::test]
async fn halt_on_error_stops_the_rest_and_bad_subrequests_fail_the_batch() {
    let h = with_people(3, 0).await;
    let ok = format!("{V}/query?q=SELECT+Id+FROM+Lead");
    let resp = send(h.post("composite/batch").json(
        &json!({"haltOnError": true, "batchRequests": [
            {"method": "GET", "url": format!("{V}/sobjects/Lead/00Q000000000000AAA")},
            {"method": "GET", "url": ok},
        ]}),
    ))
    .await;
    let body = body_json(resp).await;
    assert_eq!(body["results"][0]["statusCode"], 404);
    assert_eq!(body["results"][1]["statusCode"], 412);
    assert_eq!(
        body["results"][1]["result"][0]["errorCode"],
        "BATCH_PROCESSING_HALTED"
    );

    let too_many: Vec<Value> = (0..26)
        .map(|_| json!({"method": "GET", "url": ok}))
        .collect();
    let resp = send(
        h.post("composite/batch")
            .json(&json!({"batchRequests": too_many})),
    )
    .await;
    assert_eq!(resp.status(), 400);
    let later = "v63.0/query?q=SELECT+Id+FROM+Lead";
    let resp = send(h.post("composite/batch").json(&json!({"batchRequests": [
        {"method": "GET", "url": ok},
        {"method": "GET", "url": later},
    ]})))
    .await;
    assert_eq!(resp.status(), 400, "a subrequest newer than the batch");
    assert_eq!(
        h.sf.state().stats().subrequests,
        2,
        "none of a refused batch ran"
    );
    let resp = send(h.post("composite/batch").json(&json!({"batchRequests": [
        {"method": "POST", "url": format!("{V}/composite/batch"), "richInput": {"batchRequests": []}},
    ]})))
    .await;
    let body = body_json(resp).await;
    assert_eq!(body["results"][0]["statusCode"], 400, "{body}");
}

#[tokio::test]
async fn a_batch_writes_through_rich_input() {
    let h = with_people(1, 0).await;
    let (_, page) = h.query("SELECT Id FROM Lead").await;
    let id = id_of(&page["records"][0]);
    let resp = send(h.post("composite/batch").json(&json!({"batchRequests": [
        {"method": "PATCH", "url": format!("{V}/sobjects/Lead/{id}"), "richInput": {"Title": "CMO"}},
        {"method": "GET", "url": format!("{V}/sobjects/Lead/{id}?fields=Title")},
    ]})))
    .await;
    let body = body_json(resp).await;
    assert_eq!(body["hasErrors"], false);
    assert_eq!(body["results"][0]["statusCode"], 204);
    assert_eq!(body["results"][0]["result"], Value::Null);
    assert_eq!(body["results"][1]["result"]["Title"], "CMO");
}

#[tokio::test]
async fn retrieve_answers_one_entry_per_id_in_order() {
    let h = with_people(4, 1).await;
    let (_, page) = h.query("SELECT Id FROM Lead ORDER BY Id").await;
    let leads: Vec<String> = page["records"]
        .as_array()
        .map(|r| r.iter().map(id_of).collect())
        .unwrap_or_default();
    let (_, contacts) = h.query("SELECT Id FROM Contact").await;
    let contact = id_of(&contacts["records"][0]);
    let ids = json!([leads[2], &leads[0][..15], contact, "nonsense", leads[1]]);
    let resp = send(
        h.post("composite/sobjects/Lead")
            .json(&json!({"ids": ids, "fields": ["Id", "Email", "SystemModstamp"]})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body = body_json(resp).await;
    let got = body.as_array().cloned().unwrap_or_default();
    assert_eq!(got.len(), 5);
    assert_eq!(id_of(&got[0]), leads[2]);
    assert_eq!(
        id_of(&got[1]),
        leads[0],
        "a 15-character Id answers the record"
    );
    assert_eq!(got[2], Value::Null, "a contact's Id is not a lead");
    assert_eq!(got[3], Value::Null);
    assert_eq!(got[4]["attributes"]["type"], "Lead");
    assert!(got[4]["SystemModstamp"].is_string());
    assert!(got[4].get("LastName").is_none(), "only the fields asked");

    let resp = send(h.get(&format!(
        "composite/sobjects/Lead?ids={}&fields=Email",
        leads[3]
    )))
    .await;
    let body = body_json(resp).await;
    assert!(body[0]["Email"].is_string(), "{body}");
    let resp = send(
        h.post("composite/sobjects/Lead")
            .json(&json!({"ids": [leads[0]], "fields": ["Nope__c"]})),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(error_code(&body_json(resp).await), "INVALID_FIELD");
    let many: Vec<String> = (0..2001).map(|_| leads[0].clone()).collect();
    let resp = send(
        h.post("composite/sobjects/Lead")
            .json(&json!({"ids": many, "fields": ["Id"]})),
    )
    .await;
    assert_eq!(resp.status(), 400);
}
