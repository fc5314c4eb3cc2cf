//! Creates, updates, deletes, validation, History, `$batch` and server-maintained dates.
mod common;

use chrono::{TimeZone, Utc};
use common::*;
use infor_crm_fake::{FakeConfig, Kind};
use reqwest::header;
use serde_json::json;

fn pinned() -> FakeConfig {
    FakeConfig {
        now: Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).single(),
        ..FakeConfig::default()
    }
}

fn atom_lead(body: &str) -> String {
    format!(
        r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:http="http://schemas.sage.com/sdata/http/2008/1">
  <sdata:payload><Lead xmlns="http://schemas.sage.com/dynamic/2007">{body}</Lead></sdata:payload></entry>"#
    )
}

#[tokio::test]
async fn atom_post_creates_a_lead_with_its_address() {
    let h = start(pinned()).await;
    let body = atom_lead(
        "<FirstName>Ann</FirstName><LastName>Smith</LastName><Company>Acme &amp; Co</Company><Email>ann@acme.com</Email>\
         <LeadSource xmlns:s=\"http://schemas.sage.com/sdata/2008/1\" s:key=\"LDEMOA000001\"/>\
         <Address><Address1>1 Main St</Address1><City>Chicago</City><State>IL</State><PostalCode>60651</PostalCode></Address>",
    );
    let resp = send(
        h.post("leads")
            .header("Content-Type", "application/atom+xml;type=entry")
            .body(body),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let location = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let etag = resp
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let entry = atom::parse(&text(resp).await);
    let Some(payload) = entry.payload() else {
        panic!("payload")
    };
    let Some(key) = payload.attr(atom::SDATA, "key").map(str::to_string) else {
        panic!("key")
    };
    assert_eq!(key.len(), 12);
    assert_eq!(location, Some(h.url(&format!("leads('{key}')"))));
    assert_eq!(etag, entry.text_of(atom::HTTP, "etag"));
    let f = atom::fields(&entry);
    assert_eq!(f.get("Company"), Some(&Some("Acme & Co".into())));
    assert_eq!(
        f.get("CreateDate"),
        Some(&Some("2025-06-01T12:00:00+00:00".into()))
    );
    assert_eq!(
        f.get("ModifyDate"),
        Some(&Some("2025-06-01T12:00:00+00:00".into()))
    );
    let state = h.crm.state();
    let Some(lead) = state.record(Kind::Lead, &key) else {
        panic!("stored")
    };
    let Some(addr_key) = lead.text("Address") else {
        panic!("address linked")
    };
    let Some(addr) = state.record(Kind::LeadAddress, addr_key) else {
        panic!("LeadAddress created")
    };
    assert_eq!(addr.text("City"), Some("Chicago"));
    assert_eq!(addr.text("LeadId"), Some(key.as_str()));
    assert_eq!(state.stats().record_writes, 2);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn json_post_and_template() {
    let h = start(pinned()).await;
    let t = h.json("leads/$template?format=json").await;
    assert_eq!(t["Status"], "New");
    let resp = send(h.post("leads?format=json").json(
        &json!({"$name": "Lead", "LastName": "Lee", "Company": "Zeta",
        "Email": "Lee@Zeta.io", "LeadScore": 7, "Newsletter": true, "Region": "EMEA",
        "Owner": {"$key": "SYST00000001"}, "Address": {"City": "Austin", "PostalCode": "78701"}}),
    ))
    .await;
    assert_eq!(resp.status(), 201);
    assert!(resp.headers().get(header::LOCATION).is_some());
    let e = body_json(resp).await;
    let Some(key) = e["$key"].as_str() else {
        panic!("$key")
    };
    assert_eq!(key.len(), 12);
    assert_eq!(e["LeadScore"], 7);
    assert_eq!(e["Newsletter"], true);
    assert!(e["Address"]["$key"].is_string());
    assert_eq!(
        e["ModifyDate"],
        format!(
            "/Date({})/",
            Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0)
                .single()
                .map_or(0, |d| d.timestamp_millis())
        )
    );
    h.crm.shutdown().await;
}

#[tokio::test]
async fn put_merges_clears_with_nil_changes_etags_and_412s_on_stale_if_match() {
    let h = start(pinned()).await;
    let state = h.crm.state();
    let created = body_json(
        send(
            h.post("leads?format=json")
                .json(&json!({"LastName": "Lee", "Company": "Zeta",
        "Title": "CTO", "Email": "lee@zeta.io"})),
        )
        .await,
    )
    .await;
    let Some(key) = created["$key"].as_str().map(str::to_string) else {
        panic!("key")
    };
    let Some(etag1) = created["$etag"].as_str().map(str::to_string) else {
        panic!("etag")
    };
    state.clock().advance(chrono::TimeDelta::seconds(90));

    // JSON: absent = unchanged, null = clear.
    let resp = send(
        h.put(&format!("leads('{key}')?format=json"))
            .header("If-Match", &etag1)
            .json(&json!({"Title": null, "FirstName": "Li"})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let etag2 = resp
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let e = body_json(resp).await;
    assert!(e["Title"].is_null());
    assert_eq!(e["FirstName"], "Li");
    assert_eq!(e["Email"], "lee@zeta.io");
    assert_ne!(etag2.as_deref(), Some(etag1.as_str()));
    assert_eq!(e["$etag"].as_str(), etag2.as_deref());
    let Some(rec) = state.record(Kind::Lead, &key) else {
        panic!("rec")
    };
    assert_eq!(
        rec.modify_date,
        Utc.with_ymd_and_hms(2025, 6, 1, 12, 1, 30)
            .single()
            .unwrap_or_default()
    );

    // Stale If-Match: 412 with the current entry (JSON and Atom).
    let resp = send(
        h.put(&format!("leads('{key}')?format=json"))
            .header("If-Match", &etag1)
            .json(&json!({"Title": "X"})),
    )
    .await;
    assert_eq!(resp.status(), 412);
    let current = body_json(resp).await;
    assert_eq!(current["$etag"].as_str(), etag2.as_deref());
    assert_eq!(current["FirstName"], "Li");
    let resp = send(
        h.put(&format!("leads('{key}')"))
            .header("If-Match", &etag1)
            .body(atom_lead("<Title>X</Title>")),
    )
    .await;
    assert_eq!(resp.status(), 412);
    let entry = atom::parse(&text(resp).await);
    assert_eq!(entry.text_of(atom::HTTP, "etag"), etag2.clone());

    // Atom: nil clears, absent unchanged; no If-Match is accepted.
    let resp = send(
        h.put(&format!("leads('{key}')"))
            .body(atom_lead(r#"<Email xsi:nil="true"/><Title>VP</Title>"#)),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let f = atom::fields(&atom::parse(&text(resp).await));
    assert_eq!(f.get("Email"), Some(&None));
    assert_eq!(f.get("Title"), Some(&Some("VP".into())));
    assert_eq!(f.get("FirstName"), Some(&Some("Li".into())));

    let resp = send(
        h.put("leads('QNOPE0000000')?format=json")
            .json(&json!({"Title": "X"})),
    )
    .await;
    assert_eq!(resp.status(), 404);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn if_match_can_be_required() {
    let h = start(FakeConfig {
        require_if_match: true,
        leads: 1,
        ..FakeConfig::default()
    })
    .await;
    let Some(lead) = h.crm.state().records(Kind::Lead).into_iter().next() else {
        panic!("lead")
    };
    let resp = send(
        h.put(&format!("leads('{}')?format=json", lead.key))
            .json(&json!({"Title": "X"})),
    )
    .await;
    assert_eq!(resp.status(), 400);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn delete_then_404() {
    let h = with_leads(3).await;
    let state = h.crm.state();
    let Some(lead) = state.records(Kind::Lead).into_iter().next() else {
        panic!("lead")
    };
    let resp = send(
        h.delete(&format!("leads('{}')", lead.key))
            .header("If-Match", "stale"),
    )
    .await;
    assert_eq!(resp.status(), 412);
    let resp = send(h.delete(&format!("leads('{}')", lead.key))).await;
    assert_eq!(resp.status(), 200);
    assert!(text(resp).await.is_empty());
    assert!(state.record(Kind::Lead, &lead.key).is_none());
    assert!(
        lead.text("Address")
            .is_some_and(|a| state.record(Kind::LeadAddress, a).is_none()),
        "the address goes too"
    );
    for req in [
        h.get(&format!("leads('{}')", lead.key)),
        h.delete(&format!("leads('{}')?format=json", lead.key)),
    ] {
        assert_eq!(send(req).await.status(), 404);
    }
    h.crm.shutdown().await;
}

#[tokio::test]
async fn mandatory_and_max_length_are_400_naming_the_field() {
    let h = start(pinned()).await;
    let resp = send(
        h.post("leads?format=json")
            .json(&json!({"LastName": "Lee"})),
    )
    .await;
    assert_eq!(resp.status(), 400);
    let body = body_json(resp).await;
    assert_eq!(body[0]["sdataCode"], "ApplicationDiagnosis");
    assert!(
        body[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Company")),
        "{body}"
    );
    let resp = send(h.post("contacts").body(
        r#"<entry xmlns="http://www.w3.org/2005/Atom"><payload xmlns="http://schemas.sage.com/sdata/2008/1"><Contact xmlns="http://schemas.sage.com/dynamic/2007"><FirstName>A</FirstName></Contact></payload></entry>"#,
    )).await;
    assert_eq!(resp.status(), 400);
    let xml = atom::parse(&text(resp).await);
    let msg = xml
        .child(atom::SDATA, "diagnosis")
        .and_then(|d| d.text_of(atom::SDATA, "message"));
    assert!(msg.is_some_and(|m| m.contains("LastName")));
    let resp = send(
        h.post("leads?format=json")
            .json(&json!({"LastName": "L", "Company": "C", "Region": "x".repeat(33)})),
    )
    .await;
    assert_eq!(resp.status(), 400);
    let body = body_json(resp).await;
    assert!(
        body[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Region") && m.contains("32")),
        "{body}"
    );
    let resp = send(
        h.post("leads?format=json")
            .json(&json!({"LastName": "L", "Company": "C", "Bogus": 1})),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(h.crm.state().count(Kind::Lead), 0);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn history_notes_by_type_name_with_notes_capped() {
    let h = with_leads(1).await;
    let Some(lead) = h.crm.state().records(Kind::Lead).into_iter().next() else {
        panic!("lead")
    };
    let long = "x".repeat(300);
    let resp = send(
        h.post("history?format=json")
            .json(&json!({"Type": "atEMail", "LeadId": lead.key,
        "Description": "Campaign sent", "Notes": &long[..255], "LongNotes": long})),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let e = body_json(resp).await;
    assert_eq!(e["Type"], "atEMail");
    assert_eq!(e["LongNotes"].as_str().map(str::len), Some(300));
    let resp = send(
        h.post("history?format=json")
            .json(&json!({"Type": "atNote", "Notes": long})),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert!(
        body_json(resp).await[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Notes"))
    );
    let resp = send(
        h.post("history?format=json")
            .json(&json!({"Type": "atBogus"})),
    )
    .await;
    assert_eq!(resp.status(), 400);
    let feed = h
        .json(&format!(
            "history?format=json&where={}",
            "Type%20eq%20'atEMail'"
        ))
        .await;
    assert_eq!(feed["$totalResults"], 1);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn atom_batch_runs_each_operation_with_its_own_status() {
    let h = with_leads(2).await;
    let state = h.crm.state();
    state.reset_stats();
    let leads = state.records(Kind::Lead);
    let (a, b) = (&leads[0], &leads[1]);
    let feed = format!(
        r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1" xmlns:http="http://schemas.sage.com/sdata/http/2008/1" xmlns:slx="http://schemas.sage.com/dynamic/2007">
  <entry><http:httpMethod>POST</http:httpMethod><sdata:payload><slx:Lead><slx:LastName>New</slx:LastName><slx:Company>Co</slx:Company></slx:Lead></sdata:payload></entry>
  <entry><id>{u1}</id><http:httpMethod>PUT</http:httpMethod><http:ifMatch>{e1}</http:ifMatch><sdata:payload><slx:Lead><slx:Title>Boss</slx:Title></slx:Lead></sdata:payload></entry>
  <entry><id>{u2}</id><http:httpMethod>PUT</http:httpMethod><http:ifMatch>stale</http:ifMatch><sdata:payload><slx:Lead><slx:Title>Boss</slx:Title></slx:Lead></sdata:payload></entry>
  <entry><http:httpMethod>POST</http:httpMethod><sdata:payload><slx:Lead><slx:LastName>NoCompany</slx:LastName></slx:Lead></sdata:payload></entry>
  <entry><id>{u2}</id><http:httpMethod>DELETE</http:httpMethod></entry>
</feed>"#,
        u1 = h.url(&format!("leads('{}')", a.key)),
        e1 = a.etag,
        u2 = h.url(&format!("leads('{}')", b.key)),
    );
    let resp = send(
        h.post("leads/$batch")
            .header("Content-Type", "application/atom+xml;type=feed")
            .body(feed),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let out = atom::parse(&text(resp).await);
    let statuses: Vec<String> = out
        .all(atom::ATOM, "entry")
        .iter()
        .filter_map(|e| e.text_of(atom::HTTP, "httpStatus"))
        .collect();
    assert_eq!(statuses, ["201", "200", "412", "400", "200"]);
    let entries = out.all(atom::ATOM, "entry");
    assert!(entries[0].text_of(atom::HTTP, "location").is_some());
    assert!(entries[3].child(atom::SDATA, "diagnoses").is_some());
    assert_eq!(
        state
            .record(Kind::Lead, &a.key)
            .and_then(|r| r.text("Title").map(str::to_string))
            .as_deref(),
        Some("Boss")
    );
    assert!(state.record(Kind::Lead, &b.key).is_none());
    assert_eq!(state.stats().record_writes, 1 + 1 + 2);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn json_batch() {
    let h = with_leads(1).await;
    let Some(a) = h.crm.state().records(Kind::Lead).into_iter().next() else {
        panic!("lead")
    };
    let body = json!({"$resources": [
        {"$httpMethod": "POST", "LastName": "J", "Company": "K", "Email": "j@k.com"},
        {"$httpMethod": "PUT", "$url": h.url(&format!("leads('{}')", a.key)), "$ifMatch": a.etag, "Title": "T"},
        {"$httpMethod": "GET", "$key": "QNOPE0000000"},
    ]});
    let resp = send(h.post("leads/%24batch?format=json").json(&body)).await;
    assert_eq!(resp.status(), 200);
    let out = body_json(resp).await;
    let r = resources(&out);
    assert_eq!(r[0]["$httpStatus"], 201);
    assert!(r[0]["$key"].is_string() && r[0]["$location"].is_string());
    assert_eq!(r[1]["$httpStatus"], 200);
    assert_eq!(r[1]["Title"], "T");
    assert_ne!(r[1]["$etag"].as_str(), Some(a.etag.as_str()));
    assert_eq!(r[2]["$httpStatus"], 404);
    assert!(r[2]["$diagnoses"].is_array());
    h.crm.shutdown().await;
}

#[tokio::test]
async fn many_records_can_share_one_modify_date_from_the_pinned_clock() {
    let h = start(pinned()).await;
    for i in 0..5 {
        let resp = send(
            h.post("leads?format=json")
                .json(&json!({"LastName": format!("L{i}"), "Company": "C"})),
        )
        .await;
        assert_eq!(resp.status(), 201);
    }
    let dates: std::collections::BTreeSet<_> = h
        .crm
        .state()
        .records(Kind::Lead)
        .into_iter()
        .map(|r| r.modify_date)
        .collect();
    assert_eq!(dates.len(), 1);
    let w = "ModifyDate%20eq%20@2025-06-01T12:00:00Z@";
    assert_eq!(
        h.json(&format!("leads?format=json&where={w}")).await["$totalResults"],
        5
    );
    h.crm.shutdown().await;
}
