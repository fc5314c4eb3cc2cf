//! Writes beyond the contract: Collections creates and notes whose answer was lost are
//! not made twice, an update with a stale etag writes its fields over the CRM's version,
//! a batch update whose expected fields the CRM did not change goes through, describe's
//! mapping, and converted leads stay out of lead reads but are swept as moved to their
//! contacts.

mod common;

use futures::TryStreamExt;
use listbridge_connector::{
    CrmConnector, EntityKind, FieldType, FieldValues, Note, NoteKind, NoteTarget, ReadQuery,
    WriteOp,
};
use salesforce_fake::{ConvertSpec, Fault, FaultRule, RecordUpdate, SObject, UpdateSpec};

use common::{add_lead, connector, fake};

fn fields(pairs: &[(&str, &str)]) -> FieldValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect()
}

fn lead(n: usize) -> FieldValues {
    fields(&[
        ("FirstName", "Pat"),
        ("LastName", &format!("Batch{n}")),
        ("Company", "Acme"),
        ("Email", &format!("pat.batch.{n}@example.test")),
    ])
}

fn drop_next_post(fake: &salesforce_fake::FakeSalesforce, path: &str) {
    let state = fake.state();
    let mut faults = state.faults();
    faults.rules.push(
        FaultRule::next(1, Fault::Drop { apply: true })
            .with_method("POST")
            .with_path(path),
    );
    state.set_faults(faults);
}

#[tokio::test]
async fn a_batch_create_whose_answer_was_lost_is_not_made_twice() {
    let fake = fake(2000).await;
    let connector = connector(&fake);
    connector
        .describe(EntityKind::Lead)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    drop_next_post(&fake, "/composite/sobjects");
    let ops: Vec<WriteOp> = (0..3)
        .map(|n| WriteOp::Create {
            entity: EntityKind::Lead,
            fields: lead(n),
        })
        .collect();
    let outcomes = connector
        .write_batch(ops)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcomes.len(), 3);
    for (n, outcome) in outcomes.iter().enumerate() {
        let record = outcome
            .as_ref()
            .unwrap_or_else(|e| panic!("create {n}: {e}"));
        assert_eq!(
            record.fields.get("LastName").cloned().flatten(),
            Some(format!("Batch{n}"))
        );
    }
    assert!(
        fake.state().faults().rules.is_empty(),
        "the answer was dropped"
    );
    assert_eq!(fake.state().count(SObject::Lead), 3, "each lead made once");
}

#[tokio::test]
async fn notes_whose_answer_was_lost_are_written_once() {
    let fake = fake(2000).await;
    let key = add_lead(&fake, "Pat", "Notes", "pat.notes@example.test");
    let connector = connector(&fake);
    drop_next_post(&fake, "/composite/sobjects");
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T09:30:15Z")
        .map(|t| t.to_utc())
        .unwrap_or_else(|e| panic!("{e}"));
    let note = Note {
        target: NoteTarget {
            entity: EntityKind::Lead,
            key: key[..15].to_string(),
        },
        kind: NoteKind::EmailSent,
        regarding: "x".repeat(300),
        text: "Sent the December offer".into(),
        at,
    };
    let written = connector
        .add_notes(vec![note.clone()])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let Some(Ok(task)) = written.first() else {
        panic!("the note was written: {written:?}")
    };
    assert!(
        fake.state().faults().rules.is_empty(),
        "the answer was dropped"
    );
    assert_eq!(fake.state().count(SObject::Task), 1, "one Task");
    let stored = fake
        .state()
        .record(task)
        .unwrap_or_else(|| panic!("the Task exists"));
    let subject = stored
        .field("Subject")
        .as_text()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        subject.chars().count(),
        255,
        "the subject fits Salesforce's 255"
    );
    assert_eq!(stored.field("Status").as_text(), Some("Completed"));
    let mut later = note.clone();
    later.at += chrono::TimeDelta::seconds(1);
    let found = connector
        .find_notes(&[note, later])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        found,
        vec![Some(task.clone()), None],
        "matched to the second"
    );
}

