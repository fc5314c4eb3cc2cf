//! Lookup keys of the phone-system lookup URL (`/v1/lookup-keys` and
//! `callers::keys::authenticate`): a key is shown once and never listed, is stored only
//! as its hash, authenticates its own account until revoked, may require the
//! `X-Lookup-Secret` header, and another account's key id answers 404.

use listbridge::callers::keys::{LookupKeyError, authenticate};
use serde_json::json;

use crate::support::{TestApp, assert_problem, json, spawn_app};

/// Creates a lookup key through the API; returns the whole answer.
async fn create_key(app: &TestApp, api_key: &str, body: serde_json::Value) -> serde_json::Value {
    let (status, created) = json(app.post("/v1/lookup-keys", api_key, &body).await).await;
    assert_eq!(status, 201, "{created}");
    created
}

/// The id of the API key's account.
async fn account_id(app: &TestApp, api_key: &str) -> String {
    let (_, account) = json(app.get("/v1/account", api_key).await).await;
    account["id"].as_str().expect("account id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_shown_once_never_listed_and_refused_once_revoked() {
    let app = spawn_app().await;
    let api_key = app.create_account("acme").await;
    let created = create_key(&app, &api_key, json!({ "name": "PBXware main" })).await;
    let key = created["lookup_key"]
        .as_str()
        .expect("key shown")
        .to_string();
    let id = created["id"].as_str().expect("id").to_string();
    assert!(key.starts_with("lk_") && key.len() > 40, "{key}");
    assert!(
        created.get("secret").is_none(),
        "no secret asked: {created}"
    );

    let listed = app
        .get("/v1/lookup-keys", &api_key)
        .await
        .text()
        .await
        .expect("body");
    assert!(!listed.contains(&key), "the key is never listed: {listed}");
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("json");
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["name"], "PBXware main");
    assert_eq!(listed[0]["requires_secret"], false);
    assert!(key.starts_with(listed[0]["prefix"].as_str().expect("prefix")));
    if let Some(bytes) = app.sqlite_bytes() {
        let stored = String::from_utf8_lossy(&bytes);
        assert!(!stored.contains(&key), "only the key's hash is stored");
    }

    let auth = authenticate(&app.state.store, &key, None)
        .await
        .expect("a live key authenticates");
    assert_eq!(
        auth.account_id.to_string(),
        account_id(&app, &api_key).await
    );
    assert_eq!(auth.key_id.to_string(), id);
    assert_eq!(auth.dtmf_field, None);

    let revoked = app.delete(&format!("/v1/lookup-keys/{id}"), &api_key).await;
    assert_eq!(revoked.status(), 204);
    let err = authenticate(&app.state.store, &key, None)
        .await
        .expect_err("a revoked key is refused");
    assert!(matches!(err, LookupKeyError::NotValid), "{err:?}");
    assert_eq!(
        err.to_string(),
        "This lookup key is not valid (revoked or unknown)"
    );
    let (_, listed) = json(app.get("/v1/lookup-keys", &api_key).await).await;
    assert_eq!(listed, json!([]));
    assert_problem(
        app.delete(&format!("/v1/lookup-keys/{id}"), &api_key).await,
        404,
        "not_found",
    )
    .await;

    for unknown in ["lk_unknown", "", "not a key", &key[..key.len() - 1]] {
        let err = authenticate(&app.state.store, unknown, None)
            .await
            .expect_err("unknown keys are refused");
        assert!(
            matches!(err, LookupKeyError::NotValid),
            "{unknown}: {err:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_with_a_secret_needs_the_header_with_exactly_that_secret() {
    let app = spawn_app().await;
    let api_key = app.create_account("acme").await;
    let created = create_key(
        &app,
        &api_key,
        json!({ "name": "IPVoice", "require_secret": true, "dtmf_field": "AccountNumber" }),
    )
    .await;
    let key = created["lookup_key"].as_str().expect("key");
    let secret = created["secret"].as_str().expect("secret shown once");
    assert_eq!(created["dtmf_field"], "AccountNumber");

    let missing = authenticate(&app.state.store, key, None)
        .await
        .expect_err("no header");
    assert!(
        matches!(missing, LookupKeyError::SecretMissing),
        "{missing:?}"
    );
    assert!(missing.to_string().contains("X-Lookup-Secret"), "{missing}");
    for wrong in [
        "",
        "lks_wrong",
        &secret[..secret.len() - 1],
        &format!("{secret}x"),
    ] {
        let err = authenticate(&app.state.store, key, Some(wrong))
            .await
            .expect_err("wrong secret");
        assert!(
            matches!(
                err,
                LookupKeyError::SecretWrong | LookupKeyError::SecretMissing
            ),
            "{wrong}: {err:?}"
        );
        assert!(err.to_string().contains("X-Lookup-Secret"), "{err}");
    }
    let auth = authenticate(&app.state.store, key, Some(secret))
        .await
        .expect("the right secret");
    assert_eq!(auth.dtmf_field.as_deref(), Some("AccountNumber"));

    let (_, listed) = json(app.get("/v1/lookup-keys", &api_key).await).await;
    assert_eq!(listed[0]["requires_secret"], true);
    assert!(
        !listed.to_string().contains(secret),
        "the secret is never listed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_names_are_refused_and_another_accounts_key_is_not_found() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let other = app.create_account("other").await;
    for (body, code) in [
        (json!({ "name": "  " }), "invalid_name"),
        (json!({ "name": "x".repeat(101) }), "invalid_name"),
        (
            json!({ "name": "ok", "dtmf_field": "Account Number" }),
            "invalid_field",
        ),
        (json!({ "name": "ok", "colour": "red" }), "invalid_body"),
    ] {
        let problem =
            assert_problem(app.post("/v1/lookup-keys", &acme, &body).await, 422, code).await;
        if code == "invalid_field" {
            assert!(
                problem["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("dtmf_field")),
                "{problem}"
            );
        }
    }

    let created = create_key(&app, &acme, json!({ "name": "acme's" })).await;
    let id = created["id"].as_str().expect("id");
    assert_problem(
        app.delete(&format!("/v1/lookup-keys/{id}"), &other).await,
        404,
        "not_found",
    )
    .await;
    let (_, theirs) = json(app.get("/v1/lookup-keys", &other).await).await;
    assert_eq!(theirs, json!([]));
    let auth = authenticate(
        &app.state.store,
        created["lookup_key"].as_str().expect("key"),
        None,
    )
    .await
    .expect("still valid");
    assert_eq!(auth.account_id.to_string(), account_id(&app, &acme).await);
}
