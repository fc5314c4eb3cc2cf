//! End-to-end sync behaviour against the fake CRM: import, idempotence, push and pull of
//! selected fields, incremental pulls, conflicts, dry runs.

use infor_crm_fake::Kind;

use crate::support::world::{crm_config, world};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_then_two_syncs_the_second_writes_nothing() {
    let w = world(crm_config(300, 0)).await;
    let list = w.imported_list("lead", &["Title", "Company"]).await;
    let members = w.members(list).await;
    assert!(members.len() > 250, "imported {} members", members.len());

    w.save_sync(list, &json!({
            "push": { "enabled": true, "add_new": true, "update_existing": true, "fields": ["Title"] },
            "pull": { "enabled": true, "add_new": true, "update_existing": true }
        })).await;
    // Work for the first run on both sides: list edits to push, CRM edits to pull, a
    // new member to create and a new CRM lead to add.
    for m in members.iter().take(5) {
        w.edit_member(list, &m.email, "Title", "Edited in the list")
            .await;
    }
    w.crm.state().clock().advance(chrono::Duration::seconds(30));
    let keys: Vec<String> = members
        .iter()
        .skip(10)
        .take(5)
        .filter_map(|m| m.crm.as_ref().map(|c| c.key.clone()))
        .collect();
    w.crm_update(Kind::Lead, &keys, &[("Company", "Edited in the CRM")]);
    w.add_member(
        list,
        "brand.new@list.example",
        &[
            ("FirstName", "Brand"),
            ("LastName", "New"),
            ("Company", "New Co"),
        ],
    )
    .await;
    let mut lead = serde_json::Map::new();
    for (k, v) in [
        ("FirstName", "Crm"),
        ("LastName", "Born"),
        ("Company", "CRM Co"),
        ("Email", "crm.born@crm.example"),
    ] {
        lead.insert(k.into(), json!(v));
    }
    w.crm
        .state()
        .insert_record(Kind::Lead, &lead)
        .expect("new lead");

    let first = w.sync(list).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    assert_eq!(first["counts"]["pushed_updated"], 5, "{first}");
    assert_eq!(first["counts"]["pushed_new"], 1, "{first}");
    assert_eq!(first["counts"]["pulled_updated"], 5, "{first}");
    assert_eq!(first["counts"]["pulled_new"], 1, "{first}");

    let before = w.members(list).await;
    w.crm.state().reset_stats();
    let second = w.sync(list).await;
    assert_eq!(second["status"], "succeeded", "{second}");
    w.assert_no_crm_writes(&format!("nothing changed, nothing written: {second}"));
    for count in [
        "pulled_updated",
        "pulled_new",
        "pushed_updated",
        "pushed_new",
        "conflicts",
    ] {
        assert_eq!(second["counts"][count], 0, "{count}: {second}");
    }
    let mut after = w.members(list).await;
    let mut before = before;
    before.sort_by(|a, b| a.email.cmp(&b.email));
    after.sort_by(|a, b| a.email.cmp(&b.email));
    assert_eq!(after, before, "the second run changes no member");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_edit_of_a_push_field_is_pushed_once_and_not_pulled_back() {
    let w = world(crm_config(120, 0)).await;
    let list = w.imported_list("lead", &["Title", "Company"]).await;
    w.save_sync(
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crm_changes_are_pulled_incrementally() {
    let w = world(crm_config(10_000, 0)).await;
    let list = w.pulling_lead_list(&["Title"]).await;
    w.sync(list).await;

    let keys: Vec<String> = w
        .crm_leads()
        .iter()
        .take(10)
        .map(|r| r.key.clone())
        .collect();
    w.crm.state().clock().advance(chrono::Duration::seconds(60));
    w.crm_update(Kind::Lead, &keys, &[("Title", "Head of Changes")]);
    w.crm.state().reset_stats();

    let report = w.sync(list).await;
    assert_eq!(report["counts"]["pulled_updated"], 10, "{report}");
    assert_eq!(
        report["counts"]["read"], 10,
        "only the changed records are read: {report}"
    );
    // The ten changed records fit on one page of 100: one read, none of the other 99
    // pages of the table.
    let reads = w.crm.state().stats().kind_count("leads", "GET");
    assert_eq!(
        reads, 1,
        "an incremental pull of 10 changes read {reads} pages"
    );
    let mut titled: Vec<String> = w
        .members(list)
        .await
        .into_iter()
        .filter(|m| m.values.get("Title").cloned().flatten().as_deref() == Some("Head of Changes"))
        .filter_map(|m| m.crm.map(|c| c.key))
        .collect();
    titled.sort();
    let mut changed = keys.clone();
    changed.sort();
    assert_eq!(
        titled, changed,
        "exactly the changed records' members were updated"
    );
}

/// *Add List Columns*: a CRM field added to a list is filled for every member on the
/// next sync, though no CRM record changed, in one read of the new field; then it is an
/// ordinary column.
async fn added_column_is_filled(setup: serde_json::Value, then: Option<serde_json::Value>) {
    let w = world(crm_config(450, 0)).await;
    let list = w.imported_list("lead", &["Title"]).await;
    w.save_sync(list, &setup).await;
    w.sync(list).await;
    let (status, body) = w
        .post(
            &format!("/v1/lists/{list}/columns"),
            &json!({ "fields": ["Company"] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    if let Some(then) = then {
        w.save_sync(list, &then).await;
    }
    w.crm.state().reset_stats();

    let report = w.sync(list).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    let members = w.members(list).await;
    assert_eq!(
        report["counts"]["filled"].as_u64(),
        Some(members.len() as u64),
        "every member filled: {report}"
    );
    for member in &members {
        let key = &member.crm.as_ref().expect("linked").key;
        let lead = w.crm.state().record(Kind::Lead, key).expect("lead");
        assert_eq!(
            member.values.get("Company").cloned().flatten().as_deref(),
            lead.text("Company"),
            "{}",
            member.email
        );
    }
    w.assert_no_crm_writes("filling a column writes nothing to the CRM");
    let reads = w.crm.state().stats().kind_count("leads", "GET");
    assert!(reads <= 450 / 100 + 3, "{reads} lead reads for 450 leads");
    let (_, detail) = w.get(&format!("/v1/lists/{list}")).await;
    let columns = detail["columns"].as_array().cloned().unwrap_or_default();
    let company = columns
        .iter()
        .find(|c| c["name"] == "Company")
        .expect("column listed");
    assert_eq!(company["pending"], false, "{detail}");

    let again = w.sync(list).await;
    assert_eq!(again["counts"]["filled"], 0, "{again}");
    w.assert_no_crm_writes(&format!("nothing pushed back: {again}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_added_column_is_filled_on_the_next_two_way_sync() {
    // The new column is also made a push field: filling it must not push it back.
    added_column_is_filled(
        json!({
            "push": { "enabled": true, "update_existing": true, "fields": ["Title"] },
            "pull": { "enabled": true, "update_existing": true }
        }),
        Some(json!({
            "push": { "enabled": true, "update_existing": true, "fields": ["Title", "Company"] },
            "pull": { "enabled": true, "update_existing": true }
        })),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_added_column_is_filled_on_the_next_push_only_sync() {
    added_column_is_filled(
        json!({
            "push": { "enabled": true, "update_existing": true, "fields": ["Title"] }
        }),
        None,
    )
    .await;
}
