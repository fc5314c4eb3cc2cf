//! The phone system's lookup URL (`/crm-lookup/{lookup_key}`) and route URL
//! (`…/route/{rule_set_id}`) against imported CRM lists and the fake CRM: the four
//! written forms of one number match one lead, a shared number answers the contact,
//! an unknown one answers empty; a field no list holds is read live; the issue's rule set
//! routes five seeded callers (a LeadScore that is not a number falls through to the
//! next row); refused keys, secrets and unknown rule sets make no CRM request where the
//! same request let in does.

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

/// Creates a routing rule set; returns its id.
async fn rule_set(w: &World, body: Value) -> String {
    let (status, rules) = w.post("/v1/routing-rules", &body).await;
    assert_eq!(status, 201, "{rules}");
    rules["id"].as_str().expect("rule set id").to_string()
}

/// The issue's rule set: `LeadScore >= 80 → queue 200`, `Region = gold → IVR 3`,
/// default `queue 100`.
fn issue_rules() -> Value {
    json!({
        "name": "VIP",
        "field": "LeadScore",
        "rows": [
            { "operator": ">=", "value": "80", "destination": { "type": "queue", "option": "200" } },
            { "field": "Region", "operator": "=", "value": "gold", "destination": { "type": "ivr", "option": "3" } }
        ],
        "default": { "type": "queue", "option": "100" }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_lookup_routes_five_seeded_callers_by_the_issue_s_rules() {
    let w = world(crm_config(3, 3)).await;
    set_region(&w, "GB").await;
    // (phone, LeadScore, Region, destination through the public route URL).
    let seeded = [
        ("020 7946 0101", "90", "silver", "queue 200"),
        // The first matching row wins: 80 >= 80 before `Region = gold`.
        ("020 7946 0102", "80", "gold", "queue 200"),
        // Not a number: `LeadScore >= 80` is skipped (as text "n/a" >= "80" would
        // hold), and the next row, `Region = gold`, routes it.
        ("020 7946 0103", "n/a", "gold", "ivr 3"),
        ("020 7946 0104", "10", "gold", "ivr 3"),
        // Neither row: the default.
        ("020 7946 0105", "10", "silver", "queue 100"),
    ];
    for (i, (phone, score, region, _)) in seeded.iter().enumerate() {
        let number = score.parse::<i64>().ok();
        let key = add(
            &w,
            Kind::Lead,
            json!({ "Email": format!("r{i}@callers.test"), "WorkPhone": phone,
                    "LeadScore": number, "Region": region }),
        );
        if number.is_none() {
            w.crm
                .state()
                .set_text_unchecked(Kind::Lead, &key, "LeadScore", score)
                .expect("text LeadScore");
        }
    }
    // Region is held by the list; LeadScore is read live from the CRM.
    w.imported_list("lead", &["WorkPhone", "Region"]).await;
    let rule_set = rule_set(&w, issue_rules()).await;
    let (_, key, _) = lookup_key(&w, false).await;

    for (phone, _, _, destination) in seeded {
        let path = format!(
            "/crm-lookup/{key}/route/{rule_set}?caller={}",
            urlencode(phone)
        );
        let (status, body) = ask(&w, &path, false, None).await;
        assert_eq!((status, body.as_str()), (200, destination), "{phone}");
    }
    let (status, body) = ask(
        &w,
        &format!("/crm-lookup/{key}/route/{rule_set}?caller=02079460199"),
        false,
        None,
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (200, "queue 100"),
        "unknown caller"
    );

    // `field_name=LeadScore` answers the CRM's value, numeric or not.
    for (phone, score) in [("020 7946 0101", "90"), ("020 7946 0103", "n/a")] {
        let path = format!(
            "/crm-lookup/{key}?caller={}&field_name=LeadScore",
            urlencode(phone)
        );
        let (status, body) = ask(&w, &path, false, None).await;
        assert_eq!((status, body.as_str()), (200, score), "{phone}");
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_lookup_refuses_bad_keys_secrets_and_rule_sets_without_crm_requests() {
    let w = world(crm_config(3, 3)).await;
    set_region(&w, "GB").await;
    // One caller per request, LeadScore in no list: any answer for them needs a live
    // CRM read, and none has been read (or cached) before its refusal.
    for i in 1..=5 {
        add(
            &w,
            Kind::Lead,
            json!({ "Email": format!("k{i}@callers.test"),
                    "WorkPhone": format!("020 7946 020{i}"), "LeadScore": 40 + i }),
        );
    }
    w.imported_list("lead", &["WorkPhone"]).await;
    let rule_set = rule_set(&w, issue_rules()).await;
    let (revoked_id, revoked, _) = lookup_key(&w, false).await;
    let (_, valid, _) = lookup_key(&w, false).await;
    let (_, secret_key, secret) = lookup_key(&w, true).await;
    let secret = secret.expect("a secret is shown once");
    let q = |i: usize| format!("?caller=0207946020{i}&field_name=LeadScore");

    // The key to be revoked works until then.
    w.crm.state().reset_stats();
    let (status, body) = ask(&w, &format!("/crm-lookup/{revoked}{}", q(1)), false, None).await;
    assert_eq!((status, body.as_str()), (200, "41"), "before revoking");
    assert!(w.crm.state().stats().total > 0, "read live");
    let status = w
        .app
        .delete(&format!("/v1/lookup-keys/{revoked_id}"), &w.key)
        .await
        .status()
        .as_u16();
    assert!(status == 204 || status == 200, "revoke: {status}");

    // Each refusal, then the same request let in: the refusal made no CRM request,
    // the request let in does (so the refusal's zero could have been otherwise).
    let unknown = "0190e1c2-0000-7000-8000-000000000000";
    let cases = [
        (
            format!("/crm-lookup/{revoked}{}", q(2)),
            None,
            401,
            "not valid",
            format!("/crm-lookup/{valid}{}", q(2)),
            None,
            "42",
        ),
        (
            format!("/crm-lookup/{secret_key}{}", q(3)),
            None,
            401,
            "X-Lookup-Secret",
            format!("/crm-lookup/{secret_key}{}", q(3)),
            Some(secret.as_str()),
            "43",
        ),
        (
            format!("/crm-lookup/{secret_key}{}", q(4)),
            Some("lks_wrong"),
            401,
            "does not match",
            format!("/crm-lookup/{secret_key}{}", q(4)),
            Some(secret.as_str()),
            "44",
        ),
        (
            format!("/crm-lookup/{secret_key}/route/{unknown}{}", q(5)),
            Some(secret.as_str()),
            404,
            "not found",
            format!("/crm-lookup/{secret_key}/route/{rule_set}{}", q(5)),
            Some(secret.as_str()),
            "queue 100",
        ),
    ];
    for (path, header, status, words, let_in, let_in_header, answer) in cases {
        w.crm.state().reset_stats();
        let (got, body) = ask(&w, &path, true, header).await;
        assert_eq!(got, status, "{path}: {body}");
        assert!(body.contains(words), "{path}: {body}");
        assert_eq!(
            w.crm.state().stats().total,
            0,
            "no CRM request for the refusal {path}"
        );
        let (got, body) = ask(&w, &let_in, false, let_in_header).await;
        assert_eq!((got, body.as_str()), (200, answer), "{let_in}");
        assert!(
            w.crm.state().stats().total > 0,
            "{let_in} let in reads the CRM"
        );
    }
}
