//! `where`, `select`, `include` and `orderBy` over HTTP, in JSON and Atom.
mod common;

use common::fixture::{enc, five_leads as fixture};
use common::*;
use infor_crm_fake::Kind;
use serde_json::Value;

/// First names matched by a where, via JSON and via Atom (asserting both agree).
async fn names(h: &Harness, clause: &str) -> Vec<String> {
    let url = format!("leads?format=json&orderBy=FirstName&where={}", enc(clause));
    let json = h.json(&url).await;
    let from_json: Vec<String> = resources(&json)
        .iter()
        .filter_map(|r| r["FirstName"].as_str().map(str::to_string))
        .collect();
    let xml = atom::parse(
        &h.atom(&format!("leads?orderBy=FirstName&where={}", enc(clause)))
            .await,
    );
    let from_atom: Vec<String> = xml
        .all(atom::ATOM, "entry")
        .iter()
        .filter_map(|e| atom::fields(e).get("FirstName").cloned().flatten())
        .collect();
    assert_eq!(from_json, from_atom, "JSON and Atom disagree for {clause}");
    from_json
}

#[tokio::test]
async fn where_grammar_over_http() {
    let h = fixture().await;
    let cases: &[(&str, &[&str])] = &[
        ("Email eq 'bob@acme.com'", &["Bob"]),
        ("Email ne 'bob@acme.com'", &["Ann", "Cid", "Dee"]),
        ("LeadScore lt 30", &["Ann", "Bob"]),
        ("LeadScore le 30", &["Ann", "Bob", "Cid"]),
        ("LeadScore gt 30", &["Dee", "Eve"]),
        ("LeadScore ge 30 and Company eq 'Zeta'", &["Dee", "Eve"]),
        (
            "Company eq 'Maxim''s' or FirstName eq \"Eve\"",
            &["Bob", "Eve"],
        ),
        ("not(Company eq 'Acme')", &["Bob", "Dee", "Eve"]),
        ("LastName like 'Smith%'", &["Ann", "Bob"]),
        ("LastName not like 'Smith%'", &["Cid", "Dee", "Eve"]),
        ("upper(FirstName) like 'A%'", &["Ann"]),
        ("lower(LastName) eq 'o''brien'", &["Dee"]),
        ("FirstName in ('Ann', 'Eve', 'Zed')", &["Ann", "Eve"]),
        ("FirstName not in ('Ann', 'Eve')", &["Bob", "Cid", "Dee"]),
        ("LeadScore between 20 and 40", &["Bob", "Cid", "Dee"]),
        ("Email eq null", &["Eve"]),
        ("Email ne null and DoNotEmail eq true", &["Dee"]),
        ("DoNotEmail eq false", &["Ann", "Bob", "Cid"]),
        ("ModifyDate gt @2024-01-02@", &["Cid", "Dee", "Eve"]),
        ("ModifyDate ge @2024-01-03T00:00:00Z@", &["Dee", "Eve"]),
        ("ModifyDate lt @2024-01-01T12:00:01+02:00@", &["Ann", "Bob"]),
        ("ModifyDate eq @2024-01-03T00:00:00@", &["Dee"]),
        ("Address.City eq 'Chicago'", &["Ann", "Cid"]),
        ("(LeadScore mul 2) + 1 gt 90", &["Eve"]),
        ("LeadScore mod 20 eq 0", &["Bob", "Dee"]),
        (
            "length(FirstName) eq 3 and left(LastName, 2) eq 'Sm'",
            &["Ann", "Bob"],
        ),
        (
            "year(ModifyDate) eq 2024 and day(ModifyDate) eq 4",
            &["Eve"],
        ),
        ("Id in ('QDEMOA000001','QDEMOA000003')", &["Ann", "Cid"]),
    ];
    for (clause, expected) in cases {
        assert_eq!(names(&h, clause).await, *expected, "{clause}");
    }
    h.crm.shutdown().await;
}

