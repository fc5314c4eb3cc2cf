//! Request logs: one span per request with method, route, status and latency,
//! and never the API key.

use crate::support::{json, logs::Captured, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_span_has_route_status_latency_and_no_key() {
    let captured = Captured::default();
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_env_filter("listbridge=info")
        .with_writer(captured.clone())
        .init();

    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let (status, _) = json(app.get("/v1/account", &key).await).await;
    assert_eq!(status, 200);
    let (status, _) = json(app.get("/v1/account", "lb_someone-elses-key").await).await;
    assert_eq!(status, 401);

    let logs = captured.text();
    let finished: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "request finished")
        .collect();
    assert_eq!(finished.len(), 2, "{logs}");
    let span = &finished[0]["span"];
    assert_eq!(span["method"], "GET");
    assert_eq!(span["route"], "/v1/account");
    assert_eq!(span["status"], 200);
    assert!(span["latency_ms"].is_number(), "{span}");
    assert_eq!(finished[1]["span"]["status"], 401);
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
