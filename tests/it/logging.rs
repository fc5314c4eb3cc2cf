//! Request logs: one span per request with method, route, status and latency,
//! and never the API key.

use crate::support::{json, logs, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_span_has_route_status_latency_and_no_key() {
    let captured = logs::capture();

    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let (status, _) = json(app.get("/v1/account", &key).await).await;
    assert_eq!(status, 200);
    let (status, _) = json(app.get("/v1/account", "lb_someone-elses-key").await).await;
    assert_eq!(status, 401);

    let logs = captured.json();
    // Under `cargo test` other tests' requests are in the capture too: look for ours.
    let finished: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "request finished")
        .filter(|v| v["span"]["route"] == "/v1/account")
        .map(|v| v["span"].clone())
        .collect();
    let answered = |status: u16| {
        finished.iter().any(|span| {
            span["method"] == "GET" && span["status"] == status && span["latency_ms"].is_number()
        })
    };
    assert!(
        answered(200),
        "no 200 for GET /v1/account with a latency: {logs}"
    );
    assert!(
        answered(401),
        "no 401 for GET /v1/account with a latency: {logs}"
    );
    assert!(!logs.contains(&key[3..]), "the API key was logged");
    assert!(
        !logs.contains("someone-elses-key"),
        "a presented key was logged"
    );
    assert!(
        !logs.to_ascii_lowercase().contains("authorization"),
        "{logs}"
    );
}
