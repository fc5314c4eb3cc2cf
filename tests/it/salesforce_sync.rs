//! A Salesforce lead list kept in step (issue 17): selected fields pulled and pushed, and
//! a lead converted in Salesforce followed to its contact instead of stranding its member.

use salesforce_fake::{ConvertSpec, RecordUpdate, SObject, UpdateSpec};
use serde_json::json;

use crate::support::salesforce::salesforce_only;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_converted_leads_member_follows_its_contact_and_selected_fields_flow_both_ways() {
    let (w, sf) = salesforce_only(40).await;
    let list = w.imported_list("lead", &["Title", "Company"]).await;
    w.save_sync(
        list,
        &json!({
            "pull": { "enabled": true, "update_existing": true, "fields": ["Title"] },
            "push": { "enabled": true, "update_existing": true, "fields": ["Title"] }
        }),
    )
    .await;
    let members = w.members(list).await;
    let [first, second, ..] = members.as_slice() else {
        panic!("two members at least: {members:?}");
    };
    let lead_key = |m: &listbridge::store::Member| m.crm.clone().expect("linked").key;
    let (converted_lead, other_lead) = (lead_key(first), lead_key(second));

    // In Salesforce: the first lead is converted, the second's Title and Company change.
    let conversion = sf
        .state()
        .convert_lead(&ConvertSpec {
            lead_id: converted_lead.clone(),
            contact_id: None,
        })
        .expect("the lead converts");
    let mut fields = serde_json::Map::new();
    fields.insert("Title".into(), json!("Head of Pulling"));
    fields.insert("Company".into(), json!("Not Pulled Ltd"));
    sf.state()
        .update_records(&UpdateSpec {
            updates: vec![RecordUpdate {
                sobject: "Lead".into(),
                id: other_lead.clone(),
                fields,
            }],
            system_modstamp: None,
        })
        .expect("the lead changes");
    // In the list: the converted lead's member gets a new Title.
    w.edit_member(list, &first.email, "Title", "VP of Following")
        .await;

    let report = w.sync(list).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["counts"]["followed"], 1, "{report}");
    let run = report["id"].as_str().unwrap_or_default();
    let followed = w.only_record(run, "converted").await;
    assert_eq!(followed["crm_entity"], "contact", "{followed}");
    assert_eq!(
        followed["crm_key"],
        json!(conversion.contact_id),
        "{followed}"
    );
    assert!(
        followed["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&converted_lead) && d.contains("follows the contact")),
        "{followed}"
    );

    // The member now follows the contact, and its new Title went there, not to the lead.
    let members = w.members(list).await;
    let moved = members
        .iter()
        .find(|m| m.email == first.email)
        .expect("the member stays");
    let link = moved.crm.clone().expect("linked");
    assert_eq!(
        (link.entity.as_str(), link.key.as_str()),
        ("contact", conversion.contact_id.as_str())
    );
    let text = |id: &str, field: &str| {
        sf.state()
            .record(id)
            .and_then(|r| r.field(field).as_text().map(str::to_string))
    };
    assert_eq!(
        text(&conversion.contact_id, "Title").as_deref(),
        Some("VP of Following")
    );
    assert_ne!(
        text(&converted_lead, "Title").as_deref(),
        Some("VP of Following")
    );

    // The selected field was pulled; the one not selected was not.
    let pulled = members
        .iter()
        .find(|m| m.email == second.email)
        .expect("member");
    assert_eq!(
        pulled.values.get("Title").cloned().flatten().as_deref(),
        Some("Head of Pulling")
    );
    assert_ne!(
        pulled.values.get("Company").cloned().flatten().as_deref(),
        Some("Not Pulled Ltd")
    );

    // The next sync finds nothing more to follow and writes nothing twice.
    let tasks_before = sf.state().records(SObject::Task).len();
    let again = w.sync(list).await;
    assert_eq!(again["status"], "succeeded", "{again}");
    assert_eq!(again["counts"]["followed"], 0, "{again}");
    assert_eq!(again["counts"]["pushed_updated"], 0, "{again}");
    assert_eq!(sf.state().records(SObject::Task).len(), tasks_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_leads_converted_into_one_contact_leave_the_second_member_behind() {
    let (w, sf) = salesforce_only(20).await;
    let list = w.imported_list("lead", &["Title"]).await;
    w.save_sync(
        list,
        &json!({ "push": { "enabled": true, "update_existing": true, "fields": ["Title"] } }),
    )
    .await;
    let members = w.members(list).await;
    let [first, second, ..] = members.as_slice() else {
        panic!("two members at least: {members:?}");
    };
    let key = |m: &listbridge::store::Member| m.crm.clone().expect("linked").key;
    let contact = sf
        .state()
        .convert_lead(&ConvertSpec {
            lead_id: key(first),
            contact_id: None,
        })
        .expect("the first lead converts")
        .contact_id;
    // A second later, so the order the two conversions are read in is known.
    sf.state().clock().advance(chrono::TimeDelta::seconds(1));
    sf.state()
        .convert_lead(&ConvertSpec {
            lead_id: key(second),
            contact_id: Some(contact.clone()),
        })
        .expect("the second lead merges into the same contact");
    // The list side changes both, so a push would write to whatever they are linked to.
    w.edit_member(list, &first.email, "Title", "Kept").await;
    w.edit_member(list, &second.email, "Title", "Not written")
        .await;

    // A push-only list follows too: the sweep does not wait for a pull.
    let report = w.sync(list).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["counts"]["followed"], 1, "{report}");
    let run = report["id"].as_str().unwrap_or_default();
    let records = w.records_with_outcome(run, "converted").await;
    assert_eq!(records.len(), 2, "{records:?}");
    let behind = records
        .iter()
        .find(|r| r["email"] == json!(second.email))
        .expect("a record for the member left behind");
    assert!(
        behind["detail"]
            .as_str()
            .is_some_and(|d| d.contains("already follows") && d.contains(&first.email)),
        "{behind}"
    );
    let text = |id: &str| {
        sf.state()
            .record(id)
            .and_then(|r| r.field("Title").as_text().map(str::to_string))
    };
    assert_eq!(text(&contact).as_deref(), Some("Kept"));
    let left = w
        .members(list)
        .await
        .into_iter()
        .find(|m| m.email == second.email)
        .expect("the member stays in the list");
    let link = left.crm.expect("still linked");
    assert_eq!(link.key, key(second), "linked to the converted lead");
    assert!(link.deleted_at.is_some(), "and left alone by syncs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_lists_member_follows_the_contact_its_pushed_lead_became() {
    let (w, sf) = salesforce_only(5).await;
    let (list, rows) = w.people_list(3, "follow.example").await;
    w.save_sync(
        list,
        &json!({ "push": { "enabled": true, "add_new": true, "update_existing": true,
                           "fields": ["FirstName"] } }),
    )
    .await;
    let report = w.sync(list).await;
    assert_eq!(report["counts"]["pushed_new"], 3, "{report}");
    let (email, _) = &rows[0];
    let member = |members: Vec<listbridge::store::Member>| {
        members
            .into_iter()
            .find(|m| &m.email == email)
            .expect("the member")
    };
    let lead = member(w.members(list).await).crm.expect("linked").key;
    let contact = sf
        .state()
        .convert_lead(&ConvertSpec {
            lead_id: lead.clone(),
            contact_id: None,
        })
        .expect("the pushed lead converts")
        .contact_id;
    w.edit_member(list, email, "First Name", "Renamed").await;

    let report = w.sync(list).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["counts"]["followed"], 1, "{report}");
    assert_eq!(report["counts"]["pushed_updated"], 1, "{report}");
    let link = member(w.members(list).await).crm.expect("linked");
    assert_eq!(
        (link.entity.as_str(), link.key.as_str()),
        ("contact", contact.as_str())
    );
    let first_name = |id: &str| {
        sf.state()
            .record(id)
            .and_then(|r| r.field("FirstName").as_text().map(str::to_string))
    };
    assert_eq!(first_name(&contact).as_deref(), Some("Renamed"));
    assert_ne!(first_name(&lead).as_deref(), Some("Renamed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_contacts_changes_are_pulled_and_other_contacts_stay_out_of_the_list() {
    let (w, sf) = salesforce_only(10).await;
    let list = w.imported_list("lead", &["Title"]).await;
    w.save_sync(
        list,
        &json!({ "pull": { "enabled": true, "update_existing": true, "add_new": true,
                           "fields": ["Title"] } }),
    )
    .await;
    let members = w.members(list).await;
    let first = members.first().expect("a member").clone();
    let lead = first.crm.clone().expect("linked").key;
    let contact = sf
        .state()
        .convert_lead(&ConvertSpec {
            lead_id: lead,
            contact_id: None,
        })
        .expect("the lead converts")
        .contact_id;
    let report = w.sync(list).await;
    assert_eq!(report["counts"]["followed"], 1, "{report}");

    // Later, in Salesforce: the contact's Title changes, and a contact nobody in the list
    // is linked to appears (a new person, whose email no member has).
    sf.state().clock().advance(chrono::TimeDelta::seconds(5));
    let mut fields = serde_json::Map::new();
    fields.insert("Title".into(), json!("Chief Follower"));
    sf.state()
        .update_records(&UpdateSpec {
            updates: vec![RecordUpdate {
                sobject: "Contact".into(),
                id: contact.clone(),
                fields,
            }],
            system_modstamp: None,
        })
        .expect("the contact changes");
    let mut stranger = serde_json::Map::new();
    stranger.insert("LastName".into(), json!("Stranger"));
    stranger.insert("Email".into(), json!("stranger@elsewhere.example"));
    sf.state()
        .insert_record(SObject::Contact, &stranger)
        .expect("a contact is added");

    let report = w.sync(list).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["counts"]["pulled_updated"], 1, "{report}");
    assert_eq!(report["counts"]["pulled_new"], 0, "{report}");
    let after = w.members(list).await;
    assert_eq!(after.len(), members.len(), "no contact became a member");
    let followed = after
        .iter()
        .find(|m| m.email == first.email)
        .expect("the member stays");
    assert_eq!(
        followed.values.get("Title").cloned().flatten().as_deref(),
        Some("Chief Follower"),
        "the contact's change reached the member that follows it"
    );

    // Nothing changed since: the next sync pulls nothing again.
    let again = w.sync(list).await;
    assert_eq!(again["counts"]["pulled_updated"], 0, "{again}");
}
