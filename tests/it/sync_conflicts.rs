//! Push-only conflicts: the list pushes a field that was also edited in the CRM since
//! the last sync. Without a pull to show the CRM's edit, the push meets it as a stale
//! version (412) and settles the field by the rule instead of overwriting the CRM.

use crate::support::world::{crm_config, world};
use serde_json::json;

/// Runs a push-only sync of Title over a member edited on both sides; returns what the
/// list and the CRM hold afterwards, and the second run's report.
async fn push_only_conflict(rule: &str, crm_newer: bool) -> (String, String, serde_json::Value) {
    let w = world(crm_config(5, 0)).await;
    let setup = json!({
        "push": { "enabled": true, "update_existing": true, "fields": ["Title"] },
        "conflict_rule": rule
    });
    let (list, email, key) = w.title_conflict(&setup, crm_newer).await;

    let conflict = w.sync_meeting_title_conflict(list, &email, rule).await;
    assert_eq!(conflict["crm_key"], key.as_str());

    w.crm.state().reset_stats();
    let again = w.sync(list).await;
    w.assert_no_crm_writes(&format!("{rule}: settled, nothing written again"));
    let list_value = w
        .member_value(list, &email, "Title")
        .await
        .unwrap_or_default();
    let crm_value = w.crm_lead_text(&key, "Title").unwrap_or_default();
    (list_value, crm_value, again)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crm_wins_keeps_the_crm_edit_when_only_pushing() {
    let (list, crm, again) = push_only_conflict("crm_wins", false).await;
    assert_eq!(crm, "From CRM", "the CRM's edit is not overwritten");
    assert_eq!(list, "From List", "no pull: the list keeps its value");
    assert_eq!(again["counts"]["conflicts"], 0, "{again}");
    assert_eq!(again["counts"]["pushed_updated"], 0, "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_wins_writes_over_the_crm_edit_once() {
    let (list, crm, again) = push_only_conflict("list_wins", false).await;
    assert_eq!(crm, "From List");
    assert_eq!(list, "From List");
    assert_eq!(again["counts"]["conflicts"], 0, "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newest_wins_compares_the_two_edits() {
    let (_, crm, _) = push_only_conflict("newest_wins", true).await;
    assert_eq!(crm, "From CRM", "the CRM edit is newer");
    let (_, crm, _) = push_only_conflict("newest_wins", false).await;
    assert_eq!(crm, "From List", "the list edit is newer");
}
