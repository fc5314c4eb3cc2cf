//! Typed digits (`dtmf`) on the lookup URL: with a key naming a `dtmf_field`, the record
//! whose member holds exactly those digits in that column answers, whoever is calling;
//! digits nobody holds answer empty; a key without a `dtmf_field` matches the caller's
//! number. The best record is chosen as for numbers (contact over lead), and many
//! members holding the digits inside longer values do not hide the exact one.

use infor_crm_fake::Kind;
use listbridge::accounts::AccountAdmin;
use serde_json::{Map, Value, json};

use crate::support::{
    lists::urlencode,
    world::{World, crm_config, world},
};

/// The column the phone system's typed account number is matched against (a free-text
/// CRM field both leads and contacts have).
const ACCOUNT_NUMBER: &str = "Title";

/// Adds a CRM record with this account number and work phone; returns its key.
fn add(w: &World, kind: Kind, email: &str, account_number: &str, phone: &str) -> String {
    let mut map = Map::new();
    map.insert("LastName".into(), json!("Caller"));
    let company = if kind == Kind::Lead {
        "Company"
    } else {
        "AccountName"
    };
    map.insert(company.into(), json!("Callers Ltd"));
    map.insert("Email".into(), json!(email));
    map.insert(ACCOUNT_NUMBER.into(), json!(account_number));
    map.insert("WorkPhone".into(), json!(phone));
    w.crm
        .state()
        .insert_record(kind, &map)
        .expect("record added")
        .key
}

/// Creates a lookup key, with `dtmf_field` when given; returns the key.
async fn lookup_key(w: &World, dtmf_field: Option<&str>) -> String {
    let (status, body) = w
        .post(
            "/v1/lookup-keys",
            &json!({ "name": "IVR", "dtmf_field": dtmf_field }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["dtmf_field"].as_str(), dtmf_field, "{body}");
    body["lookup_key"].as_str().expect("key").to_string()
}

/// `GET /crm-lookup/{key}?{query}`: `(status, text body)`, as text or JSON.
async fn ask(w: &World, key: &str, query: &str, json: bool) -> (u16, String) {
    let mut req = w
        .app
        .client
        .get(format!("{}/crm-lookup/{key}?{query}", w.app.base_url));
    if json {
        req = req.header("Accept", "application/json");
    }
    let res = req.send().await.expect("lookup answered");
    let status = res.status().as_u16();
    (status, res.text().await.expect("body"))
}

/// The JSON answer to a lookup, which must be 200.
async fn answer(w: &World, key: &str, query: &str) -> Value {
    let (status, body) = ask(w, key, query, true).await;
    assert_eq!(status, 200, "{query}: {body}");
    serde_json::from_str(&body).expect("JSON answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_dtmf_matches_the_typed_account_number_instead_of_the_caller() {
    let w = world(crm_config(0, 0)).await;
    AccountAdmin {
        store: &w.app.state.store,
        clock: w.app.state.clock.as_ref(),
        random: w.app.state.random.as_ref(),
    }
    .update_settings(w.account, "acme", "UTC", "GB")
    .await
    .expect("region saved");
    let ada = add(&w, Kind::Lead, "ada@dtmf.test", "100234", "020 7946 0501");
    let bob = add(&w, Kind::Lead, "bob@dtmf.test", "555", "020 7946 0502");
    let shared_lead = add(&w, Kind::Lead, "cy@dtmf.test", "8080", "020 7946 0503");
    let shared_contact = add(&w, Kind::Contact, "dee@dtmf.test", "8080", "020 7946 0504");
    w.imported_list("lead", &[ACCOUNT_NUMBER, "WorkPhone"])
        .await;
    w.imported_list("contact", &[ACCOUNT_NUMBER, "WorkPhone"])
        .await;
    let key = lookup_key(&w, Some(ACCOUNT_NUMBER)).await;
    let bob_calls = format!("caller={}", urlencode("020 7946 0502"));

    // Bob's phone types Ada's account number: Ada's record answers, with her field.
    let (status, body) = ask(
        &w,
        &key,
        &format!("{bob_calls}&dtmf=100234&field_name=WorkPhone"),
        false,
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (200, "020 7946 0501"),
        "Ada's phone"
    );
    let found = answer(&w, &key, &format!("{bob_calls}&dtmf=100234")).await;
    assert_eq!(found["key"], ada.as_str(), "{found}");
    assert_eq!(found["entity"], "lead", "{found}");
    let spaced = answer(&w, &key, &format!("{bob_calls}&dtmf=%20100234%20")).await;
    assert_eq!(
        spaced["key"],
        ada.as_str(),
        "typed digits are trimmed: {spaced}"
    );

    // Digits nobody holds (nor a part of someone's) answer empty, not the caller.
    for digits in ["999999", "1002", "55"] {
        let (status, body) = ask(&w, &key, &format!("{bob_calls}&dtmf={digits}"), false).await;
        assert_eq!((status, body.as_str()), (200, ""), "dtmf {digits}");
        let none = answer(&w, &key, &format!("{bob_calls}&dtmf={digits}")).await;
        assert_eq!(none["matched"], false, "dtmf {digits}: {none}");
    }

    // One account number on a lead and a contact: the contact, as for phone numbers.
    let both = answer(&w, &key, &format!("{bob_calls}&dtmf=8080")).await;
    assert_eq!(
        both["key"],
        shared_contact.as_str(),
        "not lead {shared_lead}: {both}"
    );

    // No dtmf, or a key without a dtmf_field: the caller's number decides.
    let caller = answer(&w, &key, &bob_calls).await;
    assert_eq!(caller["key"], bob.as_str(), "{caller}");
    let plain = lookup_key(&w, None).await;
    let fallback = answer(&w, &plain, &format!("{bob_calls}&dtmf=100234")).await;
    assert_eq!(fallback["key"], bob.as_str(), "{fallback}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_dtmf_finds_the_exact_number_among_many_longer_ones() {
    let w = world(crm_config(0, 0)).await;
    // 250 members whose account numbers contain the typed digits, then the one that is
    // exactly them.
    for i in 0..250 {
        add(
            &w,
            Kind::Lead,
            &format!("near{i}@dtmf.test"),
            &format!("1001{i:03}"),
            "",
        );
    }
    let exact = add(&w, Kind::Lead, "exact@dtmf.test", "1001", "");
    w.imported_list("lead", &[ACCOUNT_NUMBER]).await;
    let key = lookup_key(&w, Some(ACCOUNT_NUMBER)).await;
    let found = answer(&w, &key, "caller=02079460000&dtmf=1001").await;
    assert_eq!(found["key"], exact.as_str(), "{found}");
}