#[tokio::test]
async fn an_update_with_a_stale_etag_writes_its_fields_over_the_crm_version() {
    let fake = fake(2000).await;
    let key = add_lead(&fake, "Pat", "Stale", "pat.stale@example.test");
    let connector = connector(&fake);
    let read = connector
        .get_by_keys(
            EntityKind::Lead,
            std::slice::from_ref(&key),
            &["Title".into()],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let etag = read[0].etag.clone();
    let state = fake.state();
    state.clock().advance(chrono::TimeDelta::minutes(1));
    let crm_edit = serde_json::json!({"FirstName": "Edited"});
    let serde_json::Value::Object(edit) = crm_edit else {
        panic!("an object")
    };
    state
        .update_records(&UpdateSpec {
            updates: vec![RecordUpdate {
                sobject: "Lead".into(),
                id: key.clone(),
                fields: edit,
            }],
            system_modstamp: None,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let updated = connector
        .update(
            EntityKind::Lead,
            &key,
            etag.as_deref(),
            &fields(&[("Title", "Ours")]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        updated.fields.get("Title").cloned().flatten().as_deref(),
        Some("Ours")
    );
    let stored = state.record(&key).unwrap_or_else(|| panic!("the lead"));
    assert_eq!(
        stored.field("FirstName").as_text(),
        Some("Edited"),
        "the CRM's edit kept"
    );

    // The record moved on, but not in the expected field: the batch update goes through.
    let outcomes = connector
        .write_batch(vec![WriteOp::Update {
            entity: EntityKind::Lead,
            key: key.clone(),
            etag,
            fields: fields(&[("Title", "Ours again")]),
            expected: Some(fields(&[("Title", "Ours")])),
        }])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(outcomes[0].is_ok(), "{:?}", outcomes[0]);
}

#[tokio::test]
async fn describe_maps_salesforce_field_properties() {
    let fake = fake(2000).await;
    let defs = connector(&fake)
        .describe(EntityKind::Lead)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let def = |name: &str| {
        defs.iter()
            .find(|d| d.name == name)
            .unwrap_or_else(|| panic!("{name} described"))
    };
    assert!(def("LastName").required);
    assert_eq!(def("LastName").max_length, Some(80));
    assert!(!def("Status").required, "defaulted on create");
    assert!(def("SystemModstamp").read_only);
    assert_eq!(def("SystemModstamp").field_type, FieldType::DateTime);
    assert_eq!(def("HasOptedOutOfEmail").field_type, FieldType::Boolean);
    assert!(def("Score__c").custom);
    assert_eq!(def("Score__c").field_type, FieldType::Decimal);
}

#[tokio::test]
async fn converted_leads_are_not_read_as_leads() {
    let fake = fake(2000).await;
    let kept = add_lead(&fake, "Pat", "Kept", "pat.kept@example.test");
    let gone = add_lead(&fake, "Pat", "Converted", "pat.converted@example.test");
    fake.state()
        .convert_lead(&ConvertSpec {
            lead_id: gone,
            contact_id: None,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let connector = connector(&fake);
    let pages: Vec<_> = connector
        .read(EntityKind::Lead, ReadQuery::default())
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.records)
        .map(|r| r.key)
        .collect();
    assert_eq!(keys, vec![kept]);
    let contacts = connector
        .find_by_email(
            EntityKind::Contact,
            &["PAT.CONVERTED@example.test".into()],
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(contacts.len(), 1, "the person lives on as a contact");
    let as_lead = connector
        .find_by_email(
            EntityKind::Lead,
            &["pat.converted@example.test".into()],
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(as_lead.is_empty());
}

#[tokio::test]
async fn a_converted_lead_is_swept_as_moved_to_its_contact() {
    let fake = fake(2000).await;
    let before = fake.state().clock().now() - chrono::Duration::seconds(5);
    add_lead(&fake, "Pat", "Kept", "pat.kept@example.test");
    let gone = add_lead(&fake, "Pat", "Converted", "pat.converted@example.test");
    let conversion = fake
        .state()
        .convert_lead(&ConvertSpec {
            lead_id: gone.clone(),
            contact_id: None,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let connector = connector(&fake);
    let since = |modified| listbridge_connector::Watermark {
        modified,
        key: String::new(),
    };
    let pages: Vec<_> = connector
        .moved(EntityKind::Lead, since(before))
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let moved: Vec<_> = pages.into_iter().flatten().collect();
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(moved[0].key, gone);
    assert_eq!(moved[0].to_entity, EntityKind::Contact);
    assert_eq!(moved[0].to_key, conversion.contact_id);
    // After the conversion, nothing; and contacts never move (no request).
    let later: Vec<_> = connector
        .moved(EntityKind::Lead, moved[0].at.clone())
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(later.into_iter().flatten().next().is_none());
    let requests = fake.state().stats().total;
    let contacts: Vec<_> = connector
        .moved(EntityKind::Contact, since(before))
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(contacts.is_empty());
    assert_eq!(fake.state().stats().total, requests);
}

#[tokio::test]
async fn missing_records_are_absent_from_reads_and_not_found_for_updates() {
    let fake = fake(2000).await;
    let key = add_lead(&fake, "Pat", "Gone", "pat.gone@example.test");
    fake.state()
        .delete_records(std::slice::from_ref(&key))
        .unwrap_or_else(|e| panic!("{e}"));
    let connector = connector(&fake);
    let found = connector
        .get_by_keys(EntityKind::Lead, std::slice::from_ref(&key), &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(found.is_empty(), "{found:?}");
    match connector
        .update(EntityKind::Lead, &key, None, &fields(&[("Title", "Late")]))
        .await
    {
        Err(listbridge_connector::ConnectorError::NotFound { key: named, .. }) => {
            assert_eq!(named, key)
        }
        other => panic!("an update of a deleted lead is not found, got {other:?}"),
    }
    let outcomes = connector
        .write_batch(vec![WriteOp::Update {
            entity: EntityKind::Lead,
            key: key.clone(),
            etag: None,
            fields: fields(&[("Title", "Late")]),
            expected: None,
        }])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(
            outcomes.as_slice(),
            [Err(listbridge_connector::ConnectorError::NotFound { .. })]
        ),
        "{outcomes:?}"
    );
}
