//! `/v1/alert-channels`: secrets are write-only, another account's channel is 404, a
//! private address without the allowance is refused with a message, and *Send a test
//! alert* answers 200 with what the server said or 502 in its words.

use serde_json::{Value, json};

use crate::support::{
    assert_problem, json as read_json, services::api_only, smtp::SmtpSink, spawn_app,
    spawn_app_configured, webhook::WebhookReceiver, world::account_of,
};

const PASSWORD: &str = "smtp-pw-hunter2";
const SECRET: &str = "hook-secret-hunter3";

fn email_channel(port: u16) -> Value {
    json!({ "name": "Mail", "email": {
        "host": "127.0.0.1", "port": port, "tls": "none", "username": "bot",
        "password": PASSWORD, "from": "lb@example.com", "to": ["a@example.com", "b@example.com"] } })
}

#[tokio::test]
async fn alerts_channels_never_show_secrets_and_are_per_account() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let other = app.create_account("other").await;

    let (status, mail) = read_json(
        app.post("/v1/alert-channels", &key, &email_channel(2525))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{mail}");
    assert_eq!(mail["kind"], "email");
    assert_eq!(mail["email"]["password_set"], true);
    let hook_body = json!({ "name": "Hook", "webhook": { "url": "http://127.0.0.1:9/hook", "secret": SECRET } });
    let (status, hook) = read_json(app.post("/v1/alert-channels", &key, &hook_body).await).await;
    assert_eq!(status, 201, "{hook}");
    assert_eq!(hook["webhook"]["secret_set"], true);

    let id = mail["id"].as_str().expect("id");
    for path in [
        "/v1/alert-channels".to_string(),
        format!("/v1/alert-channels/{id}"),
    ] {
        let (status, body) = read_json(app.get(&path, &key).await).await;
        assert_eq!(status, 200, "{body}");
        let text = body.to_string();
        assert!(!text.contains(PASSWORD) && !text.contains(SECRET), "{text}");
    }

    let (status, changed) = read_json(
        app.patch(
            &format!("/v1/alert-channels/{id}"),
            &key,
            &json!({ "name": "Mail 2", "email": { "port": 2526 } }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["email"]["port"], 2526);
    assert_eq!(
        changed["email"]["password_set"], true,
        "a password left out is kept"
    );
    let array = json!({ "webhook": [null, null] });
    let response = app
        .patch(&format!("/v1/alert-channels/{id}"), &key, &array)
        .await;
    assert_problem(response, 422, "invalid_body").await;
    let response = app
        .patch(
            &format!("/v1/alert-channels/{id}"),
            &key,
            &json!({ "webhook": { "url": "https://x.example.com" } }),
        )
        .await;
    assert_problem(response, 422, "invalid_value").await;

    let account = account_of(&app, &key).await;
    let channel_id = id.parse().expect("channel id");
    let stored = app
        .state
        .store
        .alert_channels()
        .get(account, channel_id)
        .await
        .expect("read")
        .expect("stored");
    let sealed = stored.secret_encrypted.expect("a sealed password");
    assert!(
        !sealed
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes()),
        "encrypted at rest"
    );
    assert!(!stored.settings.contains(PASSWORD), "{}", stored.settings);
    for (method, path) in [
        ("GET", format!("/v1/alert-channels/{id}")),
        ("DELETE", format!("/v1/alert-channels/{id}")),
        ("POST", format!("/v1/alert-channels/{id}/test")),
    ] {
        let response = match method {
            "GET" => app.get(&path, &other).await,
            "DELETE" => app.delete(&path, &other).await,
            _ => app.post(&path, &other, &json!({})).await,
        };
        assert_problem(response, 404, "not_found").await;
    }
    let (status, listed) = read_json(app.get("/v1/alert-channels", &other).await).await;
    assert_eq!((status, listed), (200, json!([])));

    assert_eq!(
        app.delete(&format!("/v1/alert-channels/{id}"), &key)
            .await
            .status(),
        204
    );
    assert_problem(
        app.get(&format!("/v1/alert-channels/{id}"), &key).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn alerts_private_addresses_are_refused_without_the_allowance() {
    let app = spawn_app_configured(api_only(), |config| {
        config.allow_private_hosts = listbridge_connector::AllowList::none();
    })
    .await;
    let key = app.create_account("acme").await;

    let hook = json!({ "name": "Hook", "webhook": { "url": "https://127.0.0.1:9/hook", "secret": SECRET } });
    let problem = assert_problem(
        app.post("/v1/alert-channels", &key, &hook).await,
        422,
        "address_not_allowed",
    )
    .await;
    assert!(
        problem["message"]
            .as_str()
            .unwrap_or_default()
            .contains("allow_private_hosts"),
        "{problem}"
    );

    let mail = json!({ "name": "Mail", "email": {
        "host": "127.0.0.1", "port": 25, "from": "lb@example.com", "to": ["a@example.com"] } });
    assert_problem(
        app.post("/v1/alert-channels", &key, &mail).await,
        422,
        "address_not_allowed",
    )
    .await;

    let plain = json!({ "name": "Mail", "email": {
        "host": "smtp.example.com", "tls": "none", "from": "lb@example.com", "to": ["a@example.com"] } });
    let problem = assert_problem(
        app.post("/v1/alert-channels", &key, &plain).await,
        422,
        "invalid_value",
    )
    .await;
    assert_eq!(problem["details"]["field"], "email.tls", "{problem}");
    let (_, listed) = read_json(app.get("/v1/alert-channels", &key).await).await;
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn alerts_test_action_sends_now_or_answers_502_in_the_servers_words() {
    let smtp = SmtpSink::start().await;
    let receiver = WebhookReceiver::start().await;
    let app = spawn_app_configured(api_only(), |_| {}).await;
    let key = app.create_account("acme").await;

    let (_, mail) = read_json(
        app.post("/v1/alert-channels", &key, &email_channel(smtp.port))
            .await,
    )
    .await;
    let (status, sent) = read_json(
        app.post(
            &format!(
                "/v1/alert-channels/{}/test",
                mail["id"].as_str().expect("id")
            ),
            &key,
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["sent"], true);
    let got = smtp.messages();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].to,
        vec!["a@example.com".to_string(), "b@example.com".to_string()]
    );
    assert!(got[0].data.contains("Test alert"), "{}", got[0].data);
    assert!(got[0].data.contains("'Mail'"), "{}", got[0].data);
    assert!(got[0].auth.is_some(), "the SMTP login was used");

    let hook_body = json!({ "name": "Hook", "webhook": { "url": receiver.url, "secret": SECRET } });
    let (_, hook) = read_json(app.post("/v1/alert-channels", &key, &hook_body).await).await;
    let path = format!(
        "/v1/alert-channels/{}/test",
        hook["id"].as_str().expect("id")
    );
    let (status, sent) = read_json(app.post(&path, &key, &json!({})).await).await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(receiver.hooks()[0].json()["event"], "test");

    let nobody = json!({ "name": "Nobody", "webhook": { "url": "http://127.0.0.1:1/hook", "secret": SECRET } });
    let (_, nobody) = read_json(app.post("/v1/alert-channels", &key, &nobody).await).await;
    let nobody = format!(
        "/v1/alert-channels/{}/test",
        nobody["id"].as_str().expect("id")
    );
    assert_problem(
        app.post(&nobody, &key, &json!({})).await,
        422,
        "alert_unreachable",
    )
    .await;

    receiver.answer(503);
    let problem = assert_problem(
        app.post(&path, &key, &json!({})).await,
        502,
        "alert_not_delivered",
    )
    .await;
    let message = problem["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("503") && message.contains("receiver says no"),
        "{problem}"
    );
    assert!(!problem.to_string().contains(SECRET), "{problem}");
}
