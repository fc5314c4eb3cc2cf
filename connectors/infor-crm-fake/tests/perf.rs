//! How long a 100,000-lead fake takes to serve pages of 100 JSON leads over HTTP, for the
//! plain feed, the incremental keyset query, a deep `startIndex` and the connector's
//! 200-email lookup (`upper(Email) in (…)`, as `find_by_email` sends it for pushes, forms
//! and notes). It checks every answer is right and prints the medians; it asserts no
//! time (a test's upper time limit fails on a busy machine, not on a regression): the
//! figures and the targets to compare them with are in the README's performance section.
mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use infor_crm_fake::{FakeConfig, Kind};

/// Page reads timed per query; the median of these is printed.
const READS: usize = 15;

/// Emails per lookup request: the connector's `lookup_chunk`.
const LOOKUP_EMAILS: usize = 200;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Times [`READS`] reads of `q`, each answering `expect` JSON entries; returns the median.
async fn time_reads(h: &Harness, name: &str, q: &str, expect: usize) -> Duration {
    let mut times = Vec::new();
    for _ in 0..READS {
        let t = Instant::now();
        let resp = send(h.get(q)).await;
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => panic!("{name}: {e}"),
        };
        times.push(t.elapsed());
        let body: serde_json::Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => panic!("{name}: {e}"),
        };
        assert_eq!(resources(&body).len(), expect, "{name}");
    }
    median(times)
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
    let enc = encode(&w);
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
        let p50 = time_reads(&h, name, &q, 100).await;
        println!("{name}: median {p50:?} per page of 100 JSON leads over HTTP");
    }
    let feed = h.json(&queries_first_keyset(&enc)).await;
    assert_eq!(
        feed["$totalResults"], 49_999,
        "everything after the watermark"
    );
    assert_eq!(feed["$resources"][0]["$key"], leads[50_001].key.as_str());

    email_lookup(&h, &leads).await;
    h.crm.shutdown().await;
}

/// The connector's lookup: 200 upper-cased emails of leads spread over the table, in one
/// `upper(Email) in (…)`, ordered by `ModifyDate,Id`, with a `select`, first page of 100.
async fn email_lookup(h: &Harness, leads: &[infor_crm_fake::Record]) {
    let step = leads.len() / LOOKUP_EMAILS;
    let wanted: Vec<String> = leads
        .iter()
        .step_by(step)
        .take(LOOKUP_EMAILS)
        .filter_map(|r| r.text("Email"))
        .map(|e| e.trim().to_uppercase())
        .collect();
    assert_eq!(
        wanted.len(),
        LOOKUP_EMAILS,
        "every sampled lead has an email"
    );
    let list: Vec<String> = wanted
        .iter()
        .map(|e| format!("'{}'", e.replace('\'', "''")))
        .collect();
    let w = format!("upper(Email) in ({})", list.join(","));
    let q = format!(
        "leads?format=json&count=100&orderBy=ModifyDate,Id&select=Email,FirstName,LastName&where={}",
        encode(&w)
    );
    let lower: HashSet<String> = wanted.iter().map(|e| e.to_lowercase()).collect();
    let total = leads
        .iter()
        .filter(|r| {
            r.text("Email")
                .is_some_and(|e| lower.contains(&e.to_uppercase().to_lowercase()))
        })
        .count();
    let feed = h.json(&q).await;
    assert_eq!(
        feed["$totalResults"], total,
        "every lead with one of the emails"
    );
    let name = "200-email upper(Email) in";
    let p50 = time_reads(h, name, &q, total.min(100)).await;
    println!("{name}: median {p50:?} per page over HTTP ({total} matches)");
}

fn queries_first_keyset(enc: &str) -> String {
    format!("leads?format=json&count=100&orderBy=ModifyDate,Id&where={enc}")
}
