//! Keyset pages and email lookups cost their matches, not the table: the server's
//! `rows_scanned` count shows which records a query looked at.
mod common;

use common::*;
use salesforce_fake::{FakeConfig, SObject};

#[tokio::test]
async fn keyset_pages_and_email_lookups_do_not_scan_the_table() {
    let h = start(FakeConfig {
        leads: 5000,
        ..FakeConfig::default()
    })
    .await;
    let state = h.sf.state();
    let leads = state.records(SObject::Lead);
    // Start the page a little before the end of the (SystemModstamp, Id) order.
    let from = &leads[leads.len() - 300];
    let stamp = salesforce_fake::format_rest(from.stamp());
    let id = from.id();
    state.reset_stats();
    let soql = format!(
        "SELECT Id FROM Lead WHERE (SystemModstamp > {stamp} OR (SystemModstamp = {stamp} AND Id > '{id}')) ORDER BY SystemModstamp, Id LIMIT 200"
    );
    let (status, page) = h.query(&soql).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["records"].as_array().map(Vec::len), Some(200));
    let scanned = state.stats().rows_scanned;
    assert!(scanned <= 200, "a keyset page looked at {scanned} records");

    let emails: Vec<String> = leads
        .iter()
        .filter_map(|r| r.field("Email").as_text().map(str::to_uppercase))
        .take(3)
        .collect();
    state.reset_stats();
    let list = emails
        .iter()
        .map(|e| format!("'{e}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let (status, page) = h
        .query(&format!("SELECT Id FROM Lead WHERE Email IN ({list})"))
        .await;
    assert_eq!(status, 200);
    let found = page["totalSize"].as_u64().unwrap_or(0);
    assert!(found >= 3, "every address found: {page}");
    assert_eq!(
        state.stats().rows_scanned,
        found,
        "only the holders were looked at"
    );

    state.reset_stats();
    let (status, _) = h
        .query("SELECT Id FROM Lead WHERE Title = 'CTO' LIMIT 1")
        .await;
    assert_eq!(status, 200);
    assert!(state.stats().rows_scanned >= 1);
    h.sf.shutdown().await;
}
