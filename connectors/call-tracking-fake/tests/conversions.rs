//! The fake platform over HTTP: per-row answers, idempotency, refusals and faults.

use call_tracking_fake::{
    FakePlatform, FakePlatformConfig, Faults, ReferenceKind, SeededReference, call_reference,
};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

async fn platform() -> (FakePlatform, Client) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let platform = FakePlatform::start(FakePlatformConfig {
        generated: 10,
        ..FakePlatformConfig::default()
    })
    .await
    .expect("platform starts");
    (platform, Client::new())
}

fn row(key: &str, call_reference: &str) -> Value {
    json!({
        "idempotency_key": key,
        "action_name": "sale",
        "title": "Annual plan",
        "date_time": "2026-12-04 10:15:00",
        "transaction_reference": format!("SO-{key}"),
        "transaction_amount": "15000.00",
        "transaction_currency": "GBP",
        "transaction_margin": "3000",
        "call_reference": call_reference,
    })
}

async fn send(client: &Client, platform: &FakePlatform, rows: Vec<Value>) -> (StatusCode, Value) {
    let answer = client
        .post(format!("{}/v1/conversions", platform.base_url()))
        .bearer_auth("token")
        .json(&json!({ "conversions": rows }))
        .send()
        .await
        .expect("an answer");
    let status = answer.status();
    (status, answer.json().await.expect("a JSON body"))
}

#[tokio::test]
async fn known_references_are_accepted_with_their_source_and_unknown_ones_rejected() {
    let (platform, client) = platform().await;
    let (status, body) = send(
        &client,
        &platform,
        vec![row("a", &call_reference(1)), row("b", "CR-999999")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let results = body["results"].as_array().expect("results");
    assert_eq!(results[0]["status"], "accepted");
    assert_eq!(results[0]["marketing_source"], "Google Ads / Brand");
    assert_eq!(results[1]["status"], "rejected");
    assert_eq!(results[1]["message"], "unknown call reference 'CR-999999'");
    let stored = platform.state().accepted();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].transaction_reference.as_deref(), Some("SO-a"));
    platform.shutdown().await;
}

#[tokio::test]
async fn an_accepted_key_sent_again_is_answered_again_but_stored_once() {
    let (platform, client) = platform().await;
    let batch = vec![row("k1", &call_reference(2)), row("k2", &call_reference(3))];
    send(&client, &platform, batch.clone()).await;
    let (_, again) = send(&client, &platform, batch).await;
    assert_eq!(again["results"][0]["duplicate"], true);
    assert_eq!(again["results"][0]["status"], "accepted");
    assert_eq!(platform.state().accepted().len(), 2);
    assert_eq!(platform.state().stats().duplicates, 2);
    platform.shutdown().await;
}

#[tokio::test]
async fn a_rejected_row_may_come_again_corrected_under_its_key() {
    let (platform, client) = platform().await;
    let (_, first) = send(&client, &platform, vec![row("r", "CR-000000")]).await;
    assert_eq!(first["results"][0]["status"], "rejected");
    platform.state().add_references([SeededReference {
        kind: ReferenceKind::CallReference,
        value: "CR-000000".into(),
        source: "Radio".into(),
    }]);
    let (_, second) = send(&client, &platform, vec![row("r", "CR-000000")]).await;
    assert_eq!(second["results"][0]["status"], "accepted");
    assert_eq!(second["results"][0]["marketing_source"], "Radio");
    assert_eq!(platform.state().accepted().len(), 1);
    platform.shutdown().await;
}

#[tokio::test]
async fn malformed_values_are_rejected_naming_the_field() {
    let (platform, client) = platform().await;
    let mut bad_currency = row("c", &call_reference(1));
    bad_currency["transaction_currency"] = json!("gbp");
    let mut bad_amount = row("d", &call_reference(1));
    bad_amount["transaction_amount"] = json!("lots");
    let mut zoned = row("e", &call_reference(1));
    zoned["date_time"] = json!("2026-12-04T10:15:00+01:00");
    let mut visitor = row("f", "");
    visitor["visitor_id"] = json!("VID-000004");
    let (_, body) = send(
        &client,
        &platform,
        vec![bad_currency, bad_amount, zoned, visitor],
    )
    .await;
    let messages: Vec<&Value> = body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| &r["message"])
        .collect();
    assert_eq!(
        messages[0],
        "transaction_currency 'gbp' is not an ISO 4217 code"
    );
    assert_eq!(messages[1], "transaction_amount 'lots' is not a number");
    assert!(
        messages[2]
            .as_str()
            .is_some_and(|m| m.starts_with("date_time")),
        "{}",
        messages[2]
    );
    assert_eq!(body["results"][3]["status"], "accepted");
    assert_eq!(body["results"][3]["marketing_source"], "Email newsletter");
    platform.shutdown().await;
}

#[tokio::test]
async fn a_missing_or_wrong_token_and_a_malformed_batch_are_refused() {
    let (platform, client) = platform().await;
    let url = format!("{}/v1/conversions", platform.base_url());
    let batch = json!({ "conversions": [row("t", &call_reference(1))] });
    let none = client.post(&url).json(&batch).send().await.expect("answer");
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let wrong = client
        .post(&url)
        .bearer_auth("nope")
        .json(&batch)
        .send()
        .await
        .expect("answer");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let malformed = client
        .post(&url)
        .bearer_auth("token")
        .header("content-type", "application/json")
        .body("{\"conversions\": 3}")
        .send()
        .await
        .expect("answer");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(platform.state().accepted().len(), 0);
    assert_eq!(platform.state().stats().unauthorized, 2);
    platform.shutdown().await;
}

#[tokio::test]
async fn faults_refuse_with_retry_after_or_lose_a_stored_batch_s_answer() {
    let (platform, client) = platform().await;
    let admin = format!("{}/_admin/faults", platform.base_url());
    let set = client
        .post(&admin)
        .json(&Faults {
            fail_next: 1,
            status: 429,
            retry_after_seconds: Some(3),
            lose_next: 1,
            ..Faults::default()
        })
        .send()
        .await
        .expect("answer");
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    let batch = vec![row("x", &call_reference(5))];

    let (refused, _) = send(&client, &platform, batch.clone()).await;
    assert_eq!(refused, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(platform.state().accepted().len(), 0);

    let (lost, _) = send(&client, &platform, batch.clone()).await;
    assert_eq!(lost, StatusCode::BAD_GATEWAY);
    assert_eq!(
        platform.state().accepted().len(),
        1,
        "stored before the answer was lost"
    );

    let (ok, body) = send(&client, &platform, batch).await;
    assert_eq!(ok, StatusCode::OK);
    assert_eq!(body["results"][0]["duplicate"], true);
    let stats: Value = client
        .get(format!("{}/_admin/stats", platform.base_url()))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["requests"], 3);
    assert_eq!(stats["refused_by_fault"], 1);
    assert_eq!(stats["answers_lost"], 1);
    assert_eq!(stats["accepted"], 1);
    assert_eq!(platform.state().accepted()[0].idempotency_key, "x");
    assert!(matches!(
        platform.state().stats(),
        call_tracking_fake::Stats { duplicates: 1, .. }
    ));
    platform.shutdown().await;
}
