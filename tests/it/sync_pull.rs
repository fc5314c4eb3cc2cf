//! Pull and two-way behaviour: conflict rules, bulk updates sharing one ModifyDate,
//! email changes in the CRM, opt-outs, CRM rejections reported once, and a member linked
//! to a contact in a lead list pulled like the leads.

use chrono::Duration;
use infor_crm_fake::{Kind, UpdateSpec};

use crate::support::world::{World, crm_config, world};
use serde_json::{Map, Value, json};

fn set(field: &str, value: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(field.into(), value);
    m
}

/// A lead list with Title both ways, one member whose Title was changed in the list
/// and in the CRM since the last sync; returns the world, list, member email and key.
async fn conflict_world(
    rule: &str,
    crm_newer: bool,
) -> (World, listbridge::store::ListId, String, String) {
    let w = world(crm_config(20, 0)).await;
    let setup = json!({
        "push": { "enabled": true, "update_existing": true, "fields": ["Title"] },
        "pull": { "enabled": true, "update_existing": true },
        "conflict_rule": rule
    });
    let (list, email, key) = w.title_conflict(&setup, crm_newer).await;
    (w, list, email, key)
}

async fn check_conflict(rule: &str, crm_newer: bool, winner: &str) {
    let (w, list, email, key) = conflict_world(rule, crm_newer).await;
    w.sync_meeting_title_conflict(list, &email, rule).await;
    let expected = if winner == "crm" {
        "From CRM"
    } else {
        "From List"
    };
    assert_eq!(
        w.member_value(list, &email, "Title").await.as_deref(),
        Some(expected),
        "{rule}: list side"
    );
    assert_eq!(
        w.crm_lead_text(&key, "Title").as_deref(),
        Some(expected),
        "{rule}: CRM side"
    );
    // Settled: the next run has nothing to do.
    let again = w.sync(list).await;
    assert_eq!(again["counts"]["conflicts"], 0, "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crm_wins_by_default() {
    check_conflict("crm_wins", false, "crm").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_wins_when_chosen() {
    check_conflict("list_wins", true, "list").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newest_wins_follows_the_later_change() {
    check_conflict("newest_wins", true, "crm").await;
    check_conflict("newest_wins", false, "list").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_leads_sharing_one_modify_date_are_pulled_once_each() {
    let w = world(crm_config(5000, 0)).await;
    let list = w.pulling_lead_list(&["Title"]).await;
    w.sync(list).await;
    let bulk = chrono::Utc::now() + Duration::minutes(5);
    w.crm
        .state()
        .update_records(
            Kind::Lead,
            &UpdateSpec {
                count: Some(5000),
                set: set("Title", json!("Bulk")),
                modify_date: Some(bulk),
                ..Default::default()
            },
        )
        .expect("bulk update");
    w.crm.state().reset_stats();

    let report = w.sync(list).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    let updated = report["counts"]["pulled_updated"].as_u64().unwrap_or(0);
    let with_email = w.members(list).await.len() as u64;
    assert_eq!(updated, with_email, "every member updated once: {report}");
    assert_eq!(
        report["counts"]["read"].as_u64(),
        Some(5000),
        "each record read once: {report}"
    );
    let reads = w.crm.state().stats().kind_count("leads", "GET");
    assert!(
        reads <= 5000 / 100 + 3,
        "{reads} pages for 5000 records at 100 a page"
    );
    let again = w.sync(list).await;
    assert_eq!(
        again["counts"]["pulled_updated"], 0,
        "no loop over the bulk: {again}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_changed_in_the_crm_keeps_the_member_linked() {
    let w = world(crm_config(30, 0)).await;
    let list = w.imported_list("lead", &["Title"]).await;
    w.save_sync(list, &json!({
        "push": { "enabled": true, "add_new": true, "update_existing": true, "fields": ["Title"] },
        "pull": { "enabled": true, "add_new": true, "update_existing": true }
    })).await;
    let before = w.members(list).await;
    let member = before[0].clone();
    let key = member.crm.clone().expect("linked").key;
    let leads_before = w.crm_leads().len();
    w.crm.state().clock().advance(Duration::seconds(30));
    w.crm
        .state()
        .set_email(Kind::Lead, &key, "moved.on@elsewhere.example")
        .expect("email changed");

    let report = w.sync(list).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(w.crm_leads().len(), leads_before, "no new lead");
    let after = w.members(list).await;
    assert_eq!(after.len(), before.len(), "no new member");
    let linked = after
        .iter()
        .find(|m| m.crm.as_ref().is_some_and(|c| c.key == key))
        .expect("still linked");
    assert_eq!(
        linked.email, "moved.on@elsewhere.example",
        "the member follows the new address"
    );
    assert!(
        !after.iter().any(|m| m.email == member.email),
        "the old address left the list"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opt_out_in_the_crm_is_pulled_and_never_reversed() {
    let w = world(crm_config(10, 0)).await;
    let list = w.pulling_lead_list(&["Title"]).await;
    let member = w
        .members(list)
        .await
        .into_iter()
        .find(|m| !m.opted_out)
        .expect("a subscribed member");
    let key = member.crm.clone().expect("linked").key;
    w.crm.state().clock().advance(Duration::seconds(30));
    w.crm
        .state()
        .set_do_not_email(Kind::Lead, &key, true)
        .expect("opt out");
    w.sync(list).await;
    let opted = |ms: Vec<listbridge::store::Member>| {
        ms.into_iter()
            .find(|m| m.email == member.email)
            .is_some_and(|m| m.opted_out)
    };
    assert!(opted(w.members(list).await));
    w.crm.state().clock().advance(Duration::seconds(30));
    w.crm
        .state()
        .set_do_not_email(Kind::Lead, &key, false)
        .expect("opt back in");
    w.sync(list).await;
    assert!(
        opted(w.members(list).await),
        "a sync never reverses an opt-out"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crm_rejection_is_reported_once_and_not_retried() {
    let w = world(crm_config(10, 0)).await;
    let list = w.imported_list("lead", &["Title"]).await;
    w.save_sync(
        list,
        &json!({ "push": { "enabled": true, "update_existing": true, "fields": ["Title"] } }),
    )
    .await;
    let member = w.members(list).await.into_iter().next().expect("member");
    w.edit_member(list, &member.email, "Title", &"x".repeat(300))
        .await;
    w.crm.state().reset_stats();

    let run = w.run_now(list, false).await;
    let report = w.wait_run(&run).await;
    assert_eq!(report["counts"]["failed"], 1, "{report}");
    let failed = w.only_record(&run, "failed").await;
    assert_eq!(failed["email"], member.email.as_str());
    assert!(
        failed["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("Title"),
        "names the field: {failed}"
    );
    w.assert_no_crm_writes("");

    let again = w.sync(list).await;
    assert_eq!(again["counts"]["failed"], 0, "not re-sent: {again}");
    w.assert_no_crm_writes(&format!("not re-sent: {again}"));
    let parked = w
        .members(list)
        .await
        .into_iter()
        .find(|m| m.email == member.email)
        .and_then(|m| m.parked)
        .expect("the member stays parked with the reason");
    assert!(parked.reason.contains("Title"), "{}", parked.reason);
    w.edit_member(list, &member.email, "Title", "Fixed").await;
    let fixed = w.sync(list).await;
    assert_eq!(
        fixed["counts"]["pushed_updated"], 1,
        "sent again once the member changed: {fixed}"
    );
}

/// A person added to a lead list whose email is an Infor CRM contact's is matched to
/// that contact by the push; the list's pulls read leads, so the contact's later
/// changes come through the read of the records members followed into contacts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_matched_to_a_contact_gets_the_contacts_changes_by_pull() {
    let w = world(crm_config(5, 0)).await;
    let list = w.imported_list("lead", &["Title"]).await;
    let mut fields = Map::new();
    for (k, v) in [
        ("FirstName", "Casey"),
        ("LastName", "Contact"),
        ("Email", "casey@contact.example"),
        ("Title", "Buyer"),
    ] {
        fields.insert(k.into(), json!(v));
    }
    let contact = w
        .crm
        .state()
        .insert_record(Kind::Contact, &fields)
        .expect("contact inserted")
        .key;
    w.add_member(list, "casey@contact.example", &[]).await;
    w.save_sync(
        list,
        &json!({ "pull": { "enabled": true, "update_existing": true, "add_new": true, "fields": ["Title"] },
                 "push": { "enabled": true, "update_existing": true, "fields": ["Title"] } }),
    )
    .await;
    let report = w.sync(list).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    let linked = |members: &[listbridge::store::Member]| {
        members
            .iter()
            .find(|m| m.email == "casey@contact.example")
            .cloned()
            .expect("the member stays")
    };
    let member = linked(&w.members(list).await);
    let link = member.crm.clone().expect("matched by the push");
    assert_eq!(
        (link.entity.as_str(), link.key.as_str()),
        ("contact", contact.as_str())
    );

    w.crm.state().clock().advance(Duration::minutes(5));
    w.crm_update(
        Kind::Contact,
        std::slice::from_ref(&contact),
        &[("Title", "Head Buyer")],
    );
    let report = w.sync(list).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["counts"]["pulled_updated"], 1, "{report}");
    let member = linked(&w.members(list).await);
    assert_eq!(
        member.values.get("Title").cloned().flatten().as_deref(),
        Some("Head Buyer")
    );
    let before = w.members(list).await.len();
    assert_eq!(
        before, 6,
        "five leads and the contact's member, no other contact"
    );
}

/// Lists whose members were linked to the other entity before the list kept a mark for
/// it get the mark from the migration that added it, so their pulls go on reading it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migration_marks_the_lists_that_already_have_members_linked_to_the_other_entity() {
    use listbridge::store::ListRepo;
    use migration::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;

    let w = world(crm_config(5, 3)).await;
    let leads = w.imported_list("lead", &[]).await;
    let contacts = w.imported_list("contact", &[]).await;
    let db = w.app.state.store.conn();
    let marked = |list| async move { ListRepo.links_other_entity(db, list).await.unwrap() };
    assert!(!marked(leads).await && !marked(contacts).await);

    // The last migration undone, one lead list member linked to a contact as an earlier
    // version stored it, and the migration run again.
    Migrator::down(db, Some(1))
        .await
        .expect("undo the last migration");
    let email = w.members(leads).await[0].email.clone();
    db.execute_unprepared(&format!(
        "UPDATE members SET crm_entity = 'contact' WHERE list_id = '{}' AND email = '{email}'",
        leads.as_db()
    ))
    .await
    .unwrap();
    Migrator::up(db, None).await.expect("migrate again");

    assert!(marked(leads).await, "a member is linked to a contact");
    assert!(
        !marked(contacts).await,
        "a contact list's members linked to contacts are its own entity"
    );
}
