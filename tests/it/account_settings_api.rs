//! `/v1/account` settings over the API: `GET` shows the time zone and default phone
//! region, `PATCH` changes them through the console's service (a region set over the
//! API makes national numbers match in the lookup URL), refusals name the setting, and
//! another account's settings are never touched.

use serde_json::{Value, json};

use crate::support::{
    TestApp, assert_problem,
    calls::{crm_number, lookup_caller, new_lookup_key, number_leads},
    json, spawn_app,
    world::{crm_config, world},
};

async fn me(app: &TestApp, key: &str) -> Value {
    let (status, body) = json(app.get("/v1/account", key).await).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn patch(app: &TestApp, key: &str, body: Value) -> (u16, Value) {
    json(app.patch("/v1/account", key, &body).await).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_settings_api_region_set_over_the_api_makes_national_numbers_match() {
    let w = world(crm_config(3, 0)).await;
    let leads = number_leads(&w.crm, 1);
    w.imported_list("lead", &["WorkPhone"]).await;
    let other = w.app.create_account("globex").await;
    let lookup_key = new_lookup_key(&w.app.client, &w.app.base_url, &w.key).await;
    // The national form of lead 0's number ("+44 20 7946 0000").
    let national = crm_number(0).replace("+44 ", "0");
    let ask = async || lookup_caller(&w.app.client, &w.app.base_url, &lookup_key, &national).await;

    let before = me(&w.app, &w.key).await;
    assert_eq!(before["default_region"], Value::Null, "{before}");
    assert_eq!(before["time_zone"], "UTC", "{before}");
    let answer = ask().await;
    assert_eq!(
        answer["matched"], false,
        "no region, no national match: {answer}"
    );

    let (status, saved) = patch(&w.app, &w.key, json!({ "default_region": "gb" })).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["default_region"], "GB", "{saved}");
    assert_eq!(
        saved["name"], "acme",
        "a missing member keeps its value: {saved}"
    );
    assert_eq!(saved["time_zone"], "UTC", "{saved}");
    let shown = me(&w.app, &w.key).await;
    assert_eq!(shown["default_region"], "GB", "{shown}");
    assert_eq!(shown["id"], before["id"]);
    assert_eq!(shown["created_at"], before["created_at"]);

    let answer = ask().await;
    assert_eq!(answer["matched"], true, "{answer}");
    assert_eq!(answer["key"], leads[0].as_str(), "{answer}");

    let untouched = me(&w.app, &other).await;
    assert_eq!(untouched["name"], "globex", "{untouched}");
    assert_eq!(untouched["default_region"], Value::Null, "{untouched}");

    // A name and time zone change keeps the region; null clears it, and so does "".
    let (status, saved) = patch(
        &w.app,
        &w.key,
        json!({ "name": "Acme Ltd", "time_zone": "Europe/London" }),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        (
            &saved["name"],
            &saved["time_zone"],
            &saved["default_region"]
        ),
        (&json!("Acme Ltd"), &json!("Europe/London"), &json!("GB")),
        "{saved}"
    );
    let (status, saved) = patch(&w.app, &w.key, json!({ "default_region": null })).await;
    assert_eq!(
        (status, &saved["default_region"]),
        (200, &Value::Null),
        "{saved}"
    );
    let answer = ask().await;
    assert_eq!(answer["matched"], false, "region cleared: {answer}");
    patch(&w.app, &w.key, json!({ "default_region": "GB" })).await;
    let (status, saved) = patch(&w.app, &w.key, json!({ "default_region": "" })).await;
    assert_eq!(
        (status, &saved["default_region"]),
        (200, &Value::Null),
        "{saved}"
    );
    assert_eq!(saved["name"], "Acme Ltd", "{saved}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_settings_api_refusals_name_the_setting_and_change_nothing() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let globex = app.create_account("globex").await;
    let (status, _) = patch(&app, &acme, json!({ "default_region": "US" })).await;
    assert_eq!(status, 200);

    let body = assert_problem(
        app.patch("/v1/account", &acme, &json!({ "default_region": "ZZ" }))
            .await,
        422,
        "invalid_region",
    )
    .await;
    assert_eq!(body["details"]["field"], "default_region", "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains("'ZZ'")),
        "{body}"
    );

    let body = assert_problem(
        app.patch(
            "/v1/account",
            &acme,
            &json!({ "time_zone": "Mars/Olympus" }),
        )
        .await,
        422,
        "invalid_time_zone",
    )
    .await;
    assert_eq!(body["details"]["field"], "time_zone", "{body}");

    let body = assert_problem(
        app.patch("/v1/account", &acme, &json!({ "name": "globex" }))
            .await,
        409,
        "name_taken",
    )
    .await;
    assert_eq!(body["details"]["field"], "name", "{body}");
    let body = assert_problem(
        app.patch("/v1/account", &acme, &json!({ "name": "  " }))
            .await,
        422,
        "invalid_name",
    )
    .await;
    assert_eq!(body["details"]["field"], "name", "{body}");

    // The body's shape: no unknown members, no null name or time zone, an object.
    for bad in [
        json!({ "region": "GB" }),
        json!({ "name": null }),
        json!({ "time_zone": null }),
        json!(["GB"]),
    ] {
        let (status, body) = patch(&app, &acme, bad.clone()).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }

    let acme_now = me(&app, &acme).await;
    assert_eq!(
        (
            &acme_now["name"],
            &acme_now["time_zone"],
            &acme_now["default_region"]
        ),
        (&json!("acme"), &json!("UTC"), &json!("US")),
        "{acme_now}"
    );
    let globex_now = me(&app, &globex).await;
    assert_eq!(
        (
            &globex_now["name"],
            &globex_now["time_zone"],
            &globex_now["default_region"]
        ),
        (&json!("globex"), &json!("UTC"), &Value::Null),
        "{globex_now}"
    );
    assert_problem(
        app.patch(
            "/v1/account",
            "lb_not-a-key",
            &json!({ "default_region": "GB" }),
        )
        .await,
        401,
        "unauthorized",
    )
    .await;
}
