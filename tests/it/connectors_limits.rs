//! CRM request budgets: the service's defaults (`LISTBRIDGE_CRM_*`) reach every live
//! connector, a connector may bring its own `rate_limit` on Connect, and values out of
//! range are refused before anything is saved.

use std::time::{Duration, Instant};

use crate::support::{TestApp, assert_problem, json, spawn_app, spawn_app_configured, world};
use listbridge::{
    app::Services,
    config::CrmLimits,
    store::{ConnectorId, entity::connector},
};
use listbridge_connector::{CrmConnector, EntityKind};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

fn connect_body(base_url: &str, rate_limit: Option<Value>) -> Value {
    let mut body = world::connect_body(base_url, "password");
    if let Some(rate_limit) = rate_limit {
        body["rate_limit"] = rate_limit;
    }
    body
}

/// Connects and returns the connector view and the live connector behind it.
async fn connect(
    app: &TestApp,
    key: &str,
    body: &Value,
) -> (Value, std::sync::Arc<dyn CrmConnector>) {
    let (status, view) = json(app.post("/v1/connectors", key, body).await).await;
    assert_eq!(status, 201, "{view}");
    let id: ConnectorId = view["id"].as_str().expect("id").parse().expect("uuid");
    let account = world::account_of(app, key).await;
    let live = app
        .state
        .connectors()
        .open(account, id)
        .await
        .expect("stored connector opens");
    (view, live)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_defaults_reach_every_connector() {
    let app = spawn_app_configured(Services::default(), |config| {
        config.crm = CrmLimits {
            requests_per_second: 4,
            burst: Some(2),
            concurrency: 2,
            timeout_seconds: 7,
            attempts: 3,
            ..CrmLimits::default()
        };
    })
    .await;
    let crm = world::fake_crm("password").await;
    let key = app.create_account("acme").await;
    let (view, live) = connect(&app, &key, &connect_body(&crm.base_url(), None)).await;
    assert_eq!(
        view["rate_limit"],
        json!({"requests_per_second": 4, "burst": 2, "concurrency": 2})
    );
    let debug = format!("{live:?}");
    for expected in [
        "requests_per_second: 4",
        "burst: 2",
        "concurrency: 2",
        "max_attempts: 3",
        "timeout: 7s",
    ] {
        assert!(debug.contains(expected), "{expected} not in {debug}");
    }

    // The budget holds: one schema request and 9 lookups at 4 per second take at least
    // (10 - 2) / 4 = 2 s however full the burst of 2 is when they start.
    let started = Instant::now();
    for i in 0..9 {
        live.get_by_keys(EntityKind::Lead, &[format!("LNONE{i:07}")], &[])
            .await
            .expect("lookup");
    }
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1950), "took {took:?}");
    crm.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_may_bring_its_own_rate_limit() {
    let app = spawn_app().await;
    let crm = world::fake_crm("password").await;
    let key = app.create_account("acme").await;
    let own = json!({"requests_per_second": 3, "concurrency": 1});
    let (view, live) = connect(&app, &key, &connect_body(&crm.base_url(), Some(own))).await;
    let expected = json!({"requests_per_second": 3, "burst": 3, "concurrency": 1});
    assert_eq!(view["rate_limit"], expected);
    let debug = format!("{live:?}");
    assert!(
        debug.contains("requests_per_second: 3, burst: 3, concurrency: 1"),
        "{debug}"
    );
    let defaults = CrmLimits::default();
    assert!(
        debug.contains(&format!("max_attempts: {}", defaults.attempts)),
        "the service's attempts still apply: {debug}"
    );

    let id = view["id"].as_str().expect("id");
    let (_, one) = json(app.get(&format!("/v1/connectors/{id}"), &key).await).await;
    assert_eq!(one["rate_limit"], expected);
    let rows = connector::Entity::find()
        .all(&app.raw_db().await)
        .await
        .expect("rows");
    assert_eq!(
        (
            rows[0].rate_limit_requests_per_second,
            rows[0].rate_limit_concurrency
        ),
        (Some(3), Some(1))
    );
    // Reconfirm Login keeps it.
    let (status, back) = json(
        app.post(
            &format!("/v1/connectors/{id}/reconfirm"),
            &key,
            &json!({"password": "password"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{back}");
    assert_eq!(back["rate_limit"], expected);

    // Only one of the two: the other comes from the service.
    let other = app.create_account("globex").await;
    let (view, _) = connect(
        &app,
        &other,
        &connect_body(&crm.base_url(), Some(json!({"concurrency": 9}))),
    )
    .await;
    assert_eq!(
        view["rate_limit"],
        json!({
            "requests_per_second": defaults.requests_per_second,
            "burst": defaults.requests_per_second,
            "concurrency": 9
        })
    );
    crm.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_out_of_range_is_refused_and_nothing_is_saved() {
    let app = spawn_app().await;
    let crm = world::fake_crm("password").await;
    let key = app.create_account("acme").await;
    for (rate_limit, field) in [
        (
            json!({"requests_per_second": 0}),
            "rate_limit.requests_per_second",
        ),
        (
            json!({"requests_per_second": 1001}),
            "rate_limit.requests_per_second",
        ),
        (json!({"concurrency": 0}), "rate_limit.concurrency"),
        (json!({"concurrency": 65}), "rate_limit.concurrency"),
    ] {
        let response = app
            .post(
                "/v1/connectors",
                &key,
                &connect_body(&crm.base_url(), Some(rate_limit.clone())),
            )
            .await;
        let body = assert_problem(response, 400, "invalid_rate_limit").await;
        assert!(body.to_string().contains(field), "{rate_limit}: {body}");
    }
    for malformed in [json!({"requests_per_second": -1}), json!({"burst": 3})] {
        let response = app
            .post(
                "/v1/connectors",
                &key,
                &connect_body(&crm.base_url(), Some(malformed.clone())),
            )
            .await;
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "{malformed}: {status}");
    }
    let rows = connector::Entity::find()
        .all(&app.raw_db().await)
        .await
        .expect("rows");
    assert!(rows.is_empty(), "a refused connect saved something");
    crm.shutdown().await;
}
