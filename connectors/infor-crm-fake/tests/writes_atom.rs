//! Write headers and the Atom side of writes: POST's `ETag` and `Location` (= `$url`), a
//! new etag on every Atom PUT that changes something, 404 for a missing key, and the
//! require-If-Match option in Atom as in JSON.
mod common;

use common::*;
use infor_crm_fake::{FakeConfig, Kind};
use reqwest::header;
use serde_json::json;

fn atom_lead(body: &str) -> String {
    format!(
        r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sdata:payload><Lead xmlns="http://schemas.sage.com/dynamic/2007">{body}</Lead></sdata:payload></entry>"#
    )
}

fn header_of(resp: &reqwest::Response, name: header::HeaderName) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[tokio::test]
async fn json_post_sends_etag_and_location_matching_the_entry() {
    let h = start(FakeConfig::default()).await;
    let resp = send(
        h.post("leads?format=json")
            .json(&json!({"$name": "Lead", "LastName": "Lee", "Company": "Zeta"})),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let etag = header_of(&resp, header::ETAG);
    let location = header_of(&resp, header::LOCATION);
    let e = body_json(resp).await;
    let Some(key) = e["$key"].as_str() else {
        panic!("$key in {e}")
    };
    assert_eq!(key.len(), 12);
    assert!(etag.is_some(), "an ETag header");
    assert_eq!(etag.as_deref(), e["$etag"].as_str());
    assert_eq!(location.as_deref(), e["$url"].as_str());
    assert_eq!(location, Some(h.url(&format!("leads('{key}')"))));
    let stored = h.crm.state().record(Kind::Lead, key);
    assert_eq!(stored.map(|r| r.etag), etag);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn every_atom_put_that_changes_something_gets_a_new_etag() {
    let h = with_leads(1).await;
    let state = h.crm.state();
    let Some(lead) = state.records(Kind::Lead).into_iter().next() else {
        panic!("lead")
    };
    let url = format!("leads('{}')", lead.key);
    let mut etag = lead.etag.clone();
    let mut seen = vec![etag.clone()];
    for title in ["VP", "CTO"] {
        let resp = send(
            h.put(&url)
                .header("If-Match", &etag)
                .header("Content-Type", "application/atom+xml;type=entry")
                .body(atom_lead(&format!("<Title>{title}</Title>"))),
        )
        .await;
        assert_eq!(resp.status(), 200);
        let Some(new) = header_of(&resp, header::ETAG) else {
            panic!("ETag header")
        };
        let entry = atom::parse(&text(resp).await);
        assert_eq!(
            entry.text_of(atom::HTTP, "etag").as_deref(),
            Some(new.as_str())
        );
        assert_eq!(
            atom::fields(&entry).get("Title"),
            Some(&Some(title.to_string()))
        );
        assert!(!seen.contains(&new), "{new} was used before");
        seen.push(new.clone());
        etag = new;
    }
    assert_eq!(
        state.record(Kind::Lead, &lead.key).map(|r| r.etag),
        Some(etag.clone())
    );
    // A PUT that changes nothing keeps the etag; the old etag is now stale.
    let resp = send(
        h.put(&url)
            .header("If-Match", &etag)
            .body(atom_lead("<Title>CTO</Title>")),
    )
    .await;
    assert_eq!(header_of(&resp, header::ETAG), Some(etag.clone()));
    let resp = send(
        h.put(&url)
            .header("If-Match", &lead.etag)
            .body(atom_lead("<Title>X</Title>")),
    )
    .await;
    assert_eq!(resp.status(), 412);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn a_put_or_delete_of_a_missing_key_is_404_in_atom() {
    let h = with_leads(1).await;
    let resp = send(
        h.put("leads('QNOPE0000000')")
            .body(atom_lead("<Title>X</Title>")),
    )
    .await;
    assert_eq!(resp.status(), 404);
    let xml = atom::parse(&text(resp).await);
    assert!(xml.is(atom::SDATA, "diagnoses"));
    let message = xml
        .child(atom::SDATA, "diagnosis")
        .and_then(|d| d.text_of(atom::SDATA, "message"));
    assert!(message.is_some_and(|m| m.contains("QNOPE0000000")));
    let resp = send(h.delete("leads('QNOPE0000000')")).await;
    assert_eq!(resp.status(), 404);
    assert!(atom::parse(&text(resp).await).is(atom::SDATA, "diagnoses"));
    assert_eq!(h.crm.state().count(Kind::Lead), 1);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn require_if_match_refuses_a_put_without_it_in_atom_and_json() {
    let h = start(FakeConfig {
        require_if_match: true,
        leads: 1,
        ..FakeConfig::default()
    })
    .await;
    let state = h.crm.state();
    let Some(lead) = state.records(Kind::Lead).into_iter().next() else {
        panic!("lead")
    };
    let url = format!("leads('{}')", lead.key);
    let resp = send(h.put(&url).body(atom_lead("<Title>X</Title>"))).await;
    assert_eq!(resp.status(), 400);
    let xml = atom::parse(&text(resp).await);
    let d = xml.child(atom::SDATA, "diagnosis");
    assert_eq!(
        d.and_then(|d| d.text_of(atom::SDATA, "sdataCode"))
            .as_deref(),
        Some("ApplicationDiagnosis")
    );
    assert!(
        d.and_then(|d| d.text_of(atom::SDATA, "message"))
            .is_some_and(|m| m.contains("If-Match"))
    );
    let resp = send(
        h.put(&format!("{url}?format=json"))
            .json(&json!({"Title": "X"})),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert!(body_json(resp).await.is_array());
    assert_eq!(state.record(Kind::Lead, &lead.key).as_ref(), Some(&lead));

    // With the current etag both formats go through; with a stale one, 412.
    let resp = send(
        h.put(&url)
            .header("If-Match", &lead.etag)
            .body(atom_lead("<Title>Atom</Title>")),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let Some(etag) = header_of(&resp, header::ETAG) else {
        panic!("etag")
    };
    let resp = send(
        h.put(&format!("{url}?format=json"))
            .header("If-Match", &etag)
            .json(&json!({"Title": "Json"})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let resp = send(
        h.put(&url)
            .header("If-Match", &etag)
            .body(atom_lead("<Title>Late</Title>")),
    )
    .await;
    assert_eq!(resp.status(), 412);
    let current = atom::parse(&text(resp).await);
    assert_eq!(
        atom::fields(&current).get("Title"),
        Some(&Some("Json".to_string()))
    );
    h.crm.shutdown().await;
}
