//! Connect, Reconfirm Login, Reset and fields against the fake Infor CRM.

use crate::support::{
    INSECURE_LOOPBACK_URL, TestApp, assert_problem, json, loopback_addresses_only,
    ports::closed_port,
    spawn_app, spawn_app_configured,
    world::{connect_body, fake_crm},
};
use listbridge::{
    app::Services,
    store::{AccountId, ConnectorId, entity::connector},
};
use sea_orm::EntityTrait;
use serde_json::json;

/// A password distinctive enough to search for in responses and files.
const PASSWORD: &str = "Zq7-unGuessable-CRM-Pa55";

/// How many connector rows exist, across all accounts.
async fn connector_rows(app: &TestApp) -> usize {
    connector::Entity::find()
        .all(&app.raw_db().await)
        .await
        .unwrap()
        .len()
}

fn assert_no_password(text: &str) {
    assert!(!text.contains(PASSWORD), "the CRM password leaked: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_verifies_then_stores_the_password_encrypted_only() {
    let (app, crm) = (spawn_app().await, fake_crm(PASSWORD).await);
    let key = app.create_account("acme").await;

    let response = app
        .post(
            "/v1/connectors",
            &key,
            &connect_body(&crm.base_url(), PASSWORD),
        )
        .await;
    let (status, created) = json(response).await;
    assert_eq!(status, 201, "{created}");
    assert_no_password(&created.to_string());
    assert_eq!(created["status"], "connected");
    assert_eq!(created["kind"], "infor-crm");
    assert!(
        created["crm_user"]["id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{created}"
    );
    assert!(created["last_verified_at"].is_string());
    let id = created["id"].as_str().unwrap().to_string();

    let (status, one) = json(app.get(&format!("/v1/connectors/{id}"), &key).await).await;
    assert_eq!(status, 200);
    assert_eq!(one["id"], id.as_str());
    let (_, all) = json(app.get("/v1/connectors", &key).await).await;
    assert_eq!(all.as_array().map(Vec::len), Some(1));
    assert_no_password(&one.to_string());
    assert_no_password(&all.to_string());

    // At rest: ciphertext that opens only with the master key and this row's id.
    let rows = connector::Entity::find()
        .all(&app.raw_db().await)
        .await
        .unwrap();
    let sealed = rows[0].password_encrypted.clone().expect("password stored");
    assert!(
        !sealed
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes())
    );
    let opened = app.state.cipher.decrypt(&sealed, &id).unwrap();
    assert_eq!(secrecy::ExposeSecret::expose_secret(&opened), PASSWORD);
    if let Some(bytes) = app.sqlite_bytes() {
        assert!(
            !bytes
                .windows(PASSWORD.len())
                .any(|w| w == PASSWORD.as_bytes())
        );
    }

    // The engine's seam: a live connector for the stored id.
    let account = AccountId::from_db(&rows[0].account_id).unwrap();
    let live = app
        .state
        .connectors()
        .open(account, id.parse::<ConnectorId>().unwrap())
        .await;
    assert!(live.expect("stored connector opens").verify().await.is_ok());
    crm.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_unreachable_host_and_non_sdata_url_fail_clearly_and_save_nothing() {
    let app = spawn_app_configured(Services::default(), loopback_addresses_only).await;
    let crm = fake_crm(PASSWORD).await;
    let key = app.create_account("acme").await;

    let wrong = app
        .post(
            "/v1/connectors",
            &key,
            &connect_body(&crm.base_url(), "nope"),
        )
        .await;
    let body = assert_problem(wrong, 422, "crm_login_failed").await;
    assert!(!body.to_string().contains("nope\""), "{body}");

    // A port nobody listens on, held for the rest of the test.
    let (_held, closed) = closed_port();
    let unreachable = app
        .post(
            "/v1/connectors",
            &key,
            &connect_body(&format!("http://{closed}"), PASSWORD),
        )
        .await;
    let body = assert_problem(unreachable, 422, "crm_unreachable").await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(&closed.to_string()),
        "{body}"
    );

    // listbridge itself answers HTTP, but is no SData endpoint.
    let not_sdata = app
        .post(
            "/v1/connectors",
            &key,
            &connect_body(&app.base_url, PASSWORD),
        )
        .await;
    assert_problem(not_sdata, 422, "not_crm_endpoint").await;

    let insecure = app
        .post(
            "/v1/connectors",
            &key,
            &connect_body(INSECURE_LOOPBACK_URL, PASSWORD),
        )
        .await;
    assert_problem(insecure, 422, "insecure_url").await;
    let unknown = app
        .post(
            "/v1/connectors",
            &key,
            &json!({"kind": "nosuchcrm", "base_url": crm.base_url(), "username": "a", "password": "b"}),
        )
        .await;
    assert_problem(unknown, 422, "unknown_kind").await;

    assert_eq!(
        connector_rows(&app).await,
        0,
        "a failed connect saved something"
    );
    let (_, all) = json(app.get("/v1/connectors", &key).await).await;
    assert_eq!(all, json!([]));
    crm.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconfirm_reset_and_fields() {
    let (app, crm) = (spawn_app().await, fake_crm(PASSWORD).await);
    let key = app.create_account("acme").await;
    let (_, created) = json(
        app.post(
            "/v1/connectors",
            &key,
            &connect_body(&crm.base_url(), PASSWORD),
        )
        .await,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let path = |suffix: &str| format!("/v1/connectors/{id}{suffix}");

    let again = app
        .post(
            "/v1/connectors",
            &key,
            &connect_body(&crm.base_url(), PASSWORD),
        )
        .await;
    assert_problem(again, 409, "already_connected").await;

    let (status, fields) = json(app.get(&path("/fields?entity=lead"), &key).await).await;
    assert_eq!(status, 200, "{fields}");
    let names: Vec<&str> = fields
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert!(
        names.contains(&"LastName") && names.contains(&"Email"),
        "{names:?}"
    );
    let score = fields
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "LeadScore")
        .expect("custom field");
    assert_eq!(score["custom"], true);
    assert_problem(
        app.get(&path("/fields?entity=planet"), &key).await,
        400,
        "bad_request",
    )
    .await;

    // A failed reconfirm changes nothing.
    let failed = app
        .post(&path("/reconfirm"), &key, &json!({"password": "wrong"}))
        .await;
    assert_problem(failed, 422, "crm_login_failed").await;
    let (_, still) = json(app.get(&path(""), &key).await).await;
    assert_eq!(still["status"], "connected");

    let (status, reset) = json(app.post(&path("/reset"), &key, &json!({})).await).await;
    assert_eq!(
        (status, reset["status"].as_str()),
        (200, Some("reset")),
        "{reset}"
    );
    let rows = connector::Entity::find()
        .all(&app.raw_db().await)
        .await
        .unwrap();
    assert!(
        rows[0].password_encrypted.is_none(),
        "reset kept the password"
    );
    assert_problem(
        app.get(&path("/fields?entity=contact"), &key).await,
        409,
        "connector_reset",
    )
    .await;

    let (status, back) = json(
        app.post(
            &path("/reconfirm"),
            &key,
            &json!({"username": "Admin", "password": PASSWORD}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{back}");
    assert_eq!(
        (back["status"].as_str(), back["username"].as_str()),
        (Some("connected"), Some("Admin"))
    );
    assert_no_password(&back.to_string());
    let (status, _) = json(app.get(&path("/fields?entity=contact"), &key).await).await;
    assert_eq!(status, 200);
    crm.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectors_are_private_to_their_account() {
    let (app, crm) = (spawn_app().await, fake_crm(PASSWORD).await);
    let acme = app.create_account("acme").await;
    let globex = app.create_account("globex").await;
    let (_, created) = json(
        app.post(
            "/v1/connectors",
            &acme,
            &connect_body(&crm.base_url(), PASSWORD),
        )
        .await,
    )
    .await;
    let id = created["id"].as_str().unwrap();

    assert_problem(
        app.get(&format!("/v1/connectors/{id}"), &globex).await,
        404,
        "not_found",
    )
    .await;
    let reset = app
        .post(&format!("/v1/connectors/{id}/reset"), &globex, &json!({}))
        .await;
    assert_problem(reset, 404, "not_found").await;
    let (_, theirs) = json(app.get("/v1/connectors", &globex).await).await;
    assert_eq!(theirs, json!([]));
    let (_, mine) = json(app.get(&format!("/v1/connectors/{id}"), &acme).await).await;
    assert_eq!(mine["status"], "connected");
    crm.shutdown().await;
}
