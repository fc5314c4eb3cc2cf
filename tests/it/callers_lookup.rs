//! The phone system's lookup URL (`/crm-lookup/{lookup_key}`) and route URL
//! (`…/route/{rule_set_id}`) against imported CRM lists and the fake CRM: the four
//! written forms of one number match one lead, a shared number answers the contact,
//! an unknown one answers empty; a field no list holds is read live; routing rows route
//! seeded callers; refused keys, secrets and unknown rule sets never reach the CRM.

use infor_crm_fake::Kind;
use listbridge::accounts::AccountAdmin;
use serde_json::{Map, Value, json};

use crate::support::{
    lists::urlencode,
    world::{World, crm_config, world},
};

/// Sets the account's default phone region through the accounts service.
async fn set_region(w: &World, region: &str) {
    let state = &w.app.state;
    AccountAdmin {
        store: &state.store,
        clock: state.clock.as_ref(),
        random: state.random.as_ref(),
    }
    .update_settings(w.account, "acme", "UTC", region)
    .await
    .expect("region saved");
}

/// Adds a CRM record with these fields; returns its key.
fn add(w: &World, kind: Kind, fields: Value) -> String {
    let Value::Object(mut map) = fields else {
        panic!("fields are an object")
    };
    map.entry("LastName").or_insert(json!("Caller"));
    if kind == Kind::Lead {
        map.entry("Company").or_insert(json!("Callers Ltd"));
    } else {
        map.entry("AccountName").or_insert(json!("Callers Ltd"));
    }
    let map: Map<String, Value> = map;
    w.crm
        .state()
        .insert_record(kind, &map)
        .expect("record added")
        .key
}

