//! Creates, updates and sObject Collections: save results, per-record errors, allOrNone,
//! converted leads, and SystemModstamp bumps.
mod common;

use common::*;
use salesforce_fake::{FakeConfig, SObject};
use serde_json::{Value, json};

fn lead(last: &str, email: &str) -> Value {
    json!({"attributes": {"type": "Lead"}, "LastName": last, "Company": "Acme", "Email": email})
}

async fn pinned() -> Harness {
    start(FakeConfig {
        now: chrono::DateTime::parse_from_rfc3339("2026-12-05T10:15:30.250Z")
            .ok()
            .map(|t| t.to_utc()),
        ..FakeConfig::default()
    })
    .await
}

#[tokio::test]
async fn create_then_patch_bumps_the_modstamp_and_counts_writes() {
    let h = pinned().await;
    let resp = send(h.post("sobjects/Lead").json(
        &json!({"LastName": "Lee", "Company": "Acme", "Email": "a@acme.example", "Score__c": 7}),
    ))
    .await;
    assert_eq!(resp.status(), 201);
    let body = body_json(resp).await;
    assert_eq!(body["success"], true);
    assert_eq!(body["errors"], json!([]));
    let id = body["id"].as_str().unwrap_or("").to_string();
    assert_eq!(id.len(), 18);
    assert!(id.starts_with("00Q"));
    let rec = h.json(&format!("sobjects/Lead/{id}")).await;
    assert_eq!(rec["SystemModstamp"], "2026-12-05T10:15:30.000+0000");
    assert_eq!(rec["Status"], "Open - Not Contacted", "defaulted on create");
    assert_eq!(rec["Score__c"], 7.0);
    h.sf.state().clock().advance(chrono::TimeDelta::seconds(60));
    let resp = send(
        h.patch(&format!("sobjects/Lead/{}", &id[..15]))
            .json(&json!({"Title": "CTO"})),
    )
    .await;
    assert_eq!(resp.status(), 204);
    let rec = h.json(&format!("sobjects/Lead/{id}")).await;
    assert_eq!(rec["Title"], "CTO");
    assert_eq!(rec["SystemModstamp"], "2026-12-05T10:16:30.000+0000");
    assert_eq!(rec["LastModifiedDate"], "2026-12-05T10:16:30.000+0000");
    assert_eq!(rec["CreatedDate"], "2026-12-05T10:15:30.000+0000");
    assert_eq!(h.sf.state().stats().record_writes, 2);
    let resp = send(h.post("sobjects/Lead").json(&json!({"Company": "Acme"}))).await;
    assert_eq!(resp.status(), 400);
    let body = body_json(resp).await;
    assert_eq!(error_code(&body), "REQUIRED_FIELD_MISSING");
    assert_eq!(body[0]["fields"], json!(["LastName"]));
    let resp = send(
        h.post("sobjects/Lead")
            .json(&json!({"LastName": "x", "Company": "y", "Bogus": 1})),
    )
    .await;
    assert_eq!(error_code(&body_json(resp).await), "INVALID_FIELD");
    assert_eq!(h.sf.state().verify_indexes(), Ok(()));
    h.sf.shutdown().await;
}