#[tokio::test]
async fn the_incremental_keyset_query_returns_what_follows_the_watermark() {
    let h = fixture().await;
    let state = h.crm.state();
    let Some(bob) = state
        .records(Kind::Lead)
        .into_iter()
        .find(|r| r.text("FirstName") == Some("Bob"))
    else {
        panic!("Bob");
    };
    let w = "(ModifyDate gt @2024-01-01T10:00:00Z@ or (ModifyDate eq @2024-01-01T10:00:00Z@ and Id gt 'KEY'))".replace("KEY", &bob.key);
    let json = h
        .json(&format!(
            "leads?format=json&orderBy=ModifyDate,Id&where={}",
            enc(&w)
        ))
        .await;
    let got: Vec<&str> = json["$resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["FirstName"].as_str())
        .collect();
    assert_eq!(got, ["Cid", "Dee", "Eve"]);
    assert_eq!(json["$totalResults"], 3);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn bad_where_is_400_bad_where_syntax_in_both_formats() {
    let h = fixture().await;
    for clause in [
        "Email eq",
        "Bogus eq 1",
        "foo(Email) eq 1",
        "Email eq 'x' )",
    ] {
        let resp = send(h.get(&format!("leads?format=json&where={}", enc(clause)))).await;
        assert_eq!(resp.status(), 400, "{clause}");
        let body = body_json(resp).await;
        assert_eq!(body[0]["sdataCode"], "BadWhereSyntax", "{clause}: {body}");
        assert_eq!(body[0]["severity"], "Error");
        let resp = send(h.get(&format!("leads?where={}", enc(clause)))).await;
        assert_eq!(resp.status(), 400);
        let xml = atom::parse(&text(resp).await);
        assert!(xml.is(atom::SDATA, "diagnoses"));
        let d = xml.child(atom::SDATA, "diagnosis");
        assert_eq!(
            d.and_then(|d| d.text_of(atom::SDATA, "sdataCode"))
                .as_deref(),
            Some("BadWhereSyntax")
        );
    }
    let body = body_json(
        send(h.get(&format!(
            "leads?format=json&where={}",
            enc("foo(Email) eq 1")
        )))
        .await,
    )
    .await;
    assert!(
        body[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("function 'foo' does not exist"))
    );
    h.crm.shutdown().await;
}

#[tokio::test]
async fn order_by_multi_key_asc_desc() {
    let h = fixture().await;
    let order = |json: Value| -> Vec<String> {
        resources(&json)
            .iter()
            .filter_map(|r| r["FirstName"].as_str().map(str::to_string))
            .collect()
    };
    let j = h
        .json(&format!(
            "leads?format=json&orderBy={}",
            enc("Company desc,FirstName asc")
        ))
        .await;
    assert_eq!(order(j), ["Dee", "Eve", "Bob", "Ann", "Cid"]);
    let j = h
        .json(&format!(
            "leads?format=json&orderby={}",
            enc("ModifyDate desc")
        ))
        .await;
    assert_eq!(order(j)[0], "Eve");
    let j = h
        .json(&format!(
            "leads?format=json&orderBy={}",
            enc("Address.City,LeadScore desc")
        ))
        .await;
    assert_eq!(order(j), ["Bob", "Dee", "Cid", "Ann", "Eve"]);
    let xml = atom::parse(
        &h.atom(&format!("leads?orderBy={}", enc("LeadScore desc")))
            .await,
    );
    let first = xml
        .all(atom::ATOM, "entry")
        .first()
        .map(|e| atom::fields(e));
    assert_eq!(
        first
            .and_then(|f| f.get("FirstName").cloned().flatten())
            .as_deref(),
        Some("Eve")
    );
    let resp = send(h.get("leads?format=json&orderBy=Nope")).await;
    assert_eq!(resp.status(), 400);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn select_and_include_in_both_formats() {
    let h = fixture().await;
    let j = h
        .json("leads?format=json&count=1&select=Email,FirstName,Address/City")
        .await;
    let r = &j["$resources"][0];
    assert!(r["Email"].is_string() && r["FirstName"].is_string());
    assert!(r.get("LastName").is_none(), "not selected: {r}");
    assert_eq!(r["Address"]["City"], "Chicago");
    assert!(r["Address"].get("State").is_none());
    assert!(r["$key"].is_string() && r["$etag"].is_string());

    let j = h.json("leads?format=json&count=1&include=Address").await;
    assert_eq!(j["$resources"][0]["Address"]["City"], "Chicago");
    assert!(j["$resources"][0]["LastName"].is_string());
    let j = h.json("leads?format=json&count=1&select=Address/*").await;
    assert!(j["$resources"][0]["Address"]["City"].is_string());
    let j = h
        .json(&format!(
            "leads?format=json&count=1&include={}",
            enc("$permissions,$descriptors")
        ))
        .await;
    assert!(j["$resources"][0]["$permissions"].is_array());
    let j = h
        .json("leads?format=json&count=1&_includeContent=false&_t=123&whatever=1")
        .await;
    assert_eq!(resources(&j).len(), 1, "unknown parameters are ignored");

    let xml = atom::parse(&h.atom("leads?count=1&select=Email,Address/City").await);
    let entries = xml.all(atom::ATOM, "entry");
    let Some(entry) = entries.first() else {
        panic!("entry")
    };
    let f = atom::fields(entry);
    assert!(f.contains_key("Email") && !f.contains_key("LastName"));
    let addr = entry.payload().and_then(|p| p.child(atom::SLX, "Address"));
    assert_eq!(
        addr.and_then(|a| a.text_of(atom::SLX, "City")).as_deref(),
        Some("Chicago")
    );
    assert!(addr.and_then(|a| a.attr(atom::SDATA, "key")).is_some());

    let resp = send(h.get("leads?format=json&select=Nope")).await;
    assert_eq!(resp.status(), 400);
    h.crm.shutdown().await;
}
