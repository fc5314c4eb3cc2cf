//! End-to-end sync behaviour against the fake CRM: import, idempotence, push and pull of
//! selected fields, incremental pulls, conflicts, dry runs.

mod common;
mod sync_support;

use infor_crm_fake::{Kind, UpdateSpec};
use listbridge::store::ListKind;
use serde_json::json;
use sync_support::{crm_config, world};

#[tokio::test]
async fn import_then_two_syncs_the_second_writes_nothing() {
    let w = world(crm_config(300, 0)).await;
    let list = w.import(ListKind::CrmLead, &["Title", "Company"]).await;
    let members = w.members(list).await;
    assert!(members.len() > 250, "imported {} members", members.len());

    let (status, body) = w
        .put_sync(list, &json!({
            "push": { "enabled": true, "add_new": true, "update_existing": true, "fields": ["Title"] },
            "pull": { "enabled": true, "add_new": true, "update_existing": true }
        }))
        .await;
    assert_eq!(status, 200, "{body}");

    w.crm.state().reset_stats();
    let first = w.sync(list).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    let second = w.sync(list).await;
    assert_eq!(second["status"], "succeeded", "{second}");
    assert_eq!(
        w.crm_writes(),
        0,
        "nothing changed, nothing written: {second}"
    );
    assert_eq!(second["counts"]["pulled_updated"], 0, "{second}");
    assert_eq!(second["counts"]["pushed_updated"], 0, "{second}");
}

#[tokio::test]
async fn a_list_edit_of_a_push_field_is_pushed_once_and_not_pulled_back() {
    let w = world(crm_config(120, 0)).await;
    let list = w.import(ListKind::CrmLead, &["Title", "Company"]).await;
    w.put_sync(
        list,
        &json!({
            "push": { "enabled": true, "update_existing": true, "fields": ["Title"] },
            "pull": { "enabled": true, "update_existing": true }
        }),
    )
    .await;
    let member = w.members(list).await.into_iter().next().expect("a member");
    let key = member.crm.clone().expect("linked").key;
    w.edit_member(list, &member.email, "Title", "Chief Listener")
        .await;
    w.crm.state().reset_stats();

    let report = w.sync(list).await;
    assert_eq!(report["counts"]["pushed_updated"], 1, "{report}");
    let lead = w.crm.state().record(Kind::Lead, &key).expect("lead");
    assert_eq!(lead.text("Title"), Some("Chief Listener"));
    assert_eq!(w.crm_writes(), 1);

    // The next run sees the lead (its ModifyDate moved) and neither pulls nor pushes.
    let again = w.sync(list).await;
    assert_eq!(again["counts"]["pushed_updated"], 0, "{again}");
    assert_eq!(again["counts"]["pulled_updated"], 0, "{again}");
    assert_eq!(w.crm_writes(), 1);
}

#[tokio::test]
async fn crm_changes_are_pulled_incrementally() {
    let w = world(crm_config(10_000, 0)).await;
    let list = w.import(ListKind::CrmLead, &["Title"]).await;
    w.put_sync(
        list,
        &json!({ "pull": { "enabled": true, "update_existing": true } }),
    )
    .await;
    w.sync(list).await;

    let keys: Vec<String> = w
        .crm_leads()
        .iter()
        .take(10)
        .map(|r| r.key.clone())
        .collect();
    w.crm.state().clock().advance(chrono::Duration::seconds(60));
    let mut set = serde_json::Map::new();
    set.insert("Title".into(), json!("Head of Changes"));
    w.crm
        .state()
        .update_records(
            Kind::Lead,
            &UpdateSpec {
                keys: keys.clone(),
                set,
                ..Default::default()
            },
        )
        .expect("updated");
    w.crm.state().reset_stats();

    let report = w.sync(list).await;
    assert_eq!(report["counts"]["pulled_updated"], 10, "{report}");
    let reads = w.crm.state().stats().kind_count("leads", "GET");
    assert!(
        reads <= 3,
        "an incremental pull of 10 changes read {reads} pages"
    );
    let titled = w
        .members(list)
        .await
        .into_iter()
        .filter(|m| m.values.get("Title").cloned().flatten().as_deref() == Some("Head of Changes"))
        .count();
    assert_eq!(titled, 10);
}
