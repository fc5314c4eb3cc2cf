//! `kind(clause)` selectors (SData spec §2.2): an unquoted selector is a where clause that must
//! match exactly one resource: one match → 200 with that single entry, none → 404,
//! several → 400; in JSON and Atom.
mod common;

use common::*;
use infor_crm_fake::{FakeConfig, Kind};
use reqwest::header;
use serde_json::json;

/// Three accounts, two of them sharing a Type.
async fn fixture() -> (Harness, Vec<String>) {
    let h = start(FakeConfig::default()).await;
    let state = h.crm.state();
    let mut keys = Vec::new();
    for (name, ty) in [
        ("Above Marine", "Customer"),
        ("Maxim's Foods", "Prospect"),
        ("Zeta Robotics", "Prospect"),
    ] {
        let fields = json!({"AccountName": name, "Type": ty});
        let Some(obj) = fields.as_object() else {
            panic!("object")
        };
        match state.insert_record(Kind::Account, obj) {
            Ok(rec) => keys.push(rec.key),
            Err(e) => panic!("insert {name}: {e}"),
        }
    }
    (h, keys)
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn etag_header(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[tokio::test]
async fn one_match_is_the_single_entry_in_json_and_atom() {
    let (h, keys) = fixture().await;
    let rec = h.crm.state().record(Kind::Account, &keys[0]);
    let Some(rec) = rec else { panic!("account") };
    // Spaces as %20 and the clause as typed; also fully percent-encoded.
    for path in [
        "accounts(AccountName eq 'Above Marine')".to_string(),
        format!("accounts{}", enc("(AccountName eq 'above marine')")),
        "Accounts(Type eq 'Customer')".to_string(),
    ] {
        let resp = send(h.get(&format!("{path}?format=json"))).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(etag_header(&resp).as_deref(), Some(rec.etag.as_str()));
        let entry = body_json(resp).await;
        assert!(
            entry.get("$resources").is_none(),
            "a bare entry, not a feed: {entry}"
        );
        assert_eq!(entry["$key"], keys[0].as_str());
        assert_eq!(entry["AccountName"], "Above Marine");
        assert_eq!(entry["$url"], h.url(&format!("accounts('{}')", keys[0])));

        let resp = send(h.get(&path)).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(etag_header(&resp).as_deref(), Some(rec.etag.as_str()));
        let xml = atom::parse(&text(resp).await);
        assert!(xml.is(atom::ATOM, "entry"), "an Atom entry, not a feed");
        let key = xml.payload().and_then(|p| p.attr(atom::SDATA, "key"));
        assert_eq!(key, Some(keys[0].as_str()));
        assert_eq!(xml.text_of(atom::HTTP, "etag"), Some(rec.etag.clone()));
    }
    // A doubled quote inside the clause.
    let entry = h
        .json("accounts(AccountName eq 'Maxim''s Foods')?format=json")
        .await;
    assert_eq!(entry["$key"], keys[1].as_str());
    h.crm.shutdown().await;
}

#[tokio::test]
async fn no_match_is_404_in_json_and_atom() {
    let (h, _) = fixture().await;
    let resp = send(h.get("accounts(AccountName eq 'Nobody')?format=json")).await;
    assert_eq!(resp.status(), 404);
    let body = body_json(resp).await;
    assert_eq!(body[0]["sdataCode"], "ApplicationDiagnosis", "{body}");
    assert!(body.is_array());
    let resp = send(h.get("accounts(AccountName eq 'Nobody')")).await;
    assert_eq!(resp.status(), 404);
    let xml = atom::parse(&text(resp).await);
    assert!(xml.is(atom::SDATA, "diagnoses"));
    h.crm.shutdown().await;
}

#[tokio::test]
async fn several_matches_are_400_in_json_and_atom() {
    let (h, _) = fixture().await;
    let resp = send(h.get("accounts(Type eq 'Prospect')?format=json")).await;
    assert_eq!(resp.status(), 400);
    let body = body_json(resp).await;
    assert_eq!(body[0]["sdataCode"], "ApplicationDiagnosis", "{body}");
    assert!(
        body[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not one")),
        "{body}"
    );
    let resp = send(h.get("accounts(Type eq 'Prospect')")).await;
    assert_eq!(resp.status(), 400);
    let xml = atom::parse(&text(resp).await);
    let d = xml.child(atom::SDATA, "diagnosis");
    assert_eq!(
        d.and_then(|d| d.text_of(atom::SDATA, "sdataCode"))
            .as_deref(),
        Some("ApplicationDiagnosis")
    );
    h.crm.shutdown().await;
}

#[tokio::test]
async fn a_clause_that_does_not_parse_is_bad_where_syntax() {
    let (h, _) = fixture().await;
    let resp = send(h.get("accounts(AccountName eq)?format=json")).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(body_json(resp).await[0]["sdataCode"], "BadWhereSyntax");
    let resp = send(h.get("accounts(Bogus eq 'x')")).await;
    assert_eq!(resp.status(), 400);
    assert!(text(resp).await.contains("BadWhereSyntax"));
    h.crm.shutdown().await;
}

#[tokio::test]
async fn an_encoded_slash_inside_a_clause_is_part_of_the_value_in_json_and_atom() {
    let h = start(FakeConfig::default()).await;
    let state = h.crm.state();
    let mut keys = Vec::new();
    for fields in [
        json!({"LastName": "Slash", "Company": "North/South", "Email": "a/b@x.example"}),
        json!({"LastName": "Other", "Company": "North", "Email": "a@x.example"}),
    ] {
        let Some(obj) = fields.as_object() else {
            panic!("object")
        };
        match state.insert_record(Kind::Lead, obj) {
            Ok(rec) => keys.push(rec.key),
            Err(e) => panic!("insert: {e}"),
        }
    }
    // As a client sends it: the whole selector percent-encoded, `/` as %2F; and with only
    // the slash (and spaces) encoded.
    for path in [
        format!("leads{}", enc("(Email eq 'a/b@x.example')")),
        "leads(Email%20eq%20'a%2Fb@x.example')".to_string(),
        format!("leads{}", enc("(Company eq 'north/south')")),
    ] {
        let resp = send(h.get(&format!("{path}?format=json"))).await;
        assert_eq!(resp.status(), 200, "{path}");
        let entry = body_json(resp).await;
        assert_eq!(entry["$key"], keys[0].as_str(), "{path}: {entry}");
        assert_eq!(entry["Email"], "a/b@x.example");

        let resp = send(h.get(&path)).await;
        assert_eq!(resp.status(), 200, "{path}");
        let xml = atom::parse(&text(resp).await);
        assert!(xml.is(atom::ATOM, "entry"), "an Atom entry: {path}");
        let key = xml.payload().and_then(|p| p.attr(atom::SDATA, "key"));
        assert_eq!(key, Some(keys[0].as_str()), "{path}");
    }
    // The key form too, and `%24batch` still names the batch keyword.
    let resp = send(h.get(&format!(
        "leads{}?format=json",
        enc(&format!("('{}')", keys[1]))
    )))
    .await;
    assert_eq!(resp.status(), 200);
    let resp = send(
        h.post("leads/%24batch?format=json")
            .json(&json!({"$resources": []})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    h.crm.shutdown().await;
}
