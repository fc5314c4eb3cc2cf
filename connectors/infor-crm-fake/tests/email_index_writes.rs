//! The email index follows every write path: an email set, changed or removed through
//! `/sdata` (POST, PUT with and without a nested child, DELETE, JSON and Atom `$batch`),
//! `/_admin` (insert, records, update, delete) and in process, and the records seeding
//! and `--data` loading put, is found under its new address and no longer under its old
//! one, by the index itself and by the connector's `upper(Email) in (…)` lookup over
//! HTTP; refused and rolled-back changes leave the index as it was.
mod common;

use common::fixture::enc;
use common::*;
use infor_crm_fake::{FakeConfig, Kind, WriteRule};
use serde_json::{Value, json};

/// The keys a `upper(Email) in (…)` lookup of `email` answers over HTTP, in key order.
async fn looked_up(h: &Harness, kind: Kind, email: &str) -> Vec<String> {
    let w = format!(
        "upper(Email) in ('{}')",
        email.to_uppercase().replace('\'', "''")
    );
    let feed = h
        .json(&format!("{kind}?format=json&orderBy=Id&where={}", enc(&w)))
        .await;
    resources(&feed)
        .iter()
        .filter_map(|r| r["$key"].as_str().map(str::to_string))
        .collect()
}

/// `email` is held by exactly `keys`: in the index, over HTTP, and both indexes match
/// the records.
async fn holds(h: &Harness, kind: Kind, email: &str, keys: &[&str], how: &str) {
    let state = h.crm.state();
    assert_eq!(
        state.email_index_keys(kind, email),
        keys,
        "{how}: the index under {email}"
    );
    assert_eq!(
        looked_up(h, kind, email).await,
        keys,
        "{how}: lookup of {email}"
    );
    assert_eq!(state.verify_indexes(), Ok(()), "{how}");
}

fn key_of(v: &Value) -> String {
    match v["$key"].as_str() {
        Some(k) => k.to_string(),
        None => panic!("no $key in {v}"),
    }
}

async fn post_json(h: &Harness, path: &str, body: Value) -> Value {
    let resp = send(h.post(path).json(&body)).await;
    assert!(resp.status().is_success(), "POST {path}: {}", resp.status());
    body_json(resp).await
}

async fn put_json(h: &Harness, kind: Kind, key: &str, body: Value) {
    let resp = send(h.put(&format!("{kind}('{key}')?format=json")).json(&body)).await;
    assert_eq!(resp.status(), 200, "PUT {key}");
}

async fn admin(h: &Harness, path: &str, body: Value) -> reqwest::StatusCode {
    send(h.client.post(h.admin(path)).json(&body))
        .await
        .status()
}

#[tokio::test]
async fn sdata_writes_keep_the_index_in_step() {
    let h = start(FakeConfig::default()).await;
    let created = post_json(
        &h,
        "leads?format=json",
        json!({"LastName": "Ng", "Company": "Acme", "Email": "Ann@Acme.com"}),
    )
    .await;
    let ann = key_of(&created);
    holds(&h, Kind::Lead, "ann@acme.com", &[&ann], "POST").await;

    put_json(&h, Kind::Lead, &ann, json!({"Email": "ann@new.example"})).await;
    holds(&h, Kind::Lead, "ann@acme.com", &[], "PUT: old").await;
    holds(&h, Kind::Lead, "ANN@NEW.EXAMPLE", &[&ann], "PUT: new").await;

    // A PUT that writes a nested child (the lead's address) and the email together.
    let body = json!({"Email": "ann@third.example", "Address": {"City": "Austin"}});
    put_json(&h, Kind::Lead, &ann, body).await;
    holds(&h, Kind::Lead, "ann@new.example", &[], "nested PUT: old").await;
    holds(
        &h,
        Kind::Lead,
        "ann@third.example",
        &[&ann],
        "nested PUT: new",
    )
    .await;

    // Clearing the email takes the lead out of the index.
    put_json(&h, Kind::Lead, &ann, json!({"Email": null})).await;
    holds(&h, Kind::Lead, "ann@third.example", &[], "PUT null").await;
    put_json(&h, Kind::Lead, &ann, json!({"Email": "ann@third.example"})).await;

    // An Atom PUT.
    let entry = r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1"><sdata:payload><Lead xmlns="http://schemas.sage.com/dynamic/2007"><Email>ann@atom.example</Email></Lead></sdata:payload></entry>"#;
    let resp = send(
        h.put(&format!("leads('{ann}')"))
            .header("Content-Type", "application/atom+xml;type=entry")
            .body(entry),
    )
    .await;
    assert_eq!(resp.status(), 200);
    holds(&h, Kind::Lead, "ann@third.example", &[], "Atom PUT: old").await;
    holds(&h, Kind::Lead, "ann@atom.example", &[&ann], "Atom PUT: new").await;

    let resp = send(h.delete(&format!("leads('{ann}')"))).await;
    assert_eq!(resp.status(), 200);
    holds(&h, Kind::Lead, "ann@atom.example", &[], "DELETE").await;

    // A contact's email is in the contacts' index only.
    let contact = post_json(
        &h,
        "contacts?format=json",
        json!({"FirstName": "Cy", "LastName": "Ng", "AccountName": "Acme", "Email": "cy@acme.com"}),
    )
    .await;
    let cy = key_of(&contact);
    holds(&h, Kind::Contact, "cy@acme.com", &[&cy], "contact POST").await;
    holds(&h, Kind::Lead, "cy@acme.com", &[], "not a lead").await;
    put_json(&h, Kind::Contact, &cy, json!({"Email": "cy@new.example"})).await;
    holds(&h, Kind::Contact, "cy@acme.com", &[], "contact PUT: old").await;
    holds(
        &h,
        Kind::Contact,
        "cy@new.example",
        &[&cy],
        "contact PUT: new",
    )
    .await;
    h.crm.shutdown().await;
}

