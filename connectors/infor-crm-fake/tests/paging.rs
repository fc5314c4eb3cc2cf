//! Paging: 1-based startIndex, count as page size, the server cap in itemsPerPage,
//! `next` only while rows remain, and empty feeds.
mod common;

use std::collections::BTreeSet;

use common::*;
use infor_crm_fake::{FakeConfig, Kind};

async fn thousand() -> Harness {
    start(FakeConfig {
        leads: 1000,
        page_cap: 100,
        ..FakeConfig::default()
    })
    .await
}

fn all_keys(h: &Harness) -> BTreeSet<String> {
    h.crm
        .state()
        .records(Kind::Lead)
        .into_iter()
        .map(|r| r.key)
        .collect()
}

/// Follows `$next` links until none is left; returns every key seen in order.
async fn follow_json(h: &Harness, first: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut url = h.url(first);
    loop {
        let resp = send(h.client.get(&url).basic_auth("admin", Some("password"))).await;
        assert_eq!(resp.status(), 200);
        let feed = body_json(resp).await;
        let page: Vec<String> = resources(&feed)
            .iter()
            .filter_map(|r| r["$key"].as_str().map(str::to_string))
            .collect();
        assert_eq!(feed["$itemsPerPage"], 100, "the cap shows in itemsPerPage");
        keys.extend(page.iter().cloned());
        match feed["$next"].as_str() {
            Some(next) => {
                assert_eq!(page.len(), 100, "only the last page may be short");
                url = next.to_string();
            }
            None => return keys,
        }
    }
}

#[tokio::test]
async fn next_links_reach_every_record_once_in_json() {
    let h = thousand().await;
    let keys = follow_json(&h, "leads?format=json&count=250&orderBy=ModifyDate,Id").await;
    assert_eq!(keys.len(), 1000);
    assert_eq!(keys.iter().cloned().collect::<BTreeSet<_>>(), all_keys(&h));
    let keys = follow_json(&h, "leads?format=json&count=100&where=LeadScore%20ge%200").await;
    assert_eq!(keys.len(), 1000);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn next_links_reach_every_record_once_in_atom() {
    let h = thousand().await;
    let mut url = h.url("leads?count=100&orderBy=ModifyDate%20desc,Id%20desc");
    let mut keys = Vec::new();
    let mut pages = 0;
    loop {
        let resp = send(h.client.get(&url).basic_auth("admin", Some("password"))).await;
        let feed = atom::parse(&text(resp).await);
        pages += 1;
        assert_eq!(
            feed.text_of(atom::OPENSEARCH, "itemsPerPage").as_deref(),
            Some("100")
        );
        assert_eq!(
            feed.text_of(atom::OPENSEARCH, "totalResults").as_deref(),
            Some("1000")
        );
        for e in feed.all(atom::ATOM, "entry") {
            if let Some(k) = e.payload().and_then(|p| p.attr(atom::SDATA, "key")) {
                keys.push(k.to_string());
            }
        }
        match feed.link("next") {
            Some(next) => url = next,
            None => break,
        }
    }
    assert_eq!(pages, 10);
    assert_eq!(keys.len(), 1000);
    assert_eq!(keys.iter().cloned().collect::<BTreeSet<_>>(), all_keys(&h));
    h.crm.shutdown().await;
}

#[tokio::test]
async fn start_index_arithmetic_reaches_every_record_once() {
    let h = thousand().await;
    let mut keys = Vec::new();
    let mut start = 1;
    loop {
        // Asks for 500 but the server caps at 100; a client must step by itemsPerPage.
        let feed = h
            .json(&format!(
                "leads?format=json&orderBy=Id&startIndex={start}&count=500"
            ))
            .await;
        let per_page = feed["$itemsPerPage"].as_u64().unwrap_or(0) as usize;
        assert_eq!(per_page, 100);
        assert_eq!(feed["$startIndex"].as_u64(), Some(start as u64));
        let page = resources(&feed);
        if page.is_empty() {
            assert_eq!(feed["$totalResults"], 1000);
            assert!(feed.get("$next").is_none());
            break;
        }
        keys.extend(
            page.iter()
                .filter_map(|r| r["$key"].as_str().map(str::to_string)),
        );
        start += per_page;
    }
    assert_eq!(keys.len(), 1000);
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "orderBy=Id");
    assert_eq!(keys.into_iter().collect::<BTreeSet<_>>(), all_keys(&h));
    // Atom with startIndex arithmetic, on the last page.
    let feed = atom::parse(&h.atom("leads?startIndex=951&count=100").await);
    assert_eq!(feed.all(atom::ATOM, "entry").len(), 50);
    assert_eq!(feed.link("next"), None);
    assert!(feed.link("previous").is_some());
    h.crm.shutdown().await;
}

#[tokio::test]
async fn no_match_is_an_empty_200_feed_in_both_formats() {
    let h = with_leads(10).await;
    let feed = h
        .json("leads?format=json&where=Email%20eq%20'nobody@example.com'")
        .await;
    assert_eq!(feed["$totalResults"], 0);
    assert!(resources(&feed).is_empty());
    assert!(feed.get("$next").is_none());
    let feed = atom::parse(
        &h.atom("leads?where=Email%20eq%20'nobody@example.com'")
            .await,
    );
    assert_eq!(
        feed.text_of(atom::OPENSEARCH, "totalResults").as_deref(),
        Some("0")
    );
    assert!(feed.all(atom::ATOM, "entry").is_empty());
    let feed = h.json("history?format=json").await;
    assert_eq!(feed["$totalResults"], 0);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn count_below_the_cap_is_honoured_and_bad_numbers_are_400() {
    let h = with_leads(30).await;
    let feed = h.json("leads?format=json&count=7&startIndex=29").await;
    assert_eq!(feed["$itemsPerPage"], 7);
    assert_eq!(resources(&feed).len(), 2);
    assert!(feed.get("$next").is_none());
    let feed = h.json("leads?format=json&count=7").await;
    let Some(next) = feed["$next"].as_str() else {
        panic!("next link")
    };
    assert!(
        next.contains("startIndex=8") && next.contains("count=7") && next.contains("format=json"),
        "{next}"
    );
    let resp = send(h.get("leads?format=json&startIndex=abc")).await;
    assert_eq!(resp.status(), 400);
    assert!(text(resp).await.contains("BadQueryParameter"));
    h.crm.shutdown().await;
}
