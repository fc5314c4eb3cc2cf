//! The outbound guard end to end, on loopback only: a service started without the
//! loopback allowance refuses the fake CRM's loopback address (as an IP literal, and as
//! `localhost` through the resolver hook) with one message and sends it nothing; a
//! stored connector whose URL the settings no longer allow is refused when opened; and
//! Connect / Reconfirm Login are rate limited per account. Every other test connects to
//! its fake CRM over plain http:// to loopback, which `test_config` allows.
//!
//! Refusals of private and link-local addresses are tested in the SDK
//! (`listbridge_connector::outbound`), with a lookup double that answers without DNS:
//! nothing here sends a byte beyond this machine, even if the guard were broken.

use infor_crm_fake::FakeCrm;
use listbridge::{
    app::Services,
    connectors::{ConnectError, ConnectorService, UrlPolicyError},
    store::{AccountId, ConnectorId, Role, entity::connector},
};
use listbridge_connector::{AllowList, OutboundError, OutboundGuard};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::support::{
    TestApp, assert_problem, json as read_json, spawn_app, spawn_app_configured,
    world::{connect_body, fake_crm},
};

const PASSWORD: &str = "password";

/// What the fake CRM counted: every `/sdata` request it received.
async fn crm_requests(crm: &FakeCrm) -> u64 {
    let stats: Value = reqwest::get(format!("{}/_admin/stats", crm.base_url()))
        .await
        .expect("stats answer")
        .json()
        .await
        .expect("stats are JSON");
    stats["total"].as_u64().expect("a total")
}

/// A service with the default setting: nothing private allowed.
async fn app_allowing_nothing() -> TestApp {
    spawn_app_configured(Services::default(), |config| {
        config.allow_private_hosts = AllowList::none();
    })
    .await
}

