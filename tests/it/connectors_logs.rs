//! What the service logs, captured whole (the service's own events, the connector's
//! request spans, the HTTP and database stacks): the CRM password never appears during
//! Connect and Reconfirm Login through the API, at any level, and an email looked up in
//! the CRM (`find_by_email`, here by a form delivery) never appears at info level.
//!
//! Read from two captures (`support::logs`): everything at TRACE, and what a default
//! `info` deployment would write.

use crate::support::services::fast_services;
use crate::support::world::{connect_body, crm_config, world_with};
use crate::support::{assert_problem, json, logs, spawn_app};
use base64::Engine as _;
use infor_crm_fake::{FakeConfig, FakeCrm, Kind};
use serde_json::json;

/// The ways a secret could show: as typed, and inside a Basic `Authorization` header.
fn forms_of(user: &str, password: &str) -> Vec<String> {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    vec![password.to_string(), basic]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_and_reconfirm_never_log_the_password() {
    let captured = logs::capture();
    const RIGHT: &str = "Lb-trace-SECRET-right-7Qx";
    const WRONG: &str = "Lb-trace-SECRET-wrong-3Kp";
    let crm = FakeCrm::start(FakeConfig {
        leads: 2,
        password: RIGHT.into(),
        ..FakeConfig::default()
    })
    .await
    .expect("fake CRM starts");
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let body = |password: &str| connect_body(&crm.base_url(), password);

    let refused = app.post("/v1/connectors", &key, &body(WRONG)).await;
    assert_problem(refused, 422, "crm_login_failed").await;
    let (status, created) = json(app.post("/v1/connectors", &key, &body(RIGHT)).await).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id");
    let reconfirm = |password: &str| {
        let path = format!("/v1/connectors/{id}/reconfirm");
        let body = json!({"username": "admin", "password": password});
        let app = &app;
        let key = &key;
        async move { app.post(&path, key, &body).await }
    };
    assert_problem(reconfirm(WRONG).await, 422, "crm_login_failed").await;
    let (status, back) = json(reconfirm(RIGHT).await).await;
    assert_eq!(status, 200, "{back}");
    let (status, _) = json(
        app.get(&format!("/v1/connectors/{id}/fields?entity=lead"), &key)
            .await,
    )
    .await;
    assert_eq!(status, 200);

    let logged = captured.all();
    // The capture holds the service's events and the connector's spans, not only one side.
    for expected in [
        "connector connected",
        "connector login reconfirmed",
        "request finished",
        "sdata_request",
        "getCurrentUser",
    ] {
        assert!(logged.contains(expected), "{expected} was not logged");
    }
    for secret in forms_of("admin", RIGHT)
        .into_iter()
        .chain(forms_of("admin", WRONG))
    {
        assert!(
            !logged.contains(&secret),
            "a password (or its Basic header) was logged: {secret}"
        );
    }
    crm.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_looked_up_in_the_crm_are_not_logged_at_info() {
    let captured = logs::capture();
    let w = world_with(crm_config(3, 3), fast_services()).await;
    let existing = w
        .crm
        .state()
        .records(Kind::Lead)
        .into_iter()
        .find_map(|r| r.text("Email").map(str::to_string))
        .expect("a lead with an email");
    let new = "Zed.Logged-Never@Example.org".to_string();
    let (form_id, path) = w.create_contact_form("Contact us").await;
    for email in [&existing, &new] {
        let response = w
            .post_form_data(
                &path,
                &[
                    ("email", email.as_str()),
                    ("first_name", "Zed"),
                    ("last_name", "Logs"),
                    ("company", "Quiet Co"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303);
    }
    w.wait_all_delivered(&form_id, 2).await;
    let leads_with_new = w.leads_with_email(&new);
    assert_eq!(leads_with_new, 1, "the new email became a lead");

    let at_info = captured.info();
    let everything = captured.all();
    for expected in ["form submission delivered", "sdata_request", "leads"] {
        assert!(at_info.contains(expected), "{expected} was not logged");
    }
    assert!(
        everything.len() > at_info.len(),
        "the TRACE capture sees more than the info one"
    );
    for email in [&existing, &new] {
        let cases = [email.clone(), email.to_lowercase(), email.to_uppercase()];
        let encoded = cases.clone().map(|e| e.replace('@', "%40"));
        for form in cases.into_iter().chain(encoded) {
            assert!(
                !at_info.contains(&form),
                "an email looked up in the CRM was logged at info: {form}"
            );
        }
    }
    w.crm.shutdown().await;
}
