//! A sync under CRM faults ends in the same state as without them, with no duplicate lead.

mod common;
mod sync_support;

use infor_crm_fake::{Fault, FaultConfig, FaultRule, Kind};
use listbridge::store::ListKind;
use serde_json::json;
use sync_support::{PEOPLE_COLUMNS, borrow_rows, crm_config, people, world};

#[tokio::test]
async fn push_and_pull_under_faults_end_as_without_them() {
    let w = world(crm_config(200, 20)).await;
    let leads = w.import(ListKind::CrmLead, &["Title"]).await;
    let rows = people(150, "faulty.example");
    let upload = w
        .uploaded_list("Upload", &PEOPLE_COLUMNS, &borrow_rows(&rows))
        .await;
    w.put_sync(
        leads,
        &json!({
            "push": { "enabled": true, "update_existing": true, "fields": ["Title"] },
            "pull": { "enabled": true, "update_existing": true }
        }),
    )
    .await;
    w.put_sync(
        upload,
        &json!({ "push": { "enabled": true, "add_new": true } }),
    )
    .await;
    let edited: Vec<(String, String)> = w
        .members(leads)
        .await
        .into_iter()
        .take(20)
        .map(|m| (m.email.clone(), m.crm.expect("linked").key))
        .collect();
    for (email, _) in &edited {
        w.edit_member(leads, email, "Title", "Edited under faults")
            .await;
    }
    // A stale etag: the CRM changes another field of one edited lead before the push.
    w.crm.state().clock().advance(chrono::Duration::seconds(5));
    let mut other = serde_json::Map::new();
    other.insert("WorkPhone".into(), json!("555-0100"));
    w.crm
        .state()
        .update_records(
            Kind::Lead,
            &infor_crm_fake::UpdateSpec {
                keys: vec![edited[0].1.clone()],
                set: other,
                ..Default::default()
            },
        )
        .expect("crm edit");

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
    let a = w.sync(leads).await;
    let b = w.sync(upload).await;
    w.crm.state().clear_faults();
    // Retried runs finish; anything a fault interrupted is completed by the job queue.
    assert_eq!(a["status"], "succeeded", "{a}");
    assert_eq!(b["status"], "succeeded", "{b}");

    for (_, key) in &edited {
        let lead = w.crm.state().record(Kind::Lead, key).expect("lead");
        assert_eq!(lead.text("Title"), Some("Edited under faults"), "{key}");
    }
    let stale = w
        .crm
        .state()
        .record(Kind::Lead, &edited[0].1)
        .expect("lead");
    assert_eq!(
        stale.text("WorkPhone"),
        Some("555-0100"),
        "the CRM's own change survived"
    );
    for (email, _) in &rows {
        assert_eq!(w.leads_with_email(email), 1, "{email}: exactly one lead");
    }
    let again_a = w.sync(leads).await;
    let again_b = w.sync(upload).await;
    assert_eq!(again_a["counts"]["pushed_updated"], 0, "{again_a}");
    assert_eq!(again_b["counts"]["pushed_new"], 0, "{again_b}");
}
