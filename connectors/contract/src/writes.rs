//! Writes: a create read back, an update of some fields, a stale version, and a batch
//! with one record the CRM refuses.

use listbridge_connector::{
    ConnectorError, CrmConnector, CrmRecord, EntityKind, FieldValues, SystemUsage, WriteOp,
};

use crate::{
    Harness,
    people::{Person, field, fields_of},
};

/// The record `key` as the CRM holds it now, with `fields`.
pub(crate) async fn fetch(
    connector: &dyn CrmConnector,
    entity: EntityKind,
    key: &str,
    fields: &[String],
) -> CrmRecord {
    connector
        .get_by_keys(entity, &[key.to_string()], fields)
        .await
        .unwrap_or_else(|e| panic!("reading {entity} {key} failed: {e}"))
        .into_iter()
        .find(|r| r.key == key)
        .unwrap_or_else(|| panic!("{entity} {key} is not in the CRM"))
}

/// A field's value in a record.
pub(crate) fn value(record: &CrmRecord, name: &str) -> Option<String> {
    record.fields.get(name).cloned().flatten()
}

/// A lead created through the connector is in the CRM once and reads back; an update of
/// one field changes that field and leaves the others.
pub async fn created_records_read_back_and_updates_change_only_their_fields(h: &dyn Harness) {
    let connector = h.connector();
    let vocabulary = connector.vocabulary();
    let person = Person::numbered("create", 1);
    let created = connector
        .create(
            EntityKind::Lead,
            &person.fields(vocabulary, EntityKind::Lead),
        )
        .await
        .unwrap_or_else(|e| panic!("create failed: {e}"));
    assert!(!created.key.is_empty(), "a created record has its key");
    assert_eq!(h.count_with_email(EntityKind::Lead, &person.email).await, 1);

    let last = field(vocabulary, EntityKind::Lead, SystemUsage::LastName);
    let title = field(vocabulary, EntityKind::Lead, SystemUsage::Title);
    let wanted = [last.clone(), title.clone()];
    let read = fetch(connector.as_ref(), EntityKind::Lead, &created.key, &wanted).await;
    assert_eq!(value(&read, &last), Some(person.last_name.clone()));
    assert_eq!(vocabulary.email_of(&read), Some(person.email.as_str()));

    let set = FieldValues::from([(title.clone(), Some("Head of Contracts".to_string()))]);
    connector
        .update(EntityKind::Lead, &created.key, None, &set)
        .await
        .unwrap_or_else(|e| panic!("update failed: {e}"));
    let read = fetch(connector.as_ref(), EntityKind::Lead, &created.key, &wanted).await;
    assert_eq!(value(&read, &title).as_deref(), Some("Head of Contracts"));
    assert_eq!(value(&read, &last), Some(person.last_name), "untouched");
    assert_eq!(h.count_with_email(EntityKind::Lead, &person.email).await, 1);
}

/// An update carrying the version read before the CRM changed the record, of a field
/// changed in the CRM since the value the engine last agreed on, is refused as a conflict
/// (for the engine to settle by the field's rule), and the CRM's change stands.
pub async fn a_stale_version_is_a_conflict_not_an_overwrite(h: &dyn Harness) {
    let connector = h.connector();
    let vocabulary = connector.vocabulary();
    let keys = h
        .add_people(
            EntityKind::Lead,
            &fields_of(
                &[Person::numbered("stale", 1)],
                vocabulary,
                EntityKind::Lead,
            ),
        )
        .await;
    let key = &keys[0];
    let title = field(vocabulary, EntityKind::Lead, SystemUsage::Title);
    let read = fetch(
        connector.as_ref(),
        EntityKind::Lead,
        key,
        std::slice::from_ref(&title),
    )
    .await;
    let version = read
        .etag
        .clone()
        .unwrap_or_else(|| panic!("a record read carries its version"));

    let crm_edit = FieldValues::from([(title.clone(), Some("Edited in the CRM".to_string()))]);
    h.change_together(EntityKind::Lead, std::slice::from_ref(key), &crm_edit)
        .await;
    let ours = FieldValues::from([(title.clone(), Some("Written by listbridge".to_string()))]);
    let agreed = FieldValues::from([(title.clone(), value(&read, &title))]);
    let outcomes = connector
        .write_batch(vec![WriteOp::Update {
            entity: EntityKind::Lead,
            key: key.clone(),
            etag: Some(version),
            fields: ours,
            expected: Some(agreed),
        }])
        .await
        .unwrap_or_else(|e| panic!("the batch as a whole failed: {e}"));
    match outcomes.as_slice() {
        [
            Err(ConnectorError::Conflict {
                key: named,
                current,
                ..
            }),
        ] => {
            assert_eq!(named, key);
            let current = current
                .as_deref()
                .unwrap_or_else(|| panic!("a conflict carries the CRM's version"));
            assert_eq!(value(current, &title).as_deref(), Some("Edited in the CRM"));
        }
        other => panic!("a stale version must be a conflict, got {other:?}"),
    }
    let now = fetch(
        connector.as_ref(),
        EntityKind::Lead,
        key,
        std::slice::from_ref(&title),
    )
    .await;
    assert_eq!(value(&now, &title).as_deref(), Some("Edited in the CRM"));
}

