//! CRM-side write rules: a business rule refuses a create or update with 400 and the
//! rule's message, a unique index with 409, in JSON, Atom and `$batch`; set at start or
//! through `/_admin/rules`.
mod common;

use common::*;
use infor_crm_fake::{FakeConfig, FakeCrm, FakeError, Kind, WriteRule};
use serde_json::{Value, json};

const BLOCKED: &str = "Company is on the blocked list";

fn blocked_company() -> WriteRule {
    WriteRule::equals(Kind::Lead, "Company", json!("Rejected Inc"), BLOCKED)
}

async fn with_rule() -> Harness {
    start(FakeConfig {
        leads: 2,
        write_rules: vec![blocked_company()],
        ..FakeConfig::default()
    })
    .await
}

fn atom_lead(body: &str) -> String {
    format!(
        r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sdata:payload><Lead xmlns="http://schemas.sage.com/dynamic/2007">{body}</Lead></sdata:payload></entry>"#
    )
}

/// The single diagnosis of a JSON error (a top-level array), after checking the status.
async fn json_diagnosis(resp: reqwest::Response, status: u16) -> Value {
    assert_eq!(resp.status(), status);
    let body = body_json(resp).await;
    let Some(arr) = body.as_array() else {
        panic!("a top-level array: {body}")
    };
    assert_eq!(arr.len(), 1, "{body}");
    arr[0].clone()
}

/// (sdataCode, message, payloadPath) of an XML error, after checking the status.
async fn xml_diagnosis(resp: reqwest::Response, status: u16) -> (String, String, String) {
    assert_eq!(resp.status(), status);
    let xml = atom::parse(&text(resp).await);
    assert!(xml.is(atom::SDATA, "diagnoses"));
    let Some(d) = xml.child(atom::SDATA, "diagnosis") else {
        panic!("diagnosis")
    };
    let t = |n: &str| d.text_of(atom::SDATA, n).unwrap_or_default();
    (t("sdataCode"), t("message"), t("payloadPath"))
}

#[tokio::test]
async fn a_business_rule_refuses_creates_in_json_and_atom_and_stores_nothing() {
    let h = with_rule().await;
    let state = h.crm.state();
    state.reset_stats();
    let resp = send(h.post("leads?format=json").json(&json!({
        "LastName": "Ng", "Company": "rejected inc", "Address": {"City": "Austin"}})))
    .await;
    let d = json_diagnosis(resp, 400).await;
    assert_eq!(d["sdataCode"], "ApplicationDiagnosis");
    assert_eq!(d["severity"], "Error");
    assert_eq!(d["message"], BLOCKED);
    assert_eq!(d["payloadPath"], "Company");

    let resp = send(h.post("leads").body(atom_lead(
        "<LastName>Ng</LastName><Company>Rejected Inc</Company>",
    )))
    .await;
    let (code, message, path) = xml_diagnosis(resp, 400).await;
    assert_eq!(
        (code.as_str(), message.as_str(), path.as_str()),
        ("ApplicationDiagnosis", BLOCKED, "Company")
    );
    assert_eq!(state.count(Kind::Lead), 2, "nothing was created");
    assert_eq!(
        state.count(Kind::LeadAddress),
        2,
        "not even the nested address"
    );
    assert_eq!(state.stats().record_writes, 0);

    let ok = send(
        h.post("leads?format=json")
            .json(&json!({"LastName": "Ng", "Company": "Accepted Inc"})),
    )
    .await;
    assert_eq!(ok.status(), 201, "other companies are fine");
    h.crm.shutdown().await;
}

