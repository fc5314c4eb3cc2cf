//! Matching a member to the CRM by email when several CRM records share it: the contact
//! is preferred over leads, then the most recently modified record; the run report says
//! which record was chosen and why, and only that record is written.

use crate::support::world::{World, crm_config, world};
use chrono::Duration;
use infor_crm_fake::Kind;
use serde_json::{Map, json};

fn person(w: &World, kind: Kind, email: &str, last: &str, title: &str) -> String {
    let mut fields = Map::new();
    for (k, v) in [
        ("FirstName", "Shared"),
        ("LastName", last),
        ("Email", email),
        ("Title", title),
    ] {
        fields.insert(k.into(), json!(v));
    }
    if kind == Kind::Lead {
        fields.insert("Company".into(), json!("Lead Co"));
    }
    w.crm
        .state()
        .insert_record(kind, &fields)
        .expect("record inserted")
        .key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contact_then_the_newest_record_is_matched_and_the_report_says_why() {
    let w = world(crm_config(0, 0)).await;
    // Email 1: a lead and a contact. Email 2: two leads, the second edited later.
    let lead_1 = person(&w, Kind::Lead, "pat@shared.example", "Lead", "Lead title");
    let contact_1 = person(
        &w,
        Kind::Contact,
        "PAT@shared.example",
        "Contact",
        "Contact title",
    );
    let older_2 = person(&w, Kind::Lead, "sam@shared.example", "Older", "Old title");
    w.crm.state().clock().advance(Duration::minutes(5));
    let newer_2 = person(&w, Kind::Lead, "sam@shared.example", "Newer", "New title");

    let list = w
        .uploaded_list(
            "Event attendees",
            &[
                ("First Name", Some("first_name")),
                ("Last Name", Some("last_name")),
                ("Title", Some("title")),
            ],
            &[
                (
                    "pat@shared.example",
                    vec![
                        ("First Name", "Pat"),
                        ("Last Name", "Member"),
                        ("Title", "Attendee"),
                    ],
                ),
                (
                    "sam@shared.example",
                    vec![
                        ("First Name", "Sam"),
                        ("Last Name", "Member"),
                        ("Title", "Attendee"),
                    ],
                ),
            ],
        )
        .await;
    w.save_sync(list, &json!({ "push": { "enabled": true, "add_new": true, "update_existing": true, "fields": ["Title"] } })).await;

    let run = w.run_now(list, false).await;
    let report = w.wait_run(&run).await;
    assert_eq!(report["counts"]["pushed_updated"], 2, "{report}");
    assert_eq!(
        report["counts"]["pushed_new"], 0,
        "matched, not created: {report}"
    );
    let records = w.run_records(&run).await;
    let matched = |email: &str| {
        records
            .iter()
            .find(|r| r["outcome"] == "matched" && r["email"] == email)
            .cloned()
            .unwrap_or_else(|| panic!("no match reported for {email}: {records:?}"))
    };
    let pat = matched("pat@shared.example");
    assert_eq!(pat["crm_entity"], "contact", "{pat}");
    assert_eq!(pat["crm_key"], contact_1.as_str(), "{pat}");
    assert!(
        pat["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("contact is preferred"),
        "{pat}"
    );
    let sam = matched("sam@shared.example");
    assert_eq!(sam["crm_key"], newer_2.as_str(), "{sam}");
    assert!(
        sam["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("most recently modified"),
        "{sam}"
    );

    let title = |kind: Kind, key: &str| {
        w.crm
            .state()
            .record(kind, key)
            .and_then(|r| r.text("Title").map(String::from))
    };
    assert_eq!(
        title(Kind::Contact, &contact_1).as_deref(),
        Some("Attendee")
    );
    assert_eq!(
        title(Kind::Lead, &lead_1).as_deref(),
        Some("Lead title"),
        "the lead is left alone"
    );
    assert_eq!(title(Kind::Lead, &newer_2).as_deref(), Some("Attendee"));
    assert_eq!(
        title(Kind::Lead, &older_2).as_deref(),
        Some("Old title"),
        "the older lead is left alone"
    );
    let linked: Vec<(String, String)> = w
        .members(list)
        .await
        .into_iter()
        .map(|m| (m.email, m.crm.map(|c| c.key).unwrap_or_default()))
        .collect();
    assert!(
        linked.contains(&("pat@shared.example".into(), contact_1.clone())),
        "{linked:?}"
    );
    assert!(
        linked.contains(&("sam@shared.example".into(), newer_2.clone())),
        "{linked:?}"
    );
}