#[tokio::test]
async fn collections_report_each_record_in_order_and_save_the_good_ones() {
    let h = pinned().await;
    let body = json!({"allOrNone": false, "records": [
        lead("Good", "good@acme.example"),
        {"attributes": {"type": "Lead"}, "Company": "Acme"},
        lead("BadMail", "not-an-email"),
        lead(&"L".repeat(81), "long@acme.example"),
        {"attributes": {"type": "Contact"}, "LastName": "Person", "Email": "p@acme.example"},
        {"attributes": {"type": "Lead"}, "LastName": "Locked", "Company": "Acme", "IsConverted": true},
    ]});
    let resp = send(h.post("composite/sobjects").json(&body)).await;
    assert_eq!(resp.status(), 200);
    let results = body_json(resp).await;
    let codes: Vec<&str> = results
        .as_array()
        .map(|r| {
            r.iter()
                .map(|x| x["errors"][0]["statusCode"].as_str().unwrap_or("OK"))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        codes,
        [
            "OK",
            "REQUIRED_FIELD_MISSING",
            "INVALID_EMAIL_ADDRESS",
            "STRING_TOO_LONG",
            "OK",
            "INVALID_FIELD_FOR_INSERT_UPDATE"
        ]
    );
    assert_eq!(results[0]["success"], true);
    assert_eq!(results[1]["success"], false);
    assert_eq!(results[1]["errors"][0]["fields"], json!(["LastName"]));
    assert!(
        results[4]["id"]
            .as_str()
            .is_some_and(|i| i.starts_with("003"))
    );
    assert_eq!(h.sf.state().count(SObject::Lead), 1);
    assert_eq!(h.sf.state().count(SObject::Contact), 1);
    assert_eq!(h.sf.state().stats().record_writes, 2);
    // Updates: by 15- or 18-character id, a deleted one, a missing id.
    let good = results[0]["id"].as_str().unwrap_or("").to_string();
    let upd = json!({"records": [
        {"attributes": {"type": "Lead"}, "id": &good[..15], "Title": "Boss"},
        {"attributes": {"type": "Lead"}, "Title": "No id"},
        {"attributes": {"type": "Lead"}, "id": "00Q5g0000zzzzzz", "Title": "Gone"},
    ]});
    let results = body_json(send(h.patch("composite/sobjects").json(&upd)).await).await;
    assert_eq!(results[0]["success"], true);
    assert_eq!(results[0]["id"], json!(good));
    assert_eq!(results[1]["errors"][0]["statusCode"], "MISSING_ARGUMENT");
    assert_eq!(results[2]["errors"][0]["statusCode"], "ENTITY_IS_DELETED");
    h.sf.shutdown().await;
}

#[tokio::test]
async fn all_or_none_rolls_every_record_back() {
    let h = pinned().await;
    let body = json!({"allOrNone": true, "records": [lead("One", "one@acme.example"), lead("Two", "bad")]});
    let results = body_json(send(h.post("composite/sobjects").json(&body)).await).await;
    assert_eq!(results[0]["success"], false);
    assert_eq!(
        results[0]["errors"][0]["statusCode"],
        "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    );
    assert_eq!(
        results[1]["errors"][0]["statusCode"],
        "INVALID_EMAIL_ADDRESS"
    );
    assert_eq!(h.sf.state().count(SObject::Lead), 0, "nothing saved");
    assert_eq!(h.sf.state().stats().record_writes, 0);
    let body = json!({"allOrNone": true, "records": [lead("One", "one@acme.example"), lead("Two", "two@acme.example")]});
    let results = body_json(send(h.post("composite/sobjects").json(&body)).await).await;
    assert_eq!(
        results
            .as_array()
            .map(|r| r.iter().all(|x| x["success"] == true)),
        Some(true)
    );
    let stamps: Vec<String> =
        h.sf.state()
            .records(SObject::Lead)
            .iter()
            .map(|r| format!("{:?}", r.field("SystemModstamp")))
            .collect();
    assert_eq!(stamps[0], stamps[1], "one request, one SystemModstamp");
    h.sf.shutdown().await;
}

#[tokio::test]
async fn more_than_200_records_are_refused_whole() {
    let h = pinned().await;
    let records: Vec<Value> = (0..201)
        .map(|i| lead(&format!("L{i}"), &format!("l{i}@acme.example")))
        .collect();
    let resp = send(
        h.post("composite/sobjects")
            .json(&json!({"records": records})),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(error_code(&body_json(resp).await), "EXCEEDED_ID_LIMIT");
    assert_eq!(h.sf.state().count(SObject::Lead), 0);
    h.sf.shutdown().await;
}

#[tokio::test]
async fn a_converted_lead_cannot_be_updated() {
    let h = start(FakeConfig::default()).await;
    let id = h
        .insert(
            "Lead",
            json!({"LastName": "Conv", "Company": "Acme", "Email": "c@acme.example"}),
        )
        .await;
    let (status, conv) = h.admin_post("convert", json!({"leadId": id})).await;
    assert_eq!(status, 200, "{conv}");
    let resp = send(
        h.patch(&format!("sobjects/Lead/{id}"))
            .json(&json!({"Title": "x"})),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        error_code(&body_json(resp).await),
        "CANNOT_UPDATE_CONVERTED_LEAD"
    );
    let upd = json!({"records": [{"attributes": {"type": "Lead"}, "id": id, "Title": "x"}]});
    let results = body_json(send(h.patch("composite/sobjects").json(&upd)).await).await;
    assert_eq!(
        results[0]["errors"][0]["statusCode"],
        "CANNOT_UPDATE_CONVERTED_LEAD"
    );
    h.sf.shutdown().await;
}

#[tokio::test]
async fn tasks_record_notes_on_leads_and_contacts() {
    let h = pinned().await;
    let who = h
        .insert(
            "Contact",
            json!({"LastName": "Noted", "Email": "n@acme.example"}),
        )
        .await;
    let resp = send(h.post("sobjects/Task").json(&json!({"WhoId": who, "Subject": "Email: Spring offer", "ActivityDate": "2026-12-05", "Status": "Completed", "Description": "Sent."}))).await;
    assert_eq!(resp.status(), 201);
    let (_, page) = h
        .query(&format!(
            "SELECT Id, Subject, Priority, ActivityDate FROM Task WHERE WhoId = '{who}'"
        ))
        .await;
    assert_eq!(page["totalSize"], 1);
    assert_eq!(page["records"][0]["Priority"], "Normal");
    assert_eq!(page["records"][0]["ActivityDate"], "2026-12-05");
    let resp = send(
        h.post("sobjects/Task")
            .json(&json!({"WhoId": "003000000000000", "Subject": "x"})),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        error_code(&body_json(resp).await),
        "INVALID_CROSS_REFERENCE_KEY"
    );
    h.sf.shutdown().await;
}