/// The message with its leading `'URL'` cut off: the part that must not differ.
fn after_url(message: &str) -> &str {
    message
        .split_once("' is not an address")
        .map_or(message, |(_, rest)| rest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_guard_refuses_the_loopback_crm_without_the_allowance_and_sends_nothing() {
    let (app, crm) = (app_allowing_nothing().await, fake_crm(PASSWORD).await);
    let key = app.create_account("acme").await;
    let port = crm
        .base_url()
        .rsplit(':')
        .next()
        .expect("a port")
        .to_string();

    // The IP literal, refused before any request.
    let literal = app
        .post(
            "/v1/connectors",
            &key,
            &connect_body(&crm.base_url(), PASSWORD),
        )
        .await;
    let literal = assert_problem(literal, 422, "address_not_allowed").await;
    let literal_message = literal["message"].as_str().expect("a message").to_string();
    assert!(
        literal_message.starts_with(&format!("'{}/' is not an address", crm.base_url())),
        "{literal_message}"
    );
    assert!(
        literal_message.contains("allow_private_hosts"),
        "{literal_message}"
    );

    // A host name that resolves to loopback, refused by the resolver hook on connection
    // (https, so the http rule does not answer first): the same words.
    let by_name = app
        .post(
            "/v1/connectors",
            &key,
            &connect_body(&format!("https://localhost:{port}"), PASSWORD),
        )
        .await;
    let by_name = assert_problem(by_name, 422, "address_not_allowed").await;
    let by_name_message = by_name["message"].as_str().expect("a message");
    assert_eq!(after_url(by_name_message), after_url(&literal_message));
    assert!(
        !by_name_message.contains("could not be reached"),
        "nothing about what answered: {by_name_message}"
    );

    // Plain http to a name that is not allowed: refused by the http rule, before DNS.
    let insecure = app
        .post(
            "/v1/connectors",
            &key,
            &connect_body(&format!("http://localhost:{port}"), PASSWORD),
        )
        .await;
    assert_problem(insecure, 422, "insecure_url").await;

    assert_eq!(crm_requests(&crm).await, 0, "the fake CRM received nothing");
    let (_, all) = read_json(app.get("/v1/connectors", &key).await).await;
    assert_eq!(all, json!([]), "nothing was saved");
    crm.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_guard_refuses_a_stored_connector_the_settings_no_longer_allow() {
    let (app, crm) = (spawn_app().await, fake_crm(PASSWORD).await);
    let key = app.create_account("acme").await;
    let (status, created) = read_json(
        app.post(
            "/v1/connectors",
            &key,
            &connect_body(&crm.base_url(), PASSWORD),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id: ConnectorId = created["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("a connector id");
    let rows = connector::Entity::find()
        .all(&app.raw_db().await)
        .await
        .expect("connector rows");
    let account = AccountId::from_db(&rows[0].account_id).expect("the connector's account");
    let live = app.state.connectors();
    assert!(live.open(account, id).await.is_ok(), "allowed: it opens");
    let before = crm_requests(&crm).await;

    // The same stored row under settings without the loopback allowance (the connector
    // is cached by now: the check comes first all the same).
    let refusing = OutboundGuard::new(AllowList::none());
    let changed = ConnectorService {
        outbound: &refusing,
        ..live
    };
    let refused = changed.open(account, id).await.err();
    assert!(
        matches!(
            refused,
            Some(ConnectError::Url(UrlPolicyError::Refused(
                OutboundError::NotAllowed { .. }
            )))
        ),
        "{refused:?}"
    );
    assert_eq!(crm_requests(&crm).await, before, "nothing more was sent");
    crm.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_guard_rate_limits_connect_and_reconfirm_per_account() {
    let (app, crm) = (spawn_app().await, fake_crm(PASSWORD).await);
    let acme = app.create_account("acme").await;
    let globex = app.create_account("globex").await;

    // Attempts refused before any request still count: probing is what the limit stops.
    // (Not a URL at all, so nothing could be sent even if the check were broken.)
    let attempt = || connect_body("not a url", PASSWORD);
    for _ in 0..listbridge::connectors::ATTEMPTS_BURST {
        let refused = app.post("/v1/connectors", &acme, &attempt()).await;
        assert_problem(refused, 422, "invalid_url").await;
    }
    let limited = app.post("/v1/connectors", &acme, &attempt()).await;
    let body = assert_problem(limited, 429, "too_many_attempts").await;
    assert!(
        body["details"]["retry_after_seconds"]
            .as_u64()
            .is_some_and(|s| s >= 1),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("too many attempts to reach a CRM or server")),
        "{body}"
    );

    // Another account is unaffected: it connects, and its reconfirm works.
    let (status, created) = read_json(
        app.post(
            "/v1/connectors",
            &globex,
            &connect_body(&crm.base_url(), PASSWORD),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("an id");
    let reconfirm = format!("/v1/connectors/{id}/reconfirm");
    let (status, _) = read_json(
        app.post(&reconfirm, &globex, &json!({"password": PASSWORD}))
            .await,
    )
    .await;
    assert_eq!(status, 200);

    // Reconfirm Login draws on the same budget: acme's is spent.
    let theirs = app
        .post(&reconfirm, &acme, &json!({"password": PASSWORD}))
        .await;
    assert_problem(theirs, 429, "too_many_attempts").await;

    // Asking an SFTP server for its host key draws on it too, and sends nothing.
    let host_key = app
        .post(
            "/v1/conversion-exports/host-key",
            &acme,
            &json!({ "host": "127.0.0.1", "port": 9 }),
        )
        .await;
    assert_problem(host_key, 429, "too_many_attempts").await;

    // The console shows the same refusal on the Connect form.
    let console = app.signed_in("acme", "ann@acme.example", Role::Admin).await;
    let page = console
        .post(
            "/connectors",
            &[
                ("kind", "infor-crm"),
                ("base_url", &crm.base_url()),
                ("username", "admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 429, "{page:?}");
    page.assert_message(
        "connect-error",
        "too many attempts to reach a CRM or server",
    );
    crm.shutdown().await;
}
