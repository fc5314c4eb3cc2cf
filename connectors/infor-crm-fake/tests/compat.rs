//! Compatibility switches: feeds without `next` links, as older SData providers serve
//! them (clients page by startIndex arithmetic), from `FakeConfig` or `/_admin/compat`.
mod common;

use common::*;
use infor_crm_fake::FakeConfig;
use serde_json::json;

const FEED: &str = "leads?count=10&startIndex=11&orderBy=ModifyDate,Id";

fn has_atom_next(feed: &str) -> bool {
    feed.contains(r#"rel="next""#)
}

#[tokio::test]
async fn next_links_can_be_switched_off_and_on_at_runtime() {
    let h = with_leads(35).await;
    let json_feed = h.json(&format!("{FEED}&format=json")).await;
    assert!(json_feed["$next"].is_string(), "{json_feed}");
    assert!(has_atom_next(&h.atom(FEED).await));

    let admin = |body| h.client.post(h.admin("compat")).json(&body).send();
    let resp = admin(json!({"omit_next_links": true}))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body_json(resp).await, json!({"omit_next_links": true}));
    let state = send(h.client.get(h.admin("compat"))).await;
    assert_eq!(body_json(state).await, json!({"omit_next_links": true}));

    let json_feed = h.json(&format!("{FEED}&format=json")).await;
    assert!(json_feed.get("$next").is_none(), "{json_feed}");
    // Everything a client needs for startIndex arithmetic is still there.
    assert_eq!(json_feed["$startIndex"], 11);
    assert_eq!(json_feed["$itemsPerPage"], 10);
    assert_eq!(json_feed["$totalResults"], 35);
    assert_eq!(resources(&json_feed).len(), 10);
    assert!(json_feed["$first"].is_string(), "only next is left out");
    let atom_feed = h.atom(FEED).await;
    assert!(!has_atom_next(&atom_feed), "{atom_feed}");
    assert_eq!(xml_texts(&atom_feed, "opensearch:startIndex"), vec!["11"]);
    assert_eq!(xml_texts(&atom_feed, "opensearch:totalResults"), vec!["35"]);

    let resp = admin(json!({"omit_next_links": false}))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body_json(resp).await, json!({"omit_next_links": false}));
    assert!(has_atom_next(&h.atom(FEED).await));

    let unknown = admin(json!({"omit_links": true}))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(unknown.status().is_client_error(), "{}", unknown.status());
    h.crm.shutdown().await;
}

#[tokio::test]
async fn the_switch_can_be_set_at_start() {
    let h = start(FakeConfig {
        leads: 25,
        omit_next_links: true,
        ..FakeConfig::default()
    })
    .await;
    assert!(h.crm.state().omit_next_links());
    let json_feed = h.json(&format!("{FEED}&format=json")).await;
    assert!(json_feed.get("$next").is_none(), "{json_feed}");
    assert!(!has_atom_next(&h.atom(FEED).await));
    h.crm.shutdown().await;
}