/// Creates a lookup key; returns `(id, key, secret)`.
async fn lookup_key(w: &World, require_secret: bool) -> (String, String, Option<String>) {
    let (status, body) = w
        .post(
            "/v1/lookup-keys",
            &json!({ "name": "PBX", "require_secret": require_secret }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (
        body["id"].as_str().expect("id").to_string(),
        body["lookup_key"].as_str().expect("key").to_string(),
        body["secret"].as_str().map(str::to_string),
    )
}

/// `GET path` with optional JSON accept and secret header: `(status, body text)`.
async fn ask(w: &World, path: &str, json: bool, secret: Option<&str>) -> (u16, String) {
    let mut req = w.app.client.get(format!("{}{path}", w.app.base_url));
    if json {
        req = req.header("Accept", "application/json");
    }
    if let Some(secret) = secret {
        req = req.header("X-Lookup-Secret", secret);
    }
    let res = req.send().await.expect("lookup answered");
    let status = res.status().as_u16();
    (status, res.text().await.expect("body"))
}

async fn ask_json(w: &World, path: &str) -> Value {
    let (status, body) = ask(w, path, true, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).expect("JSON answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_lookup_matches_every_form_prefers_contacts_and_reads_unheld_fields_live() {
    let w = world(crm_config(3, 3)).await;
    set_region(&w, "gb").await;
    let lead = add(
        &w,
        Kind::Lead,
        json!({ "Email": "ada@callers.test", "WorkPhone": "020 7946 0018", "LeadScore": 85 }),
    );
    let shared_lead = add(
        &w,
        Kind::Lead,
        json!({ "Email": "bob@callers.test", "Mobile": "+44 20 7946 0999" }),
    );
    let contact = add(
        &w,
        Kind::Contact,
        json!({ "Email": "cy@callers.test", "WorkPhone": "(020) 7946-0999" }),
    );
    w.imported_list("lead", &["WorkPhone", "Mobile"]).await;
    w.imported_list("contact", &["WorkPhone"]).await;
    let (_, key, _) = lookup_key(&w, false).await;

    for form in [
        "+44 20 7946 0018",
        "020 7946 0018",
        "0044 20 79460018",
        "(020) 7946-0018",
    ] {
        let answer = ask_json(&w, &format!("/crm-lookup/{key}?caller={}", urlencode(form))).await;
        assert_eq!(answer["matched"], true, "{form}: {answer}");
        assert_eq!(answer["entity"], "lead", "{form}: {answer}");
        assert_eq!(answer["key"], lead.as_str(), "{form}: {answer}");
    }

    let shared = ask_json(
        &w,
        &format!("/crm-lookup/{key}?cli={}", urlencode("02079460999")),
    )
    .await;
    assert_eq!(shared["entity"], "contact", "{shared}");
    assert_eq!(
        shared["key"],
        contact.as_str(),
        "not lead {shared_lead}: {shared}"
    );

    let (status, body) = ask(
        &w,
        &format!("/crm-lookup/{key}?caller=02079460000"),
        false,
        None,
    )
    .await;
    assert_eq!((status, body.as_str()), (200, ""), "unknown number: empty");
    let unknown = ask_json(&w, &format!("/crm-lookup/{key}?caller=02079460000")).await;
    assert_eq!(unknown["matched"], false, "{unknown}");

    // LeadScore is in no list: read live for the one record, then from the cache.
    w.crm.state().reset_stats();
    let path = format!(
        "/crm-lookup/{key}?caller={}&field_name=LeadScore",
        urlencode("+442079460018")
    );
    let (status, body) = ask(&w, &path, false, None).await;
    assert_eq!((status, body.as_str()), (200, "85"), "live LeadScore");
    let reads = w.crm.state().stats().total;
    assert!(reads >= 1, "the CRM was asked");
    let (_, again) = ask(&w, &path, false, None).await;
    assert_eq!(again, "85");
    assert_eq!(
        w.crm.state().stats().total,
        reads,
        "the second answer came from the cache"
    );

    // A held field by its Standard Field Name, with the caller in a JSON body.
    let res = w
        .app
        .client
        .post(format!(
            "{}/crm-lookup/{key}?field_name=work_phone",
            w.app.base_url
        ))
        .json(&json!({ "from": "+44 20 7946 0018" }))
        .send()
        .await
        .expect("posted");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.text().await.expect("body"), "020 7946 0018");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_lookup_routes_seeded_callers_and_refuses_bad_keys_without_crm_requests() {
    let w = world(crm_config(3, 3)).await;
    set_region(&w, "GB").await;
    let seeded = [
        ("020 7946 0101", 90, "gold"),
        ("020 7946 0102", 80, "silver"),
        ("020 7946 0103", 10, "gold"),
        ("020 7946 0104", 10, "silver"),
    ];
    for (i, (phone, score, region)) in seeded.iter().enumerate() {
        add(
            &w,
            Kind::Lead,
            json!({ "Email": format!("r{i}@callers.test"), "WorkPhone": phone,
                    "LeadScore": score, "Region": region }),
        );
    }
    w.imported_list("lead", &["WorkPhone", "Region"]).await;
    let (status, rules) = w
        .post(
            "/v1/routing-rules",
            &json!({
                "name": "VIP",
                "field": "LeadScore",
                "rows": [
                    { "operator": ">=", "value": "80", "destination": { "type": "queue", "option": "200" } },
                    { "field": "Region", "operator": ">", "value": "5", "destination": { "type": "queue", "option": "999" } },
                    { "field": "Region", "operator": "=", "value": "gold", "destination": { "type": "ivr", "option": "3" } }
                ],
                "default": { "type": "queue", "option": "100" }
            }),
        )
        .await;
    assert_eq!(status, 201, "{rules}");
    let rule_set = rules["id"].as_str().expect("rule set id").to_string();
    let (key_id, key, _) = lookup_key(&w, false).await;

    let expected = [
        ("020 7946 0101", "queue 200"),
        ("020 7946 0102", "queue 200"),
        // "gold" is not a number: `Region > 5` falls through to `Region = gold`.
        ("020 7946 0103", "ivr 3"),
        ("020 7946 0104", "queue 100"),
        ("020 7946 0199", "queue 100"),
    ];
    for (phone, destination) in expected {
        let path = format!(
            "/crm-lookup/{key}/route/{rule_set}?caller={}",
            urlencode(phone)
        );
        let (status, body) = ask(&w, &path, false, None).await;
        assert_eq!((status, body.as_str()), (200, destination), "{phone}");
    }
    let json = ask_json(
        &w,
        &format!("/crm-lookup/{key}/route/{rule_set}?caller=02079460101"),
    )
    .await;
    assert_eq!(
        json["destination"],
        json!({ "type": "queue", "option": "200" }),
        "{json}"
    );
    assert_eq!(json["value"], "90", "{json}");

    // Refusals: answered with a message before any CRM request.
    let (_, secret_key, secret) = lookup_key(&w, true).await;
    let secret = secret.expect("a secret is shown once");
    let revoked = w
        .app
        .delete(&format!("/v1/lookup-keys/{key_id}"), &w.key)
        .await
        .status()
        .as_u16();
    assert!(revoked == 204 || revoked == 200, "revoke: {revoked}");
    w.crm.state().reset_stats();
    let q = "?caller=02079460101&field_name=LeadScore";
    for (path, secret_header, status, words) in [
        (format!("/crm-lookup/{key}{q}"), None, 401, "not valid"),
        (
            format!("/crm-lookup/{secret_key}{q}"),
            None,
            401,
            "X-Lookup-Secret",
        ),
        (
            format!("/crm-lookup/{secret_key}{q}"),
            Some("lks_wrong"),
            401,
            "does not match",
        ),
        (
            format!("/crm-lookup/{secret_key}/route/0190e1c2-0000-7000-8000-000000000000{q}"),
            Some(secret.as_str()),
            404,
            "not found",
        ),
    ] {
        let (got, body) = ask(&w, &path, true, secret_header).await;
        assert_eq!(got, status, "{path}: {body}");
        assert!(body.contains(words), "{path}: {body}");
    }
    assert_eq!(
        w.crm.state().stats().total,
        0,
        "no CRM request for a refusal"
    );
    let (status, body) = ask(
        &w,
        &format!("/crm-lookup/{secret_key}{q}"),
        false,
        Some(&secret),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (200, "90"),
        "the right secret is let in"
    );
}
