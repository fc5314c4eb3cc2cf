//! The public lookup URL in the OpenAPI document, and answering as documented: both
//! paths with GET and POST, no bearer security (the key in the path is the credential),
//! the caller parameters, the secret header, both answer types; a refusal challenges for
//! the lookup key, not a bearer key; a body that is not JSON is 400, JSON of the wrong
//! shape 422, too large 413.

use serde_json::{Value, json};

use crate::support::{TestApp, assert_problem, calls::new_lookup_key, json, spawn_app};

const LOOKUP: &str = "/crm-lookup/{lookup_key}";
const ROUTE: &str = "/crm-lookup/{lookup_key}/route/{rule_set_id}";

async fn document(app: &TestApp) -> Value {
    let (status, doc) = json(
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    doc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_lookup_contract_both_urls_are_documented_without_bearer_security() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    for (path, answer) in [(LOOKUP, "LookupAnswer"), (ROUTE, "RouteAnswer")] {
        for method in ["get", "post"] {
            let op = &doc["paths"][path][method];
            assert!(op.is_object(), "{method} {path} is not documented");
            assert!(
                op["security"].as_array().is_none_or(Vec::is_empty),
                "{method} {path} claims security: {}",
                op["security"]
            );
            let names: Vec<&str> = op["parameters"]
                .as_array()
                .expect("parameters")
                .iter()
                .filter_map(|p| p["name"].as_str())
                .collect();
            for name in [
                "lookup_key",
                "caller",
                "callerid",
                "cli",
                "from",
                "phone",
                "dtmf",
            ] {
                assert!(
                    names.contains(&name),
                    "{method} {path}: no {name} in {names:?}"
                );
            }
            let secret = op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == "X-Lookup-Secret")
                .unwrap_or_else(|| panic!("{method} {path}: no secret header"));
            assert_eq!(secret["in"], "header");
            assert_eq!(secret["required"], json!(false));
            let ok = &op["responses"]["200"]["content"];
            assert!(ok["text/plain"].is_object(), "{method} {path}: {ok}");
            assert_eq!(
                ok["application/json"]["schema"]["$ref"],
                format!("#/components/schemas/{answer}"),
                "{method} {path}"
            );
            let refused = op["responses"]["401"]["description"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}: no 401"));
            assert!(
                refused.contains("X-Lookup-Secret")
                    && !refused.contains("Missing or invalid API key"),
                "{method} {path}: {refused}"
            );
            // The lookup reads any body; it never answers 415.
            assert!(op["responses"]["415"].is_null(), "{method} {path}");
            if method == "post" {
                let body = &op["requestBody"];
                assert_ne!(
                    body["required"],
                    json!(true),
                    "{path}: the body is optional"
                );
                for status in ["400", "413", "422"] {
                    assert!(op["responses"][status].is_object(), "{path}: no {status}");
                }
            }
        }
    }
    assert!(doc["paths"][ROUTE]["get"]["responses"]["404"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_lookup_contract_refusals_answer_as_documented() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let lookup_key = new_lookup_key(&app.client, &app.base_url, &key).await;
    let url = app.url(&format!("/crm-lookup/{lookup_key}"));
    let post = |body: &'static str| {
        app.client
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(body)
            .send()
    };

    let unknown = app
        .client
        .get(app.url("/crm-lookup/lk_nothing?caller=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.headers()["www-authenticate"], "LookupKey");
    assert_problem(unknown, 401, "unauthorized").await;

    assert_problem(post("not json").await.unwrap(), 400, "invalid_json").await;
    assert_problem(
        post("[\"+442079460018\"]").await.unwrap(),
        422,
        "invalid_body",
    )
    .await;
    let body = assert_problem(
        post(r#"{"caller": true}"#).await.unwrap(),
        422,
        "invalid_body",
    )
    .await;
    assert_eq!(body["details"]["field"], "caller", "{body}");
    let big = format!(r#"{{"caller": "{}"}}"#, "1".repeat(20 * 1024));
    let response = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_problem(response, 413, "payload_too_large").await;

    // A number is read as its digits, null as left out, members not read are ignored.
    for body in [
        r#"{"caller": 442079460018}"#,
        r#"{"caller": null, "dtmf": null}"#,
        r#"{"caller": "+442079460018", "extra": [1, {"a": true}]}"#,
    ] {
        let (status, answer) = json(post(body).await.unwrap()).await;
        assert_eq!(status, 200, "{body}: {answer}");
        assert_eq!(answer["matched"], false, "{body}: {answer}");
    }

    // An id that is no UUID names no rule set; the key is checked first, so a refused
    // key is 401 whatever it asks for.
    assert_problem(
        app.client
            .get(app.url(&format!("/crm-lookup/{lookup_key}/route/not-a-uuid")))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    let refused = app
        .client
        .get(app.url("/crm-lookup/lk_nothing/route/not-a-uuid"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
}

/// A routing row's operator has a schema of its own: under the shared name `Operator`
/// the segment filters' operators replaced it, and a stored rule set's `=` broke the
/// document (found by Schemathesis once a rule set was seeded).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_lookup_contract_routing_operators_are_documented_as_they_are_answered() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let reference = doc["components"]["schemas"]["RuleRow"]["properties"]["operator"]["$ref"]
        .as_str()
        .expect("the operator is a reference");
    let name = reference.trim_start_matches("#/components/schemas/");
    let operators = &doc["components"]["schemas"][name]["enum"];
    assert_eq!(
        operators,
        &json!(["<", ">", "=", "<=", ">="]),
        "{reference}: {operators}"
    );
    let filters = &doc["components"]["schemas"]["Operator"]["enum"];
    assert!(
        filters
            .as_array()
            .is_some_and(|ops| ops.contains(&json!("equals"))),
        "{filters}"
    );
}
