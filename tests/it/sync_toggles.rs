//! One test per cell of push/pull × add new/update existing × default/selected fields:
//! each toggle does exactly what the product promises and nothing more. Push "add new"
//! creates leads, push "update existing" writes only the chosen push-update fields (none
//! by default); pull "add new" brings in records added in the CRM, pull "update
//! existing" refreshes only the chosen pull-update fields (all by default).

use crate::support::world::{World, crm_config, world};
use chrono::Duration;
use infor_crm_fake::Kind;
use listbridge::store::ListId;
use serde_json::{Map, Value, json};

/// A lead list (FirstName, LastName, Title), synced once with `setup`, then changed on
/// both sides: a member's Title and FirstName in the list, another lead's Title and
/// FirstName in the CRM, a brand-new CRM lead and a brand-new list member.
struct Scene {
    w: World,
    list: ListId,
    list_edit: (String, String),
    crm_edit: (String, String),
    new_lead_email: String,
    new_member_email: String,
}

async fn scene(setup: Value) -> Scene {
    let w = world(crm_config(30, 0)).await;
    let list = w.imported_list("lead", &["Title", "Company"]).await;
    w.save_sync(list, &setup).await;
    let members = w.members(list).await;
    let a = members[0].clone();
    let b = members[1].clone();
    w.edit_member(list, &a.email, "Title", "List Title").await;
    w.edit_member(list, &a.email, "FirstName", "ListFirst")
        .await;
    w.crm.state().clock().advance(Duration::seconds(30));
    let b_key = b.crm.clone().expect("linked").key;
    w.crm_update(
        Kind::Lead,
        std::slice::from_ref(&b_key),
        &[("Title", "CRM Title"), ("FirstName", "CrmFirst")],
    );
    let mut lead = Map::new();
    for (k, v) in [
        ("FirstName", "Nova"),
        ("LastName", "Lead"),
        ("Company", "NewCo"),
        ("Email", "nova.lead@newco.example"),
    ] {
        lead.insert(k.into(), json!(v));
    }
    w.crm
        .state()
        .insert_record(Kind::Lead, &lead)
        .expect("new CRM lead");
    w.add_member(
        list,
        "fresh.member@list.example",
        &[
            ("LastName", "Fresh"),
            ("Company", "ListCo"),
            ("FirstName", "Fresh"),
        ],
    )
    .await;
    w.crm.state().reset_stats();
    Scene {
        w,
        list,
        list_edit: (a.email, a.crm.expect("linked").key),
        crm_edit: (b.email, b_key),
        new_lead_email: "nova.lead@newco.example".into(),
        new_member_email: "fresh.member@list.example".into(),
    }
}