#[tokio::test]
async fn batch_writes_keep_the_index_in_step() {
    let h = start(FakeConfig::default()).await;
    let state = h.crm.state();
    let mut keys = Vec::new();
    for (last, email) in [("A", "a@x.com"), ("B", "b@x.com")] {
        let created = post_json(
            &h,
            "leads?format=json",
            json!({"LastName": last, "Company": "C", "Email": email}),
        )
        .await;
        keys.push(key_of(&created));
    }
    let (a, b) = (&keys[0], &keys[1]);
    let body = json!({"$resources": [
        {"$httpMethod": "POST", "LastName": "N", "Company": "C", "Email": "New@X.com"},
        {"$httpMethod": "PUT", "$url": h.url(&format!("leads('{a}')")), "Email": "a2@x.com"},
        {"$httpMethod": "DELETE", "$url": h.url(&format!("leads('{b}')"))},
    ]});
    let out = post_json(&h, "leads/$batch?format=json", body).await;
    let statuses: Vec<_> = resources(&out)
        .iter()
        .map(|e| e["$httpStatus"].clone())
        .collect();
    assert_eq!(statuses, [json!(201), json!(200), json!(200)]);
    let new = key_of(&resources(&out)[0]);
    holds(&h, Kind::Lead, "new@x.com", &[&new], "batch POST").await;
    holds(&h, Kind::Lead, "a@x.com", &[], "batch PUT: old").await;
    holds(&h, Kind::Lead, "a2@x.com", &[a], "batch PUT: new").await;
    holds(&h, Kind::Lead, "b@x.com", &[], "batch DELETE").await;

    let feed = format!(
        r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1" xmlns:http="http://schemas.sage.com/sdata/http/2008/1" xmlns:slx="http://schemas.sage.com/dynamic/2007"><entry><id>{u}</id><http:httpMethod>PUT</http:httpMethod><sdata:payload><slx:Lead><slx:Email>a3@x.com</slx:Email></slx:Lead></sdata:payload></entry></feed>"#,
        u = h.url(&format!("leads('{a}')")),
    );
    let resp = send(h.post("leads/$batch").body(feed)).await;
    assert_eq!(resp.status(), 200);
    holds(&h, Kind::Lead, "a2@x.com", &[], "Atom batch PUT: old").await;
    holds(&h, Kind::Lead, "a3@x.com", &[a], "Atom batch PUT: new").await;

    // A write a unique rule refuses (409), inside a batch and alone, changes nothing.
    if let Err(e) = state.add_write_rule(WriteRule::unique(Kind::Lead, "Email")) {
        panic!("rule: {e}");
    }
    let body = json!({"$resources": [
        {"$httpMethod": "PUT", "$url": h.url(&format!("leads('{new}')")), "Email": "A3@x.com"},
    ]});
    let out = post_json(&h, "leads/$batch?format=json", body).await;
    assert_eq!(resources(&out)[0]["$httpStatus"], 409);
    let resp = send(
        h.post("leads?format=json")
            .json(&json!({"LastName": "D", "Company": "C", "Email": "a3@X.com"})),
    )
    .await;
    assert_eq!(resp.status(), 409);
    holds(&h, Kind::Lead, "a3@x.com", &[a], "refused by the rule").await;
    holds(&h, Kind::Lead, "new@x.com", &[&new], "refused by the rule").await;
    h.crm.shutdown().await;
}

