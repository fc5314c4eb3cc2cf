//! Callers in a real headless Chromium: an admin creates a lookup key (shown once, never
//! listed), builds a routing rule set with the builder (a refused row first, then a
//! saved one), the phone system's route URL answers by those rows, and the Calls page
//! lists the calls it reported. Screenshots go to `target/console-screenshots/` beside
//! those of `console_browser.rs`, each also checked at phone width.

use fantoccini::Locator;
use infor_crm_fake::{Kind, UpdateSpec};
use listbridge::{callers::routing::RoutingRules, store::Role};
use serde_json::{Map, json};

use crate::support::{
    browser::Browser,
    calls::{inbound_call, number_leads, report, reported_number, wait_settled},
    services::fast_services,
    world::{crm_config, world_with},
};

const ADMIN: &str = "ann@acme.example";

/// Chooses the option with `value` in the select matching `css`.
async fn choose(browser: &Browser, css: &str, value: &str) {
    browser
        .wait_css(css)
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("'{css}' offers '{value}': {e}"));
}

/// The `value` property of the input matching `css`.
async fn value_of(browser: &Browser, css: &str) -> String {
    browser
        .wait_css(css)
        .await
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sets_up_call_routing_and_reads_the_calls() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let w = world_with(crm_config(3, 0), fast_services()).await;
    let leads = number_leads(&w.crm, 2);
    let mut director = Map::new();
    director.insert("Title".into(), json!("Director"));
    w.crm
        .state()
        .update_records(
            Kind::Lead,
            &UpdateSpec {
                keys: vec![leads[0].clone()],
                count: None,
                set: director,
                modify_date: None,
                distinct_dates: false,
            },
        )
        .expect("title set");
    w.imported_list("lead", &["WorkPhone", "Title"]).await;
    w.app.create_user("acme", ADMIN, Role::Admin).await;
    browser.signed_in(&w.app, ADMIN).await;

    // A lookup key: its URL, key and secret are shown once.
    browser.open(&w.app.url("/callers")).await;
    browser
        .wait_text("#lookup-keys-empty", "This account has no lookup key.")
        .await;
    browser
        .fill("#lookup-key-name", "PBXware main office")
        .await;
    browser.click("#lookup-key-form button[type=submit]").await;
    let url = value_of(&browser, "#lookup-url").await;
    let key = value_of(&browser, "#new-lookup-key").await;
    assert!(url.ends_with(&format!("/crm-lookup/{key}")), "{url}");
    assert!(
        !browser
            .body_text()
            .await
            .contains("Also require a secret header"),
        "the answer page is not the form"
    );
    browser.screenshot("callers-key-created").await;
    browser.open(&w.app.url("/callers")).await;
    let listed = browser
        .wait_text("#lookup-keys-table", "PBXware main office")
        .await;
    assert!(!listed.contains(&key), "the key is never listed: {listed}");

    // A rule set: a row without a value is refused beside it, the rest kept.
    browser.click("#new-rule-set").await;
    browser.fill("#rule-name", "Directors first").await;
    browser.fill("#rule-field", "Title").await;
    browser.fill("#row-1-order", "1").await;
    choose(&browser, "#row-1-operator", "=").await;
    browser.fill("#row-1-value", "   ").await;
    choose(&browser, "#row-1-type", "queue").await;
    browser.fill("#row-1-option", "200").await;
    choose(&browser, "#default-type", "queue").await;
    browser.fill("#default-option", "100").await;
    browser.click("#rule-builder button[type=submit]").await;
    browser
        .wait_text("#row-1-value-error", "Row 1: the value is empty")
        .await;
    assert_eq!(value_of(&browser, "#rule-name").await, "Directors first");
    assert_eq!(value_of(&browser, "#row-1-option").await, "200");
    browser.screenshot("callers-rule-refused").await;
    browser.fill("#row-1-value", "director").await;
    browser.click("#rule-builder button[type=submit]").await;
    browser.wait_text("#callers-notice", "").await;
    assert_eq!(browser.path().await, "/callers?done=saved");
    browser.wait_text("#rules-table", "Directors first").await;
    browser.screenshot("callers").await;

    // The phone system's route URL answers by the saved rows.
    let sets = RoutingRules::from_state(&w.app.state)
        .list(w.account)
        .await
        .expect("rule sets");
    let [set] = sets.as_slice() else {
        panic!("one rule set saved: {sets:?}");
    };
    for (caller, expected) in [(0, "queue 200"), (1, "queue 100")] {
        let answer = w
            .app
            .client
            .get(format!("{url}/route/{}", set.id))
            .query(&[("caller", reported_number(caller))])
            .send()
            .await
            .expect("route answered");
        assert_eq!(answer.status().as_u16(), 200);
        assert_eq!(
            answer.text().await.expect("text"),
            expected,
            "caller {caller}"
        );
    }

    // The Calls page lists what the phone system reported, with the note's record.
    let (status, body) = report(
        &w.app.client,
        &w.app.base_url,
        &w.key,
        vec![inbound_call(0), inbound_call(1)],
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let counts = wait_settled(&w.app.client, &w.app.base_url, &w.key).await;
    assert_eq!(counts["delivered"], 2, "{counts}");
    browser.open(&w.app.url("/callers")).await;
    browser
        .client
        .find(Locator::Css("#callers-pages a[href='/callers/calls']"))
        .await
        .expect("a Calls tab")
        .click()
        .await
        .expect("clicks");
    let table = browser
        .wait_text("#calls", &format!("Lead {}", leads[0]))
        .await;
    assert!(table.contains(&format!("Lead {}", leads[1])), "{table}");
    browser.wait_text("#calls-counts", "2").await;
    browser.screenshot("callers-calls").await;
    browser.close().await;
}
