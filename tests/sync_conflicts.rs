//! Push-only conflicts: the list pushes a field that was also edited in the CRM since
//! the last sync. Without a pull to show the CRM's edit, the push meets it as a stale
//! version (412) and settles the field by the rule instead of overwriting the CRM.

mod common;
mod sync_support;

use chrono::Duration;
use infor_crm_fake::{Kind, UpdateSpec};
use listbridge::store::ListKind;
use serde_json::{Map, json};
use sync_support::{crm_config, world};

/// Runs a push-only sync of Title over a member edited on both sides; returns what the
/// list and the CRM hold afterwards, and the second run's report.
async fn push_only_conflict(rule: &str, crm_newer: bool) -> (String, String, serde_json::Value) {
    let w = world(crm_config(5, 0)).await;
    let list = w.import(ListKind::CrmLead, &["Title"]).await;
    let (status, body) = w
        .put_sync(
            list,
            &json!({
                "push": { "enabled": true, "update_existing": true, "fields": ["Title"] },
                "conflict_rule": rule
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let member = w.members(list).await.into_iter().next().expect("member");
    let key = member.crm.clone().expect("linked").key;
    let crm_time = chrono::Utc::now()
        + if crm_newer {
            Duration::hours(1)
        } else {
            Duration::hours(-1)
        };
    w.crm.state().clock().set(Some(crm_time));
    let mut set = Map::new();
    set.insert("Title".into(), json!("From CRM"));
    w.crm
        .state()
        .update_records(
            Kind::Lead,
            &UpdateSpec {
                keys: vec![key.clone()],
                set,
                ..Default::default()
            },
        )
        .expect("crm edit");
    w.crm.state().clock().set(None);
    w.edit_member(list, &member.email, "Title", "From List")
        .await;

    let run = w.run_now(list, false).await;
    let report = w.wait_run(&run).await;
    assert_eq!(report["counts"]["conflicts"], 1, "{rule}: {report}");
    let records = w.records(&run).await;
    let conflict = records
        .iter()
        .find(|r| r["outcome"] == "conflict")
        .unwrap_or_else(|| panic!("{rule}: conflict reported: {records:?}"));
    assert_eq!(conflict["field"], "Title");
    assert_eq!(conflict["email"], member.email.as_str());
    assert_eq!(conflict["crm_key"], key.as_str());

    w.crm.state().reset_stats();
    let again = w.sync(list).await;
    w.assert_no_crm_writes(&format!("{rule}: settled, nothing written again"));
    let list_value = w
        .members(list)
        .await
        .into_iter()
        .find(|m| m.email == member.email)
        .and_then(|m| m.values.get("Title").cloned().flatten())
        .unwrap_or_default();
    let crm_value = w
        .crm
        .state()
        .record(Kind::Lead, &key)
        .and_then(|r| r.text("Title").map(String::from))
        .unwrap_or_default();
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
