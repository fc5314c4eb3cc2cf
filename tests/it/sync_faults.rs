//! A sync under CRM faults ends in the same state as without them, with no duplicate
//! lead: the same scenario runs twice on identically seeded CRMs, once with 10% 500s,
//! 429s with Retry-After and a dropped connection, and both end states are compared
//! field by field, on the CRM side and the list side. Both runs also meet stale etags
//! (the CRM edits records after the list last saw them).

use std::collections::BTreeMap;

use crate::support::world::{World, crm_config, world};
use infor_crm_fake::{Fault, FaultConfig, FaultRule, Kind};
use listbridge::store::ListId;
use serde_json::json;

/// A member's values and whether it is linked.
type MemberState = (Vec<(String, Option<String>)>, bool);

/// Everything the scenario can change, keyed by email (new leads' keys differ per run).
#[derive(Debug, PartialEq)]
struct EndState {
    /// Per CRM person `(kind, email)`: the fields the scenario touches.
    crm: BTreeMap<(String, String), Vec<Option<String>>>,
    /// Per list and email: the member's values and whether it is linked.
    lists: BTreeMap<(String, String), MemberState>,
    /// CRM requests the three syncs took (faults make retries).
    requests: u64,
}

const CRM_FIELDS: [&str; 5] = ["FirstName", "LastName", "Title", "WorkPhone", "Company"];

async fn end_state(w: &World, lists: &[(&str, ListId)], requests: u64) -> EndState {
    let mut crm = BTreeMap::new();
    for kind in [Kind::Lead, Kind::Contact] {
        for record in w.crm.state().records(kind) {
            let email = record.text("Email").unwrap_or_default().to_lowercase();
            let values = CRM_FIELDS
                .iter()
                .map(|f| record.text(f).map(String::from))
                .collect();
            let previous = crm.insert((format!("{kind:?}"), email.clone()), values);
            assert!(
                previous.is_none() || kind == Kind::Contact || email.is_empty(),
                "two leads with {email}"
            );
        }
    }
    let mut members = BTreeMap::new();
    for (name, list) in lists {
        for m in w.members(*list).await {
            let values = m.values.into_iter().collect();
            members.insert((name.to_string(), m.email), (values, m.crm.is_some()));
        }
    }
    EndState {
        crm,
        lists: members,
        requests,
    }
}

/// Two-way leads, push-only contacts and a pushed upload, with edits on both sides.
async fn scenario(faults: bool) -> EndState {
    let w = world(crm_config(200, 20)).await;
    let leads = w.imported_list("lead", &["Title"]).await;
    let contacts = w.imported_list("contact", &["Title"]).await;
    let (upload, rows) = w.people_list(150, "faulty.example").await;
    for (list, setup) in [
        (
            leads,
            json!({
                "push": { "enabled": true, "update_existing": true, "fields": ["Title"] },
                "pull": { "enabled": true, "update_existing": true }
            }),
        ),
        (
            contacts,
            json!({ "push": { "enabled": true, "update_existing": true, "fields": ["Title"] } }),
        ),
        (
            upload,
            json!({ "push": { "enabled": true, "add_new": true } }),
        ),
    ] {
        w.save_sync(list, &setup).await;
    }
    // Member ids are random: pick members by email so both runs edit the same people.
    let mut lead_members = w.members(leads).await;
    lead_members.sort_by(|a, b| a.email.cmp(&b.email));
    for m in lead_members.iter().take(20) {
        w.edit_member(leads, &m.email, "Title", "Edited under faults")
            .await;
    }
    let mut contact_members = w.members(contacts).await;
    contact_members.sort_by(|a, b| a.email.cmp(&b.email));
    for m in contact_members.iter().take(8) {
        w.edit_member(contacts, &m.email, "Title", "Contact edit")
            .await;
    }
    w.crm.state().clock().advance(chrono::Duration::seconds(5));
    // CRM-side edits after the import: pulled for leads; for the push-only contacts they
    // make the stored etags stale, another field (kept) and the pushed field (crm_wins).
    for m in lead_members.iter().skip(30).take(10) {
        let key = &m.crm.as_ref().expect("linked").key;
        w.crm_update(
            Kind::Lead,
            &[key.to_string()],
            &[("FirstName", "CrmEdited")],
        );
    }
    let contact_key = |i: usize| contact_members[i].crm.clone().expect("linked").key;
    w.crm_update(
        Kind::Contact,
        &[contact_key(0)],
        &[("WorkPhone", "555-0100")],
    );
    w.crm_update(
        Kind::Contact,
        &[contact_key(1)],
        &[("Title", "CRM keeps this")],
    );

    w.crm.state().reset_stats();
    if faults {
        w.crm.state().set_faults(FaultConfig {
            seed: 7,
            rules: vec![
                FaultRule::rate(
                    0.10,
                    Fault::Status {
                        status: 500,
                        retry_after: None,
                    },
                ),
                FaultRule::next(
                    2,
                    Fault::Status {
                        status: 429,
                        retry_after: Some(1),
                    },
                ),
                FaultRule::next(1, Fault::Drop { apply: true }).with_method("POST"),
            ],
            ..FaultConfig::default()
        });
    }
    for list in [leads, contacts, upload] {
        let report = w.sync(list).await;
        // Retried runs finish; anything a fault interrupted is completed by the job queue.
        assert_eq!(report["status"], "succeeded", "faults {faults}: {report}");
    }
    w.crm.state().clear_faults();
    let requests = w.crm.state().stats().total;

    let contact = |i: usize| {
        w.crm
            .state()
            .record(Kind::Contact, &contact_key(i))
            .expect("contact")
    };
    assert_eq!(contact(0).text("WorkPhone"), Some("555-0100"), "kept");
    assert_eq!(contact(0).text("Title"), Some("Contact edit"), "pushed");
    assert_eq!(contact(1).text("Title"), Some("CRM keeps this"), "crm wins");
    for (email, _) in &rows {
        assert_eq!(w.leads_with_email(email), 1, "{email}: exactly one lead");
    }
    w.crm.state().reset_stats();
    for list in [leads, contacts, upload] {
        let again = w.sync(list).await;
        assert_eq!(again["counts"]["pushed_updated"], 0, "{again}");
        assert_eq!(again["counts"]["pushed_new"], 0, "{again}");
    }
    w.assert_no_crm_writes("settled: the next runs write nothing");
    end_state(
        &w,
        &[("leads", leads), ("contacts", contacts), ("upload", upload)],
        requests,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_and_pull_under_faults_end_as_without_them() {
    let calm = scenario(false).await;
    let faulty = scenario(true).await;
    assert_eq!(calm.crm.len(), faulty.crm.len(), "same CRM people");
    for (who, values) in &calm.crm {
        assert_eq!(faulty.crm.get(who), Some(values), "CRM {who:?}");
    }
    assert_eq!(calm.lists.len(), faulty.lists.len(), "same members");
    for (who, member) in &calm.lists {
        assert_eq!(faulty.lists.get(who), Some(member), "member {who:?}");
    }
    assert!(
        faulty.requests > calm.requests,
        "the faults were met and retried: {} vs {} requests",
        faulty.requests,
        calm.requests
    );
}