#[tokio::test]
async fn admin_changes_keep_the_index_in_step() {
    let h = start(FakeConfig::default()).await;
    let state = h.crm.state();
    let body =
        json!({"kind": "leads", "fields": {"LastName": "A", "Company": "C", "Email": "a@x.com"}});
    assert_eq!(admin(&h, "insert", body).await, 201);
    let resp = send(h.client.post(h.admin("records/leads")).json(&json!([
        {"LastName": "B", "Company": "C", "Email": "b@x.com"},
        {"LastName": "C", "Company": "C", "Email": "c@x.com"},
    ])))
    .await;
    assert_eq!(resp.status(), 201);
    let keys: Vec<String> = state
        .records(Kind::Lead)
        .into_iter()
        .map(|r| r.key)
        .collect();
    let [a, b, c] = keys.as_slice() else {
        panic!("three leads: {keys:?}")
    };
    holds(&h, Kind::Lead, "a@x.com", &[a], "/_admin/insert").await;
    holds(&h, Kind::Lead, "b@x.com", &[b], "/_admin/records").await;
    holds(&h, Kind::Lead, "c@x.com", &[c], "/_admin/records").await;

    let body = json!({"kind": "leads", "keys": [a, b], "set": {"Email": "Shared@X.com"}});
    assert_eq!(admin(&h, "update", body).await, 200);
    holds(&h, Kind::Lead, "a@x.com", &[], "/_admin/update: old").await;
    holds(&h, Kind::Lead, "b@x.com", &[], "/_admin/update: old").await;
    holds(
        &h,
        Kind::Lead,
        "shared@x.com",
        &[a, b],
        "/_admin/update: new",
    )
    .await;

    if let Err(e) = state.set_email(Kind::Lead, a, "a@own.example") {
        panic!("set_email: {e}");
    }
    holds(&h, Kind::Lead, "shared@x.com", &[b], "set_email: old").await;
    holds(&h, Kind::Lead, "a@own.example", &[a], "set_email: new").await;

    let body = json!({"kind": "leads", "keys": [c]});
    assert_eq!(admin(&h, "delete", body).await, 200);
    holds(&h, Kind::Lead, "c@x.com", &[], "/_admin/delete").await;
    h.crm.shutdown().await;
}

#[tokio::test]
async fn failed_all_or_nothing_changes_leave_the_index_as_it_was() {
    let h = start(FakeConfig::default()).await;
    let state = h.crm.state();
    let body =
        json!({"kind": "leads", "fields": {"LastName": "A", "Company": "C", "Email": "a@x.com"}});
    assert_eq!(admin(&h, "insert", body).await, 201);
    let a = state.records(Kind::Lead)[0].key.clone();

    // The update reaches the first key, then fails on a missing one: rolled back.
    let body =
        json!({"kind": "leads", "keys": [a, "QNOPE0000000"], "set": {"Email": "moved@x.com"}});
    assert_eq!(admin(&h, "update", body).await, 404);
    holds(&h, Kind::Lead, "a@x.com", &[&a], "rolled-back update: old").await;
    holds(
        &h,
        Kind::Lead,
        "moved@x.com",
        &[],
        "rolled-back update: new",
    )
    .await;

    // The insert adds the first record, then refuses the second (no Company).
    let resp = send(h.client.post(h.admin("records/leads")).json(&json!([
        {"LastName": "B", "Company": "C", "Email": "b@x.com"},
        {"LastName": "Bad", "Email": "bad@x.com"},
    ])))
    .await;
    assert_eq!(resp.status(), 400);
    holds(&h, Kind::Lead, "b@x.com", &[], "rolled-back insert").await;
    holds(&h, Kind::Lead, "bad@x.com", &[], "rolled-back insert").await;
    assert_eq!(state.count(Kind::Lead), 1);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn seeded_and_loaded_records_are_indexed() {
    let h = with_leads(60).await;
    let state = h.crm.state();
    assert_eq!(state.verify_indexes(), Ok(()));
    for kind in [Kind::Lead, Kind::Contact, Kind::Account] {
        for record in state.records(kind) {
            if let Some(email) = record.text("Email") {
                let keys = state.email_index_keys(kind, &email.to_uppercase());
                assert!(keys.contains(&record.key), "{kind} {} {email}", record.key);
            }
        }
    }
    let Some(lead) = state
        .records(Kind::Lead)
        .into_iter()
        .find(|r| r.text("Email").is_some())
    else {
        panic!("a seeded lead with an email")
    };
    let email = lead.text("Email").unwrap_or_default().to_string();
    let holders: Vec<String> = state
        .records(Kind::Lead)
        .into_iter()
        .filter(|r| {
            r.text("Email")
                .is_some_and(|e| e.eq_ignore_ascii_case(&email))
        })
        .map(|r| r.key)
        .collect();
    let holders: Vec<&str> = holders.iter().map(String::as_str).collect();
    holds(&h, Kind::Lead, &email, &holders, "seeded").await;

    // The same records loaded back from a data file.
    let path = std::env::temp_dir().join(format!("fake-crm-email-{}.json", std::process::id()));
    if let Err(e) = std::fs::write(&path, state.dump_all().to_string()) {
        panic!("writing {}: {e}", path.display());
    }
    let copy = start(FakeConfig {
        data_file: Some(path.clone()),
        ..FakeConfig::default()
    })
    .await;
    let _ = std::fs::remove_file(&path);
    assert_eq!(copy.crm.state().verify_indexes(), Ok(()));
    holds(&copy, Kind::Lead, &email, &holders, "loaded").await;
    h.crm.shutdown().await;
    copy.crm.shutdown().await;
}