#[tokio::test]
async fn a_business_rule_refuses_updates_and_leaves_the_record_as_it_was() {
    let h = with_rule().await;
    let state = h.crm.state();
    let Some(lead) = state.records(Kind::Lead).into_iter().next() else {
        panic!("lead")
    };
    let url = format!("leads('{}')", lead.key);
    let resp = send(
        h.put(&format!("{url}?format=json"))
            .header("If-Match", &lead.etag)
            .json(&json!({"Company": "Rejected Inc", "Title": "Boss"})),
    )
    .await;
    assert_eq!(json_diagnosis(resp, 400).await["message"], BLOCKED);
    let resp = send(
        h.put(&url)
            .body(atom_lead("<Company>REJECTED INC</Company>")),
    )
    .await;
    assert_eq!(xml_diagnosis(resp, 400).await.1, BLOCKED);
    assert_eq!(state.record(Kind::Lead, &lead.key), Some(lead.clone()));

    let resp = send(
        h.put(&format!("{url}?format=json"))
            .json(&json!({"Title": "Boss"})),
    )
    .await;
    assert_eq!(resp.status(), 200, "a change the rule does not mind");
    h.crm.shutdown().await;
}

#[tokio::test]
async fn rules_are_set_listed_and_cleared_over_the_admin_endpoint() {
    let h = with_leads(1).await;
    let lead = json!({"LastName": "Ng", "Company": "Rejected Inc"});
    assert_eq!(
        send(h.post("leads?format=json").json(&lead)).await.status(),
        201,
        "no rule yet"
    );
    let rule = json!({"kind": "leads", "field": "Company", "equals": "Rejected Inc",
        "message": BLOCKED});
    let resp = send(h.client.post(h.admin("rules")).json(&rule)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(body_json(resp).await, json!([rule]));
    let listed = body_json(send(h.client.get(h.admin("rules"))).await).await;
    assert_eq!(listed, json!([rule]));
    assert_eq!(h.crm.state().write_rules(), vec![blocked_company()]);
    let resp = send(h.post("leads?format=json").json(&lead)).await;
    assert_eq!(json_diagnosis(resp, 400).await["message"], BLOCKED);

    let resp = send(h.client.delete(h.admin("rules"))).await;
    assert_eq!(body_json(resp).await, json!([]));
    assert_eq!(
        send(h.post("leads?format=json").json(&lead)).await.status(),
        201
    );

    // Invalid rules are refused whole, naming what is wrong.
    let bad = json!([rule, {"kind": "leads", "field": "Nope", "equals": 1}]);
    let resp = send(h.client.post(h.admin("rules")).json(&bad)).await;
    assert_eq!(resp.status(), 400);
    let body = body_json(resp).await;
    assert!(
        body[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Nope")),
        "{body}"
    );
    assert!(h.crm.state().write_rules().is_empty());
    h.crm.shutdown().await;
}

#[tokio::test]
async fn inside_a_json_batch_each_refused_entry_has_its_own_400_and_message() {
    let h = with_rule().await;
    let state = h.crm.state();
    let Some(a) = state.records(Kind::Lead).into_iter().next() else {
        panic!("lead")
    };
    let body = json!({"$resources": [
        {"$httpMethod": "POST", "LastName": "Ok", "Company": "Fine Ltd"},
        {"$httpMethod": "POST", "LastName": "No", "Company": "Rejected Inc"},
        {"$httpMethod": "PUT", "$url": h.url(&format!("leads('{}')", a.key)), "Company": "Rejected Inc"},
    ]});
    let resp = send(h.post("leads/$batch?format=json").json(&body)).await;
    assert_eq!(resp.status(), 200, "the batch as a whole succeeds");
    let out = body_json(resp).await;
    let r = resources(&out);
    assert_eq!(r.len(), 3);
    let statuses: Vec<_> = r.iter().map(|e| e["$httpStatus"].clone()).collect();
    assert_eq!(statuses, [json!(201), json!(400), json!(400)]);
    let methods: Vec<_> = r.iter().map(|e| e["$httpMethod"].clone()).collect();
    assert_eq!(methods, [json!("POST"), json!("POST"), json!("PUT")]);
    for refused in &r[1..] {
        assert_eq!(refused["$httpMessage"], "Bad Request");
        assert_eq!(refused["$diagnoses"][0]["message"], BLOCKED, "{refused}");
        assert_eq!(
            refused["$diagnoses"][0]["sdataCode"],
            "ApplicationDiagnosis"
        );
    }
    let companies: Vec<_> = state
        .records(Kind::Lead)
        .iter()
        .filter_map(|l| l.text("Company").map(str::to_string))
        .collect();
    assert!(companies.iter().any(|c| c == "Fine Ltd"));
    assert!(
        !companies.iter().any(|c| c == "Rejected Inc"),
        "{companies:?}"
    );
    assert_eq!(state.record(Kind::Lead, &a.key), Some(a));
    h.crm.shutdown().await;
}

#[tokio::test]
async fn inside_an_atom_batch_each_refused_entry_has_its_own_400_and_diagnosis() {
    let h = with_rule().await;
    let state = h.crm.state();
    let Some(a) = state.records(Kind::Lead).into_iter().next() else {
        panic!("lead")
    };
    let feed = format!(
        r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1" xmlns:http="http://schemas.sage.com/sdata/http/2008/1" xmlns:slx="http://schemas.sage.com/dynamic/2007">
  <entry><http:httpMethod>POST</http:httpMethod><sdata:payload><slx:Lead><slx:LastName>No</slx:LastName><slx:Company>Rejected Inc</slx:Company></slx:Lead></sdata:payload></entry>
  <entry><id>{u}</id><http:httpMethod>PUT</http:httpMethod><sdata:payload><slx:Lead><slx:Company>Rejected Inc</slx:Company></slx:Lead></sdata:payload></entry>
  <entry><id>{u}</id><http:httpMethod>PUT</http:httpMethod><sdata:payload><slx:Lead><slx:Title>Fine</slx:Title></slx:Lead></sdata:payload></entry>
</feed>"#,
        u = h.url(&format!("leads('{}')", a.key)),
    );
    let resp = send(
        h.post("leads/%24batch")
            .header("Content-Type", "application/atom+xml;type=feed")
            .body(feed),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let out = atom::parse(&text(resp).await);
    let entries = out.all(atom::ATOM, "entry");
    let statuses: Vec<_> = entries
        .iter()
        .filter_map(|e| e.text_of(atom::HTTP, "httpStatus"))
        .collect();
    assert_eq!(statuses, ["400", "400", "200"]);
    let methods: Vec<_> = entries
        .iter()
        .filter_map(|e| e.text_of(atom::HTTP, "httpMethod"))
        .collect();
    assert_eq!(methods, ["POST", "PUT", "PUT"]);
    for refused in &entries[..2] {
        assert_eq!(
            refused.text_of(atom::HTTP, "httpMessage").as_deref(),
            Some("Bad Request")
        );
        let d = refused
            .child(atom::SDATA, "diagnoses")
            .and_then(|d| d.child(atom::SDATA, "diagnosis"));
        assert_eq!(
            d.and_then(|d| d.text_of(atom::SDATA, "message")).as_deref(),
            Some(BLOCKED)
        );
        assert!(
            refused.payload().is_none(),
            "a refused entry has no payload"
        );
    }
    assert_eq!(
        entries[1].text_of(atom::ATOM, "id"),
        Some(h.url(&format!("leads('{}')", a.key))),
        "the refused PUT names its resource"
    );
    let after = state.record(Kind::Lead, &a.key);
    assert_eq!(after.as_ref().and_then(|r| r.text("Title")), Some("Fine"));
    assert_eq!(
        after.as_ref().and_then(|r| r.text("Company")),
        a.text("Company")
    );
    assert_eq!(state.count(Kind::Lead), 2);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn a_unique_index_rule_answers_409_in_both_formats() {
    let h = start(FakeConfig {
        write_rules: vec![WriteRule::unique(Kind::Lead, "Email")],
        ..FakeConfig::default()
    })
    .await;
    let first = send(
        h.post("leads?format=json")
            .json(&json!({"LastName": "A", "Company": "C", "Email": "ann@acme.com"})),
    )
    .await;
    assert_eq!(first.status(), 201);
    let first = body_json(first).await;
    let resp = send(
        h.post("leads?format=json")
            .json(&json!({"LastName": "B", "Company": "C", "Email": "ANN@acme.com"})),
    )
    .await;
    let d = json_diagnosis(resp, 409).await;
    assert_eq!(d["sdataCode"], "ApplicationDiagnosis");
    assert_eq!(d["payloadPath"], "Email");
    assert!(
        d["message"]
            .as_str()
            .is_some_and(|m| m.contains("ANN@acme.com") && m.contains("unique")),
        "{d}"
    );
    let resp = send(h.post("leads").body(atom_lead(
        "<LastName>B</LastName><Company>C</Company><Email>ann@ACME.com</Email>",
    )))
    .await;
    assert_eq!(xml_diagnosis(resp, 409).await.2, "Email");
    // Emptiness never conflicts, and a record does not conflict with itself.
    for _ in 0..2 {
        let resp = send(
            h.post("leads?format=json")
                .json(&json!({"LastName": "N", "Company": "C"})),
        )
        .await;
        assert_eq!(resp.status(), 201);
    }
    let Some(key) = first["$key"].as_str() else {
        panic!("key")
    };
    let resp = send(
        h.put(&format!("leads('{key}')?format=json"))
            .json(&json!({"Email": "Ann@Acme.com", "Title": "CTO"})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(h.crm.state().count(Kind::Lead), 3);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn null_rules_nested_children_and_admin_changes() {
    let h = start(FakeConfig {
        write_rules: vec![
            WriteRule::equals(Kind::Lead, "Email", json!(null), "Email is required"),
            WriteRule::equals(
                Kind::LeadAddress,
                "Country",
                json!("Nowhere"),
                "No such country",
            ),
            blocked_company(),
        ],
        ..FakeConfig::default()
    })
    .await;
    let state = h.crm.state();
    let resp = send(
        h.post("leads?format=json")
            .json(&json!({"LastName": "A", "Company": "C"})),
    )
    .await;
    assert_eq!(
        json_diagnosis(resp, 400).await["message"],
        "Email is required"
    );
    let resp = send(h.post("leads?format=json").json(&json!({
        "LastName": "A", "Company": "C", "Email": "a@c.com", "Address": {"Country": "Nowhere"}})))
    .await;
    let d = json_diagnosis(resp, 400).await;
    assert_eq!(d["message"], "No such country");
    assert_eq!(d["payloadPath"], "Country");
    assert_eq!(state.count(Kind::Lead), 0);
    assert_eq!(state.count(Kind::LeadAddress), 0);

    // A CRM user (the admin endpoint) is not held to the integration's rules, so a
    // test can set up a record the rules would refuse.
    let resp =
        send(h.client.post(h.admin("insert")).json(
            &json!({"kind": "leads", "fields": {"LastName": "Old", "Company": "Rejected Inc"}}),
        ))
        .await;
    assert_eq!(resp.status(), 201);
    assert_eq!(state.count(Kind::Lead), 1);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn an_invalid_rule_stops_the_start() {
    let bad = FakeConfig {
        write_rules: vec![WriteRule::equals(
            Kind::Lead,
            "LeadScore",
            json!("lots"),
            "x",
        )],
        ..FakeConfig::default()
    };
    match FakeCrm::start(bad).await {
        Err(FakeError::WriteRule(m)) => assert!(m.contains("LeadScore"), "{m}"),
        Err(e) => panic!("unexpected error {e}"),
        Ok(crm) => {
            crm.shutdown().await;
            panic!("started with an invalid rule");
        }
    }
}
