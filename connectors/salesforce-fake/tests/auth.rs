//! OAuth: the client credentials and JWT bearer flows, refused credentials, and expired
//! or missing sessions.
mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use salesforce_fake::FakeConfig;
use serde_json::{Value, json};

async fn token(h: &Harness, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = send(
        h.client
            .post(format!("{}/services/oauth2/token", h.base))
            .form(form),
    )
    .await;
    let status = resp.status().as_u16();
    (status, body_json(resp).await)
}

fn jwt(claims: Value) -> String {
    let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.c2lnbmF0dXJl",
        enc(&json!({"alg": "RS256"})),
        enc(&claims)
    )
}

#[tokio::test]
async fn client_credentials_issue_a_bearer_token_for_the_instance() {
    let h = start(FakeConfig::default()).await;
    let (status, body) = token(
        &h,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["instance_url"], json!(h.base));
    assert!(
        body["issued_at"]
            .as_str()
            .is_some_and(|t| t.parse::<i64>().is_ok())
    );
    assert!(body["signature"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(body["id"].as_str().is_some_and(|s| s.contains("/id/00D")));
    let resp = send(
        h.client
            .get(h.url("sobjects/Lead/describe"))
            .bearer_auth(body["access_token"].as_str().unwrap_or("")),
    )
    .await;
    assert_eq!(resp.status(), 200);
    h.sf.shutdown().await;
}

#[tokio::test]
async fn bad_credentials_get_oauth_errors() {
    let h = start(FakeConfig::default()).await;
    let cases = [
        (("demo-client", "wrong"), "invalid_client"),
        (("nobody", "demo-secret"), "invalid_client_id"),
    ];
    for ((id, secret), want) in cases {
        let (status, body) = token(
            &h,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ],
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], want, "{body}");
        assert!(body["error_description"].is_string());
    }
    let (status, body) = token(&h, &[("grant_type", "password")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    h.sf.shutdown().await;
}

#[tokio::test]
async fn the_jwt_bearer_flow_checks_issuer_subject_audience_and_expiry() {
    let h = start(FakeConfig::default()).await;
    let exp = chrono::Utc::now().timestamp() + 180;
    let grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    let good = json!({"iss": "demo-client", "sub": "integration@listbridge.example",
        "aud": "https://login.salesforce.com", "exp": exp});
    let (status, body) = token(
        &h,
        &[("grant_type", grant), ("assertion", &jwt(good.clone()))],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());
    let mut cases = Vec::new();
    let mut c = good.clone();
    c["iss"] = json!("other");
    cases.push((c, "invalid_client_id"));
    let mut c = good.clone();
    c["aud"] = json!("https://example.com");
    cases.push((c, "invalid_grant"));
    let mut c = good.clone();
    c["exp"] = json!(exp - 3600);
    cases.push((c, "invalid_grant"));
    let mut c = good.clone();
    c["sub"] = json!("someone@else.example");
    cases.push((c, "invalid_grant"));
    for (claims, want) in cases {
        let (status, body) = token(
            &h,
            &[("grant_type", grant), ("assertion", &jwt(claims.clone()))],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(want)),
            "{claims}"
        );
    }
    let (status, body) = token(&h, &[("grant_type", grant), ("assertion", "not-a-jwt")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    h.sf.shutdown().await;
}

#[tokio::test]
async fn missing_expired_and_revoked_sessions_are_401_invalid_session_id() {
    let h = start(FakeConfig {
        now: Some(chrono::Utc::now()),
        token_ttl_secs: 60,
        ..FakeConfig::default()
    })
    .await;
    let resp = send(h.client.get(h.url("sobjects/Lead/describe"))).await;
    assert_eq!(resp.status(), 401);
    assert_eq!(error_code(&body_json(resp).await), "INVALID_SESSION_ID");
    assert_eq!(send(h.get("limits")).await.status(), 200);
    h.sf.state().clock().advance(chrono::TimeDelta::seconds(61));
    let resp = send(h.get("limits")).await;
    assert_eq!(resp.status(), 401, "the token outlived its lifetime");
    let body = body_json(resp).await;
    assert_eq!(
        body,
        json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    );
    let fresh = h.login().await;
    let ok = send(h.client.get(h.url("limits")).bearer_auth(&fresh)).await;
    assert_eq!(ok.status(), 200);
    let (status, _) = h.admin_post("expire-tokens", json!({})).await;
    assert_eq!(status, 200);
    let gone = send(h.client.get(h.url("limits")).bearer_auth(&fresh)).await;
    assert_eq!(gone.status(), 401);
    h.sf.shutdown().await;
}
