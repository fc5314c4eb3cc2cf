//! Prints how long a 100,000-lead fake takes to serve pages of 100 JSON leads, for the
//! plain feed and for the incremental keyset query. A figure, not a timed assertion.
mod common;

use std::time::{Duration, Instant};

use common::*;
use infor_crm_fake::{FakeConfig, Kind};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_100_json_leads_from_100k() {
    let t = Instant::now();
    let h = start(FakeConfig {
        leads: 100_000,
        ..FakeConfig::default()
    })
    .await;
    println!("seeded 100,000 leads in {:?}", t.elapsed());
    let state = h.crm.state();
    let mut leads = state.records(Kind::Lead);
    leads.sort_by(|a, b| (a.modify_date, &a.key).cmp(&(b.modify_date, &b.key)));
    let mid = &leads[50_000];
    let at = mid.modify_date.format("%Y-%m-%dT%H:%M:%SZ");
    let w = format!(
        "(ModifyDate gt @{at}@ or (ModifyDate eq @{at}@ and Id gt '{}'))",
        mid.key
    );
    let enc =
        percent_encoding::utf8_percent_encode(&w, percent_encoding::NON_ALPHANUMERIC).to_string();
    let queries = [
        (
            "plain feed",
            "leads?format=json&count=100&startIndex=1".to_string(),
        ),
        (
            "keyset where + orderBy",
            format!("leads?format=json&count=100&orderBy=ModifyDate,Id&where={enc}"),
        ),
        (
            "deep startIndex",
            "leads?format=json&count=100&orderBy=ModifyDate,Id&startIndex=99001".to_string(),
        ),
    ];
    for (name, q) in queries {
        let mut times = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            let resp = send(h.get(&q)).await;
            let bytes = match resp.bytes().await {
                Ok(b) => b,
                Err(e) => panic!("{name}: {e}"),
            };
            times.push(t.elapsed());
            let body: serde_json::Value = match serde_json::from_slice(&bytes) {
                Ok(v) => v,
                Err(e) => panic!("{name}: {e}"),
            };
            assert_eq!(resources(&body).len(), 100, "{name}");
        }
        println!(
            "{name}: median {:?} per page of 100 JSON leads over HTTP",
            median(times)
        );
    }
    let feed = h.json(&queries_first_keyset(&enc)).await;
    assert_eq!(
        feed["$totalResults"], 49_999,
        "everything after the watermark"
    );
    assert_eq!(feed["$resources"][0]["$key"], leads[50_001].key.as_str());
    h.crm.shutdown().await;
}

fn queries_first_keyset(enc: &str) -> String {
    format!("leads?format=json&count=100&orderBy=ModifyDate,Id&where={enc}")
}
