//! The OpenAPI document is a contract a generated client can rely on: path ids are
//! declared as UUIDs, every secured operation documents 401, a body that refuses unknown
//! fields says `additionalProperties: false` (and one that takes them does not), and a
//! path id that is not a UUID gets a documented problem answer.
//! (`.ci/schemathesis.sh` checks the rest of the contract against a seeded service.)

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, json, spawn_app};

/// Path parameters that are free text, not ids: a column name, the email sender's own
/// campaign id, a form's public key, a phone system's lookup key.
const TEXT_PATH_PARAMS: [&str; 4] = ["column", "campaign_id", "form_key", "lookup_key"];

/// A well-formed UUID that names nothing.
const SOME_UUID: &str = "00000000-0000-4000-8000-000000000000";

async fn document(app: &TestApp) -> Value {
    let (status, doc) = json(
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .expect("document served"),
    )
    .await;
    assert_eq!(status, 200);
    doc
}

/// Every operation of the document: `(method, path, operation)`.
fn operations(doc: &Value) -> Vec<(Method, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            if let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) {
                all.push((method, path.clone(), operation.clone()));
            }
        }
    }
    assert!(all.len() > 40, "only {} operations documented", all.len());
    all
}

/// Follows a local `$ref` (`#/components/schemas/X`) to what it names.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            let target = doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling reference {reference}"));
            resolve(doc, target)
        }
        None => value,
    }
}

/// The path parameters of an operation.
fn path_params(operation: &Value) -> Vec<Value> {
    operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "path")
        .cloned()
        .collect()
}

/// `path` with every parameter replaced: `bad` for `param`, a UUID or text otherwise.
fn concrete(path: &str, operation: &Value, bad: Option<&str>) -> String {
    let mut out = path.to_string();
    for param in path_params(operation) {
        let name = param["name"].as_str().expect("parameter name");
        let value = if Some(name) == bad {
            "not-a-uuid"
        } else if param["schema"]["format"] == "uuid" {
            SOME_UUID
        } else {
            "some-text"
        };
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

fn is_secured(operation: &Value) -> bool {
    operation["security"]
        .as_array()
        .is_some_and(|s| !s.is_empty())
}

/// Asserts `status` is documented for the operation with the problem schema.
fn assert_documented_problem(
    doc: &Value,
    method: &Method,
    path: &str,
    operation: &Value,
    status: u16,
) {
    let response = &operation["responses"][status.to_string()];
    assert!(
        !response.is_null(),
        "{method} {path} answers {status} but does not document it"
    );
    let schema = resolve(doc, &response["content"]["application/json"]["schema"]);
    assert!(
        schema["properties"]["error"].is_object() && schema["properties"]["message"].is_object(),
        "{method} {path} documents {status} without the Problem schema: {response}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_contract_path_ids_are_uuids_and_every_refusal_is_described() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let mut ids = 0;
    for (method, path, operation) in operations(&doc) {
        for param in path_params(&operation) {
            let name = param["name"].as_str().expect("parameter name");
            if TEXT_PATH_PARAMS.contains(&name) {
                continue;
            }
            assert_eq!(
                (
                    param["schema"]["type"].as_str(),
                    param["schema"]["format"].as_str()
                ),
                (Some("string"), Some("uuid")),
                "{method} {path}: path parameter {name} is not declared as a UUID: {param}"
            );
            ids += 1;
        }
        for (status, response) in operation["responses"].as_object().expect("responses") {
            assert!(
                response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{method} {path}: response {status} has no description"
            );
        }
        if is_secured(&operation) {
            assert_documented_problem(&doc, &method, &path, &operation, 401);
        }
        if !path_params(&operation).is_empty() {
            assert_documented_problem(&doc, &method, &path, &operation, 404);
        }
    }
    assert!(ids > 30, "only {ids} path ids found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_contract_a_non_uuid_path_id_gets_a_documented_problem() {
    let app = spawn_app().await;
    let key = app.create_account("contract").await;
    let doc = document(&app).await;
    let mut checked = 0;
    for (method, path, operation) in operations(&doc) {
        // The public lookup URLs check the key in their path first: a made-up key is
        // the documented 401 whatever id follows it (callers_lookup_contract covers
        // their non-UUID rule set id with a real key).
        if !is_secured(&operation) {
            continue;
        }
        for param in path_params(&operation) {
            if param["schema"]["format"] != "uuid" {
                continue;
            }
            let name = param["name"].as_str().expect("parameter name");
            let url = concrete(&path, &operation, Some(name));
            let response = app.send(method.clone(), &url, &key, None).await;
            let (status, body) = json(response).await;
            assert!(
                status == 400 || status == 404,
                "{method} {url} answered {status}: {body}"
            );
            assert!(
                body["error"].is_string() && body["message"].is_string(),
                "{method} {url}: not a problem: {body}"
            );
            assert_documented_problem(&doc, &method, &path, &operation, status);
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} path ids tried");
}

/// A body schema says `additionalProperties: false` exactly when the service refuses an
/// unknown field in that body (serde's `deny_unknown_fields`): a generated client then
/// never sends a field the service would refuse, and knows it may not add one. And a
/// body is a JSON object, as documented: an array is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_contract_bodies_that_refuse_unknown_fields_say_so() {
    let app = spawn_app().await;
    let key = app.create_account("contract").await;
    let doc = document(&app).await;
    let mut refusing = 0;
    let mut bodies = 0;
    for (method, path, operation) in operations(&doc) {
        let Some(schema) = operation["requestBody"]["content"]["application/json"]
            .get("schema")
            .map(|s| resolve(&doc, s))
        else {
            continue;
        };
        if !is_secured(&operation) {
            continue;
        }
        bodies += 1;
        let declared_closed = schema["additionalProperties"] == json!(false);
        let url = concrete(&path, &operation, None);
        // serde reports an unknown field as soon as it meets it, before any missing one.
        let body = json!({ "surely_not_a_field": 1 });
        let response = app.send(method.clone(), &url, &key, Some(&body)).await;
        let (status, answer) = json(response).await;
        let refused = status == 422
            && answer["message"]
                .as_str()
                .is_some_and(|m| m.contains("unknown field"));
        assert_eq!(
            declared_closed, refused,
            "{method} {path}: additionalProperties false is {declared_closed}, but an unknown \
             field got {status}: {answer}"
        );
        if refused {
            assert_documented_problem(&doc, &method, &path, &operation, 422);
            refusing += 1;
        }
        // serde would read a struct from an array of its fields: the body is an object.
        let response = app.send(method.clone(), &url, &key, Some(&json!([]))).await;
        let (status, answer) = json(response).await;
        assert_eq!(
            status, 422,
            "{method} {path}: a JSON array as the body got {status}: {answer}"
        );
    }
    assert!(bodies >= 15, "only {bodies} JSON bodies documented");
    assert!(
        refusing >= 10,
        "only {refusing} bodies refuse unknown fields"
    );
}