impl Scene {
    async fn run(&self) -> Value {
        let report = self.w.sync(self.list).await;
        assert!(
            report["status"] == "succeeded" || report["status"] == "completed_with_errors",
            "{report}"
        );
        report
    }
    fn crm(&self, key: &str, field: &str) -> Option<String> {
        self.w.crm_lead_text(key, field)
    }
    async fn member(&self, email: &str, column: &str) -> Option<String> {
        self.w.member_value(self.list, email, column).await
    }
    /// The one lead with this email in the CRM, field by field.
    fn new_lead(&self, email: &str, field: &str) -> Option<String> {
        let leads = self.w.leads_by_email(email);
        assert_eq!(leads.len(), 1, "one lead with {email}");
        leads[0].text(field).map(String::from)
    }
    /// Asserts the new member became a lead with every mapped value.
    fn assert_new_lead_has_every_value(&self) {
        for (field, value) in [
            ("FirstName", "Fresh"),
            ("LastName", "Fresh"),
            ("Company", "ListCo"),
        ] {
            assert_eq!(
                self.new_lead(&self.new_member_email, field).as_deref(),
                Some(value),
                "{field}"
            );
        }
    }
    async fn has_member(&self, email: &str) -> bool {
        self.w
            .members(self.list)
            .await
            .iter()
            .any(|m| m.email == email)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_add_new_creates_leads_and_updates_nothing() {
    let s = scene(json!({ "push": { "enabled": true, "add_new": true } })).await;
    let r = s.run().await;
    assert_eq!(r["counts"]["pushed_new"], 1, "{r}");
    assert_eq!(s.w.leads_with_email(&s.new_member_email), 1);
    s.assert_new_lead_has_every_value();
    assert_ne!(
        s.crm(&s.list_edit.1, "Title").as_deref(),
        Some("List Title")
    );
    assert_eq!(r["counts"]["pushed_updated"], 0, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_add_new_with_selected_fields_creates_with_every_value_and_updates_nothing() {
    // The push-update fields choose what updates send; a new lead gets every mapped value.
    let s =
        scene(json!({ "push": { "enabled": true, "add_new": true, "fields": ["Title"] } })).await;
    let r = s.run().await;
    assert_eq!(r["counts"]["pushed_new"], 1, "{r}");
    assert_eq!(
        r["counts"]["pushed_updated"], 0,
        "update existing is off: {r}"
    );
    s.assert_new_lead_has_every_value();
    assert_ne!(
        s.crm(&s.list_edit.1, "Title").as_deref(),
        Some("List Title"),
        "the edited member's Title is not pushed without update existing"
    );
    assert_eq!(s.w.crm_writes(), 1, "only the create: {r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_update_existing_with_default_fields_sends_nothing() {
    let s = scene(json!({ "push": { "enabled": true, "update_existing": true } })).await;
    let r = s.run().await;
    s.w.assert_no_crm_writes(&format!(
        "no push-update fields are selected by default: {r}"
    ));
    assert_eq!(
        s.w.leads_with_email(&s.new_member_email),
        0,
        "add new is off"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_update_existing_sends_only_the_selected_fields() {
    let s =
        scene(json!({ "push": { "enabled": true, "update_existing": true, "fields": ["Title"] } }))
            .await;
    let r = s.run().await;
    assert_eq!(r["counts"]["pushed_updated"], 1, "{r}");
    assert_eq!(
        s.crm(&s.list_edit.1, "Title").as_deref(),
        Some("List Title")
    );
    assert_ne!(
        s.crm(&s.list_edit.1, "FirstName").as_deref(),
        Some("ListFirst"),
        "FirstName is not a push field"
    );
    assert_eq!(s.w.leads_with_email(&s.new_member_email), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_add_new_and_update_existing_together() {
    let s = scene(json!({ "push": { "enabled": true, "add_new": true, "update_existing": true, "fields": ["Title", "FirstName"] } })).await;
    let r = s.run().await;
    assert_eq!(r["counts"]["pushed_new"], 1, "{r}");
    assert_eq!(r["counts"]["pushed_updated"], 1, "{r}");
    assert_eq!(
        s.crm(&s.list_edit.1, "FirstName").as_deref(),
        Some("ListFirst")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_add_new_brings_new_records_and_updates_nothing() {
    let s = scene(json!({ "pull": { "enabled": true, "add_new": true } })).await;
    let r = s.run().await;
    assert!(s.has_member(&s.new_lead_email).await, "{r}");
    assert_eq!(
        s.member(&s.new_lead_email, "Company").await.as_deref(),
        Some("NewCo")
    );
    assert_ne!(
        s.member(&s.crm_edit.0, "Title").await.as_deref(),
        Some("CRM Title"),
        "update existing is off"
    );
    s.w.assert_no_crm_writes("");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_add_new_with_selected_fields_adds_with_every_column_and_updates_nothing() {
    // The pull-update fields choose what updates bring; a new member gets every column.
    let s =
        scene(json!({ "pull": { "enabled": true, "add_new": true, "fields": ["Title"] } })).await;
    let r = s.run().await;
    assert_eq!(r["counts"]["pulled_new"], 1, "{r}");
    for (column, value) in [
        ("FirstName", "Nova"),
        ("LastName", "Lead"),
        ("Company", "NewCo"),
    ] {
        assert_eq!(
            s.member(&s.new_lead_email, column).await.as_deref(),
            Some(value),
            "{column}"
        );
    }
    assert_ne!(
        s.member(&s.crm_edit.0, "Title").await.as_deref(),
        Some("CRM Title"),
        "update existing is off"
    );
    assert_eq!(r["counts"]["pulled_updated"], 0, "{r}");
    s.w.assert_no_crm_writes("");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_update_existing_with_default_fields_refreshes_every_field() {
    let s = scene(json!({ "pull": { "enabled": true, "update_existing": true } })).await;
    let r = s.run().await;
    assert_eq!(
        s.member(&s.crm_edit.0, "Title").await.as_deref(),
        Some("CRM Title"),
        "{r}"
    );
    assert_eq!(
        s.member(&s.crm_edit.0, "FirstName").await.as_deref(),
        Some("CrmFirst")
    );
    assert!(!s.has_member(&s.new_lead_email).await, "add new is off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_update_existing_refreshes_only_the_selected_fields() {
    let s =
        scene(json!({ "pull": { "enabled": true, "update_existing": true, "fields": ["Title"] } }))
            .await;
    s.run().await;
    assert_eq!(
        s.member(&s.crm_edit.0, "Title").await.as_deref(),
        Some("CRM Title")
    );
    assert_ne!(
        s.member(&s.crm_edit.0, "FirstName").await.as_deref(),
        Some("CrmFirst"),
        "FirstName was removed from the pull fields"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_add_new_and_update_existing_together() {
    let s = scene(json!({ "pull": { "enabled": true, "add_new": true, "update_existing": true } }))
        .await;
    let r = s.run().await;
    assert!(s.has_member(&s.new_lead_email).await, "{r}");
    assert_eq!(
        s.member(&s.crm_edit.0, "FirstName").await.as_deref(),
        Some("CrmFirst")
    );
    s.w.assert_no_crm_writes("a pull never writes to the CRM");
}