/// A batch of a create, a create the CRM refuses (a value longer than the field holds)
/// and an update: each gets its own outcome, in order, and only the refused one is
/// missing from the CRM.
pub async fn a_batch_reports_each_records_own_outcome(h: &dyn Harness) {
    let connector = h.connector();
    let vocabulary = connector.vocabulary();
    let existing = h
        .add_people(
            EntityKind::Lead,
            &fields_of(
                &[Person::numbered("batch", 0)],
                vocabulary,
                EntityKind::Lead,
            ),
        )
        .await;
    let last = field(vocabulary, EntityKind::Lead, SystemUsage::LastName);
    let defs = connector
        .describe(EntityKind::Lead)
        .await
        .unwrap_or_else(|e| panic!("describe failed: {e}"));
    let most = defs
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(&last))
        .and_then(|d| d.max_length)
        .unwrap_or_else(|| panic!("the CRM says how long {last} may be"));
    let good = Person::numbered("batch", 1);
    let bad = Person::numbered("batch", 2);
    let mut bad_fields = bad.fields(vocabulary, EntityKind::Lead);
    bad_fields.insert(last.clone(), Some("x".repeat(most as usize + 40)));
    let title = field(vocabulary, EntityKind::Lead, SystemUsage::Title);
    let ops = vec![
        WriteOp::Create {
            entity: EntityKind::Lead,
            fields: good.fields(vocabulary, EntityKind::Lead),
        },
        WriteOp::Create {
            entity: EntityKind::Lead,
            fields: bad_fields,
        },
        WriteOp::Update {
            entity: EntityKind::Lead,
            key: existing[0].clone(),
            etag: None,
            fields: FieldValues::from([(title.clone(), Some("Batched".to_string()))]),
            expected: None,
        },
    ];
    let outcomes = connector
        .write_batch(ops)
        .await
        .unwrap_or_else(|e| panic!("the batch as a whole failed: {e}"));
    assert_eq!(outcomes.len(), 3, "one outcome per write");
    assert!(outcomes[0].is_ok(), "the good create: {:?}", outcomes[0]);
    match &outcomes[1] {
        Err(ConnectorError::Rejected { message } | ConnectorError::Invalid { message }) => {
            assert!(
                message.to_lowercase().contains(&last.to_lowercase()),
                "the refusal names the field: {message}"
            )
        }
        other => panic!("a value too long must be refused on its own, got {other:?}"),
    }
    assert!(outcomes[2].is_ok(), "the update: {:?}", outcomes[2]);
    assert_eq!(h.count_with_email(EntityKind::Lead, &good.email).await, 1);
    assert_eq!(h.count_with_email(EntityKind::Lead, &bad.email).await, 0);
    let updated = fetch(
        connector.as_ref(),
        EntityKind::Lead,
        &existing[0],
        std::slice::from_ref(&title),
    )
    .await;
    assert_eq!(value(&updated, &title).as_deref(), Some("Batched"));
}
