//! Routing rule sets (`/v1/routing-rules` and `callers::routing`): saved, read,
//! replaced and deleted per account; refused with a message naming the row; and
//! evaluated as the phone systems do — numbers as numbers, other values as text
//! ignoring case, a numeric row falling through on a value that is not a number, the
//! first matching row winning, no value going to the default.

use listbridge::{
    callers::routing::RoutingRules,
    store::{AccountId, RuleSetId},
};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_problem, json, spawn_app};

/// The rule set: `LeadScore >= 80 → queue 200`, `Region = gold → IVR 3`,
/// default queue 100.
fn vip() -> Value {
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

async fn create(app: &TestApp, key: &str, body: &Value) -> Value {
    let (status, saved) = json(app.post("/v1/routing-rules", key, body).await).await;
    assert_eq!(status, 201, "{saved}");
    saved
}

async fn account_of(app: &TestApp, key: &str) -> AccountId {
    let (_, account) = json(app.get("/v1/account", key).await).await;
    account["id"].as_str().expect("id").parse().expect("uuid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_sets_are_saved_read_replaced_and_deleted() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let saved = create(&app, &key, &vip()).await;
    let id = saved["id"].as_str().expect("id").to_string();
    assert_eq!(saved["rows"], vip()["rows"], "{saved}");
    assert_eq!(
        saved["default"],
        json!({ "type": "queue", "option": "100" })
    );

    let (status, got) = json(app.get(&format!("/v1/routing-rules/{id}"), &key).await).await;
    assert_eq!(status, 200);
    assert_eq!(got, saved);
    let (_, all) = json(app.get("/v1/routing-rules", &key).await).await;
    assert_eq!(all, json!([saved]));

    let mut changed = vip();
    changed["name"] = json!("VIP callers");
    changed["rows"][0]["value"] = json!("90");
    let (status, replaced) = json(
        app.put(&format!("/v1/routing-rules/{id}"), &key, &changed)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["name"], "VIP callers");
    assert_eq!(replaced["rows"][0]["value"], "90");
    assert_eq!(replaced["created_at"], saved["created_at"]);

    assert_problem(
        app.post("/v1/routing-rules", &key, &changed).await,
        409,
        "name_taken",
    )
    .await;

    let deleted = app.delete(&format!("/v1/routing-rules/{id}"), &key).await;
    assert_eq!(deleted.status(), 204);
    assert_problem(
        app.get(&format!("/v1/routing-rules/{id}"), &key).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.delete(&format!("/v1/routing-rules/{id}"), &key).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_rule_set_is_not_found() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let other = app.create_account("other").await;
    let saved = create(&app, &acme, &vip()).await;
    let path = format!("/v1/routing-rules/{}", saved["id"].as_str().expect("id"));
    assert_problem(app.get(&path, &other).await, 404, "not_found").await;
    assert_problem(app.put(&path, &other, &vip()).await, 404, "not_found").await;
    assert_problem(app.delete(&path, &other).await, 404, "not_found").await;
    let (_, theirs) = json(app.get("/v1/routing-rules", &other).await).await;
    assert_eq!(theirs, json!([]));
    // The service used by the route URL answers "none" for the other account too.
    let id: RuleSetId = saved["id"].as_str().expect("id").parse().expect("uuid");
    let rules = RoutingRules::from_state(&app.state);
    let other_account = account_of(&app, &other).await;
    assert!(rules.get(other_account, id).await.expect("read").is_none());
    assert!(
        rules
            .get(account_of(&app, &acme).await, id)
            .await
            .expect("read")
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_rule_sets_are_refused_naming_the_row() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let with = |path: &[&str], value: Value| {
        let mut body = vip();
        let mut at = &mut body;
        for (i, part) in path.iter().enumerate() {
            at = match part.parse::<usize>() {
                Ok(n) => &mut at[n],
                Err(_) if i + 1 == path.len() => {
                    at[*part] = value.clone();
                    return body;
                }
                Err(_) => &mut at[*part],
            };
        }
        body
    };
    let cases = [
        (
            with(&["rows", "1", "value"], json!("  ")),
            "rows[2].value",
            "row 2: the value is empty",
        ),
        (
            with(&["rows", "0", "destination", "option"], json!("")),
            "rows[1].destination.option",
            "row 1: the destination option is empty",
        ),
        (
            with(&["rows", "1", "field"], json!("Re gion")),
            "rows[2].field",
            "row 2: the field name",
        ),
        (
            with(&["default", "option"], json!(" ")),
            "default.option",
            "default destination",
        ),
        (with(&["name"], json!("")), "name", "the name is empty"),
        (
            with(&["field"], json!("")),
            "field",
            "the field name is empty",
        ),
    ];
    for (body, field, message) in cases {
        let problem = assert_problem(
            app.post("/v1/routing-rules", &key, &body).await,
            422,
            "invalid_rule",
        )
        .await;
        assert_eq!(problem["details"]["field"], field, "{problem}");
        assert!(
            problem["message"]
                .as_str()
                .is_some_and(|m| m.contains(message)),
            "{message}: {problem}"
        );
    }
    // Operators and destination types outside the lists are refused as the wrong shape.
    for body in [
        with(&["rows", "0", "operator"], json!("=>")),
        with(&["rows", "0", "destination", "type"], json!("voicemail")),
        with(&["rows", "0", "colour"], json!("red")),
    ] {
        assert_problem(
            app.post("/v1/routing-rules", &key, &body).await,
            422,
            "invalid_body",
        )
        .await;
    }
    let (_, all) = json(app.get("/v1/routing-rules", &key).await).await;
    assert_eq!(all, json!([]), "nothing was saved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_rules_route_each_caller_as_the_phone_systems_do() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let mut body = vip();
    body["rows"]
        .as_array_mut()
        .expect("rows")
        .push(json!({ "operator": "<", "value": "m", "destination": { "type": "recording", "option": "early-bird" } }));
    let saved = create(&app, &key, &body).await;
    let id: RuleSetId = saved["id"].as_str().expect("id").parse().expect("uuid");
    let rules = RoutingRules::from_state(&app.state)
        .get(account_of(&app, &key).await, id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(rules.fields(), vec!["LeadScore", "Region"]);

    // (LeadScore, Region) → destination.
    let table: &[(Option<&str>, Option<&str>, &str)] = &[
        (Some("95"), Some("silver"), "queue 200"),
        (Some("100"), None, "queue 200"), // 100 >= 80 as numbers ("100" < "80" as text)
        (Some("80.0"), None, "queue 200"),
        (Some("79"), Some("GOLD"), "ivr 3"),  // text ignores case
        (Some("n/a"), Some("gold"), "ivr 3"), // not a number: `>= 80` falls through
        (Some("79"), Some("silver"), "recording early-bird"), // "79" < "m" as text
        (Some("zebra"), Some("silver"), "queue 100"),
        (Some(""), Some("silver"), "queue 100"),
        (None, None, "queue 100"),
    ];
    for (score, region, expected) in table {
        let got = rules.route_by(|field| match field {
            "LeadScore" => score.map(str::to_string),
            "Region" => region.map(str::to_string),
            _ => None,
        });
        assert_eq!(
            got.to_string(),
            *expected,
            "LeadScore {score:?}, Region {region:?}"
        );
    }
    assert_eq!(rules.route(Some("85")).to_string(), "queue 200");
    assert_eq!(rules.route(None).to_string(), "queue 100");
}
