//! The admin API: statistics, record dumps, CRM-side updates sharing one SystemModstamp,
//! lead conversion.
mod common;

use common::*;
use salesforce_fake::SObject;
use serde_json::json;

#[tokio::test]
async fn stats_count_by_method_and_sobject() {
    let h = with_people(5, 5).await;
    h.sf.state().reset_stats();
    h.query("SELECT Id FROM Contact").await;
    send(h.get("sobjects/Lead/describe")).await;
    send(
        h.post("sobjects/Lead")
            .json(&json!({"LastName": "A", "Company": "B"})),
    )
    .await;
    let resp = send(h.client.get(h.admin("stats"))).await;
    let stats = body_json(resp).await;
    assert_eq!(stats["by_sobject"]["Contact"]["GET"], 1);
    assert_eq!(stats["by_sobject"]["Lead"]["GET"], 1);
    assert_eq!(stats["by_sobject"]["Lead"]["POST"], 1);
    assert_eq!(stats["by_method"]["GET"], 2);
    assert_eq!(stats["record_writes"], 1);
    h.sf.shutdown().await;
}

#[tokio::test]
async fn crm_side_updates_share_one_systemmodstamp_and_are_dumped() {
    let h = with_people(4, 0).await;
    let leads = h.sf.state().records(SObject::Lead);
    let updates: Vec<_> = leads
        .iter()
        .map(|r| json!({"type": "Lead", "id": r.id().to_18(), "fields": {"Title": "Bulk"}}))
        .collect();
    let (status, body) = h
        .admin_post(
            "update",
            json!({"updates": updates, "systemModstamp": "2026-12-05T10:15:30.000Z"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let resp = send(h.client.get(h.admin("records/Lead"))).await;
    let dump = body_json(resp).await;
    let list = dump.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 4);
    for r in &list {
        assert_eq!(r["Title"], "Bulk");
        assert_eq!(r["SystemModstamp"], "2026-12-05T10:15:30.000+0000");
    }
    let (status, _) = h
        .admin_post(
            "update",
            json!({"updates": [{"type": "Lead", "id": "00Q5g0000zzzzzz", "fields": {}}]}),
        )
        .await;
    assert_eq!(status, 400);
    h.sf.shutdown().await;
}

#[tokio::test]
async fn converting_a_lead_makes_a_contact_and_moves_its_tasks() {
    let h = with_people(0, 0).await;
    let lead = h.insert("Lead", json!({"FirstName": "Ada", "LastName": "Byron", "Company": "Engines", "Email": "ada@engines.example", "City": "London"})).await;
    let task = h
        .insert("Task", json!({"WhoId": lead, "Subject": "Email: Hello"}))
        .await;
    let (status, conv) = h.admin_post("convert", json!({"leadId": lead})).await;
    assert_eq!(status, 200, "{conv}");
    let contact = conv["contactId"].as_str().unwrap_or("").to_string();
    assert!(contact.starts_with("003"));
    let c = h.json(&format!("sobjects/Contact/{contact}")).await;
    assert_eq!(c["Email"], "ada@engines.example");
    assert_eq!(c["MailingCity"], "London");
    let l = h.json(&format!("sobjects/Lead/{lead}")).await;
    assert_eq!(l["IsConverted"], true);
    assert_eq!(l["ConvertedContactId"], json!(contact));
    assert_eq!(l["Status"], "Closed - Converted");
    assert!(l["ConvertedDate"].is_string());
    let t = h.json(&format!("sobjects/Task/{task}")).await;
    assert_eq!(t["WhoId"], json!(contact));
    let (status, _) = h.admin_post("convert", json!({"leadId": lead})).await;
    assert_eq!(status, 400, "a lead converts once");
    // Into an existing contact.
    let other = h
        .insert("Lead", json!({"LastName": "Two", "Company": "X"}))
        .await;
    let (status, conv) = h
        .admin_post("convert", json!({"leadId": other, "contactId": contact}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(conv["contactId"], json!(contact));
    assert_eq!(h.sf.state().count(SObject::Contact), 1);
    assert_eq!(h.sf.state().verify_indexes(), Ok(()));
    h.sf.shutdown().await;
}
