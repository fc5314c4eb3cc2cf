//! The OpenAPI document describes every `/v1` route, and every `/v1` route
//! refuses requests without a valid API key.

use std::collections::BTreeSet;

use crate::support::{assert_problem, json, spawn_app};
use listbridge::api::{self, BEARER_SCHEME, V1_PREFIX};

/// The `/v1` path templates the axum router has registered.
///
/// axum has no public route listing, but its `Debug` output names every
/// registered path; the assertion below fails loudly if that ever changes.
fn registered_v1_paths(router: &axum::Router) -> BTreeSet<String> {
    let debug = format!("{router:?}");
    debug
        .split('"')
        .filter(|s| s.starts_with(V1_PREFIX))
        .map(str::to_string)
        .collect()
}

/// A concrete path for a template: `{id}` becomes a well-formed UUID.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "00000000-0000-4000-8000-000000000000"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_registered_v1_route_is_documented_with_bearer_security() {
    let app = spawn_app().await;
    let (router, doc) = listbridge::http::router(app.state.clone());
    let registered = registered_v1_paths(&router);
    assert!(
        registered.contains("/v1/account"),
        "could not read routes from the router's Debug output: {registered:?}"
    );
    let documented: BTreeSet<String> = doc
        .paths
        .paths
        .keys()
        .filter(|p| p.starts_with(V1_PREFIX))
        .cloned()
        .collect();
    let missing: Vec<_> = registered.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document: {missing:?}"
    );

    for (path, item) in doc
        .paths
        .paths
        .iter()
        .filter(|(p, _)| p.starts_with(V1_PREFIX))
    {
        for (method, operation) in api::operations(item) {
            let security = serde_json::to_value(&operation.security).unwrap();
            assert_eq!(
                security,
                serde_json::json!([{ BEARER_SCHEME: [] }]),
                "{method} {path} does not declare the bearer scheme"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_v1_operation_requires_a_key() {
    let app = spawn_app().await;
    let (status, doc) = json(
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(
        doc["components"]["securitySchemes"][BEARER_SCHEME]["scheme"],
        "bearer"
    );

    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with(V1_PREFIX) {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let url = app.url(&concrete(path));
            let bare = app
                .client
                .request(method.clone(), &url)
                .send()
                .await
                .unwrap();
            assert_problem(bare, 401, "unauthorized").await;
            let wrong = app
                .client
                .request(method, &url)
                .bearer_auth("lb_wrong")
                .send()
                .await
                .unwrap();
            assert_problem(wrong, 401, "unauthorized").await;
            checked += 1;
        }
    }
    assert!(
        checked >= 7,
        "only {checked} /v1 operations found in the document"
    );
}
