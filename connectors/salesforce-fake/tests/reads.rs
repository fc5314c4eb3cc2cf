//! Versions, describe, and records by 15- or 18-character Id.
mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn versions_list_the_served_api_versions() {
    let h = with_people(0, 0).await;
    let resp = send(h.client.get(format!("{}/services/data/", h.base))).await;
    assert_eq!(resp.status(), 200);
    let list = body_json(resp).await;
    let latest = list
        .as_array()
        .and_then(|l| l.iter().find(|v| v["version"] == "62.0"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(latest["url"], "/services/data/v62.0");
    assert_eq!(latest["label"], "Winter '25");
    let resp = send(
        h.client
            .get(format!("{}/services/data/v99.0/limits", h.base))
            .bearer_auth(&h.token),
    )
    .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(error_code(&body_json(resp).await), "NOT_FOUND");
    h.sf.shutdown().await;
}

#[tokio::test]
async fn describe_reports_types_lengths_writability_and_picklists() {
    let h = with_people(0, 0).await;
    let d = h.json("sobjects/Lead/describe").await;
    assert_eq!(d["name"], "Lead");
    assert_eq!(d["keyPrefix"], "00Q");
    let fields = d["fields"].as_array().cloned().unwrap_or_default();
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(field("Id")["type"], "id");
    assert_eq!(field("Email")["type"], "email");
    assert_eq!(field("Email")["length"], 80);
    assert_eq!(field("LastName")["nillable"], false);
    assert_eq!(field("IsConverted")["updateable"], false);
    assert_eq!(field("SystemModstamp")["type"], "datetime");
    assert_eq!(field("HasOptedOutOfEmail")["type"], "boolean");
    assert_eq!(field("Score__c")["type"], "double");
    assert_eq!(field("Score__c")["custom"], true);
    assert_eq!(
        field("ConvertedContactId")["referenceTo"],
        json!(["Contact"])
    );
    let statuses: Vec<Value> = field("Status")["picklistValues"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(statuses.iter().any(|p| p["value"] == "Closed - Converted"));
    let task = h.json("sobjects/Task/describe").await;
    assert!(task["fields"].as_array().is_some_and(|f| {
        f.iter()
            .any(|x| x["name"] == "WhoId" && x["type"] == "reference")
    }));
    assert!(task["fields"].as_array().is_some_and(|f| {
        f.iter()
            .any(|x| x["name"] == "Description" && x["type"] == "textarea")
    }));
    let resp = send(h.get("sobjects/Opportunity/describe")).await;
    assert_eq!(resp.status(), 404);
    h.sf.shutdown().await;
}

#[tokio::test]
async fn a_record_reads_by_its_15_or_18_character_id_in_any_case_of_the_18() {
    let h = with_people(20, 10).await;
    let leads = h.sf.state().records(salesforce_fake::SObject::Lead);
    let id = leads[0].id();
    let by18 = h.json(&format!("sobjects/Lead/{}", id.to_18())).await;
    let by15 = h.json(&format!("sobjects/Lead/{}", id.as_15())).await;
    let lower = h
        .json(&format!("sobjects/Lead/{}", id.to_18().to_lowercase()))
        .await;
    assert_eq!(by18, by15);
    assert_eq!(by18, lower);
    assert_eq!(by18["Id"], json!(id.to_18()));
    assert_eq!(by18["attributes"]["type"], "Lead");
    assert_eq!(
        by18["attributes"]["url"],
        json!(format!("/services/data/v62.0/sobjects/Lead/{}", id.to_18()))
    );
    assert!(
        by18["SystemModstamp"]
            .as_str()
            .is_some_and(|s| s.ends_with(".000+0000"))
    );
    let some = h
        .json(&format!("sobjects/Lead/{}?fields=Email,LastName", id))
        .await;
    assert_eq!(some.as_object().map(|o| o.len()), Some(3), "{some}");
    // A 15-character Id is case-sensitive: another case is another (absent) record.
    let other = id.as_15().to_lowercase();
    if other != id.as_15() {
        let resp = send(h.get(&format!("sobjects/Lead/{other}"))).await;
        assert_eq!(resp.status(), 404);
    }
    let resp = send(h.get("sobjects/Lead/nonsense")).await;
    assert_eq!(resp.status(), 404);
    assert_eq!(error_code(&body_json(resp).await), "NOT_FOUND");
    h.sf.shutdown().await;
}
