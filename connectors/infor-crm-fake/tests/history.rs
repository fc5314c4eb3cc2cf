//! History (the Notes/History tab): posted as Atom and JSON, `Type` by name (or number,
//! stored as the name), Notes at most 255 characters while LongNotes holds the full text,
//! linked by `LeadId` or `ContactId`, found with the NOTES client's where.
mod common;

use common::fixture::enc;
use common::*;
use infor_crm_fake::Kind;
use serde_json::json;

fn atom_history(body: &str) -> String {
    format!(
        r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1"><sdata:payload><History xmlns="http://schemas.sage.com/dynamic/2007">{body}</History></sdata:payload></entry>"#
    )
}

async fn xml_error(resp: reqwest::Response) -> (String, String) {
    assert_eq!(resp.status(), 400);
    let xml = atom::parse(&text(resp).await);
    let d = xml.child(atom::SDATA, "diagnosis");
    let t = |n: &str| {
        d.and_then(|d| d.text_of(atom::SDATA, n))
            .unwrap_or_default()
    };
    (t("message"), t("payloadPath"))
}

#[tokio::test]
async fn atom_history_takes_type_names_and_caps_notes_at_255() {
    let h = with_leads(1).await;
    let state = h.crm.state();
    let Some(lead) = state.records(Kind::Lead).into_iter().next() else {
        panic!("lead")
    };
    let notes = "n".repeat(255);
    let long = "L".repeat(1000);
    for (sent, stored) in [
        ("atNote", "atNote"),
        ("ATEMAIL", "atEMail"),
        ("262154", "atEMail"),
    ] {
        let body = atom_history(&format!(
            "<Type>{sent}</Type><LeadId>{}</LeadId><Description>Sent</Description><Notes>{notes}</Notes><LongNotes>{long}</LongNotes>",
            lead.key
        ));
        let resp = send(
            h.post("history")
                .header("Content-Type", "application/atom+xml;type=entry")
                .body(body),
        )
        .await;
        assert_eq!(resp.status(), 201, "{sent}");
        let entry = atom::parse(&text(resp).await);
        assert!(entry.payload().is_some_and(|p| p.is(atom::SLX, "History")));
        let f = atom::fields(&entry);
        assert_eq!(f.get("Type"), Some(&Some(stored.to_string())), "{sent}");
        assert_eq!(
            f.get("Notes").cloned().flatten().map(|n| n.len()),
            Some(255)
        );
        assert_eq!(
            f.get("LongNotes").cloned().flatten().map(|n| n.len()),
            Some(1000)
        );
        assert_eq!(f.get("LeadId"), Some(&Some(lead.key.clone())));
        assert_eq!(f.get("ContactId"), Some(&None));
    }
    let (message, path) = xml_error(
        send(h.post("history").body(atom_history(&format!(
            "<Type>atNote</Type><Notes>{}</Notes>",
            "n".repeat(256)
        ))))
        .await,
    )
    .await;
    assert!(
        message.contains("Notes") && message.contains("255"),
        "{message}"
    );
    assert_eq!(path, "Notes");
    let (message, path) =
        xml_error(send(h.post("history").body(atom_history("<Type>atBogus</Type>"))).await).await;
    assert!(message.contains("atBogus"), "{message}");
    assert_eq!(path, "Type");
    assert_eq!(state.count(Kind::History), 3);
    let by_type = h
        .json(&format!(
            "history?format=json&where={}",
            enc("Type eq 'atEMail'")
        ))
        .await;
    assert_eq!(by_type["$totalResults"], 2);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn history_linked_by_contact_id_is_found_by_contact_and_type() {
    let h = with_leads(4).await;
    let state = h.crm.state();
    let contacts = state.records(Kind::Contact);
    let (c, other) = (&contacts[0], &contacts[1]);
    let resp = send(h.post("history?format=json").json(&json!({
        "Type": "atEMail", "ContactId": c.key, "ContactName": c.text("NameLF"),
        "AccountName": c.text("AccountName"), "Description": "Campaign",
        "Notes": "Sent Email Marketing Campaign \"Spring\".",
        "LongNotes": "Sent Email Marketing Campaign \"Spring\".", "Result": "Complete",
        "ResultCode": "DON", "Duration": 0, "Timeless": false,
        "CompletedDate": "/Date(1700000000000)/"})))
    .await;
    assert_eq!(resp.status(), 201);
    let made = body_json(resp).await;
    assert_eq!(made["ContactId"], c.key.as_str());
    assert!(made["LeadId"].is_null());
    let resp = send(h.post("history").body(atom_history(&format!(
        "<Type>atNote</Type><ContactId>{}</ContactId><Notes>note</Notes>",
        c.key
    ))))
    .await;
    assert_eq!(resp.status(), 201);
    let resp = send(h.post("history?format=json").json(&json!({
        "Type": "atEMail", "ContactId": other.key})))
    .await;
    assert_eq!(resp.status(), 201);

    let w = format!("ContactId eq '{}' and Type eq 'atEMail'", c.key);
    let feed = h
        .json(&format!("history?format=json&where={}", enc(&w)))
        .await;
    let found = resources(&feed);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["$key"], made["$key"]);
    assert_eq!(found[0]["ResultCode"], "DON");
    let xml = atom::parse(&h.atom(&format!("history?where={}", enc(&w))).await);
    let entries = xml.all(atom::ATOM, "entry");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        atom::fields(entries[0]).get("ContactId"),
        Some(&Some(c.key.clone()))
    );
    let all_for_c = h
        .json(&format!(
            "history?format=json&where={}",
            enc(&format!("ContactId eq '{}'", c.key))
        ))
        .await;
    assert_eq!(all_for_c["$totalResults"], 2);
    h.crm.shutdown().await;
}
