//! Writes against the fake CRM in both formats: create, conditional update and the 412
//! rule, `$batch` with per-entry outcomes, History notes, and validation before writing.

mod common;

use chrono::{TimeZone, Utc};
use infor_crm_fake::Kind;
use listbridge_connector::{
    ConnectorError, CrmConnector, EntityKind, FieldValues, Note, NoteKind, NoteTarget, WriteOp,
};

use common::{FORMATS, connector, fake};

fn values(pairs: &[(&str, Option<&str>)]) -> FieldValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
        .collect()
}

#[tokio::test]
async fn create_and_update_with_typed_and_nested_fields() {
    let fake = fake(0, 0).await;
    for format in FORMATS {
        let crm = connector(&fake, format);
        let fields = values(&[
            ("LastName", Some("Smith")),
            ("Company", Some("Acme")),
            ("Email", Some(&format!("ann.{format:?}@acme.example"))),
            ("LeadScore", Some("42")),
            ("Newsletter", Some("true")),
            ("Region", Some("EMEA")),
            ("Address.City", Some("Chicago")),
        ]);
        let created = crm
            .create(EntityKind::Lead, &fields)
            .await
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert_eq!(created.key.len(), 12);
        assert!(created.etag.is_some());
        assert_eq!(
            created.fields.get("LeadScore"),
            Some(&Some("42".into())),
            "{format:?}"
        );
        assert_eq!(
            created.fields.get("Newsletter"),
            Some(&Some("true".into())),
            "{format:?}"
        );

        let changed = values(&[
            ("Region", None),
            ("LeadScore", Some("7")),
            ("Address.City", Some("Boston")),
        ]);
        let updated = crm
            .update(
                EntityKind::Lead,
                &created.key,
                created.etag.as_deref(),
                &changed,
            )
            .await
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert_ne!(updated.etag, created.etag);
        let stored = fake
            .state()
            .record(Kind::Lead, &created.key)
            .unwrap_or_else(|| panic!("stored"));
        assert_eq!(stored.get("Region"), None, "{format:?}: null clears");
        assert_eq!(
            stored.text("LastName"),
            Some("Smith"),
            "{format:?}: absent fields unchanged"
        );
        let read = crm
            .get_by_keys(
                EntityKind::Lead,
                std::slice::from_ref(&created.key),
                &["Address.City".into(), "LeadScore".into()],
            )
            .await;
        let read = read.unwrap_or_default();
        assert_eq!(
            read[0].fields.get("Address.City"),
            Some(&Some("Boston".into())),
            "{format:?}"
        );
        assert_eq!(
            read[0].fields.get("LeadScore"),
            Some(&Some("7".into())),
            "{format:?}"
        );
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn stale_etag_rule() {
    let fake = fake(0, 0).await;
    let crm = connector(&fake, common::FORMATS[0]);
    let created = crm
        .create(
            EntityKind::Lead,
            &values(&[("LastName", Some("Old")), ("Company", Some("C"))]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let stale = created.etag.clone();
    let second = crm
        .update(
            EntityKind::Lead,
            &created.key,
            stale.as_deref(),
            &values(&[("Title", Some("CEO"))]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Same values again with the stale etag: the CRM already holds them → success, no write.
    fake.state().reset_stats();
    let same = crm
        .update(
            EntityKind::Lead,
            &created.key,
            stale.as_deref(),
            &values(&[("Title", Some("CEO"))]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(same.etag, second.etag);
    assert_eq!(fake.state().stats().record_writes, 0);
    // Different values with the stale etag: retried once with the current etag.
    let retried = crm
        .update(
            EntityKind::Lead,
            &created.key,
            stale.as_deref(),
            &values(&[("Company", Some("New Co"))]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(retried.fields.get("Company"), Some(&Some("New Co".into())));
    let stored = fake
        .state()
        .record(Kind::Lead, &created.key)
        .unwrap_or_else(|| panic!("stored"));
    assert_eq!(
        stored.text("Title"),
        Some("CEO"),
        "the other writer's change is kept"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn invalid_values_are_refused_before_sending() {
    let fake = fake(0, 0).await;
    let crm = connector(&fake, common::FORMATS[0]);
    let _ = crm.describe(EntityKind::Lead).await;
    fake.state().reset_stats();
    let too_long = "x".repeat(33);
    for fields in [
        values(&[
            ("LastName", Some("A")),
            ("Company", Some("B")),
            ("Region", Some(&too_long)),
        ]),
        values(&[("LastName", Some("A")), ("NoSuchField", Some("B"))]),
        values(&[("LastName", Some("A")), ("LeadScore", Some("many"))]),
    ] {
        let err = crm.create(EntityKind::Lead, &fields).await.err();
        assert!(
            matches!(err, Some(ConnectorError::Invalid { .. })),
            "{err:?}"
        );
    }
    assert_eq!(fake.state().stats().total, 0);
    // What only the CRM knows (a mandatory field) comes back in its own words.
    let err = crm
        .create(EntityKind::Lead, &values(&[("LastName", Some("A"))]))
        .await
        .err();
    assert!(
        matches!(&err, Some(ConnectorError::Rejected { message }) if message.contains("Company")),
        "{err:?}"
    );
}

#[tokio::test]
async fn batch_writes_report_each_outcome() {
    let fake = fake(3, 0).await;
    let existing = fake.state().records(Kind::Lead);
    for format in FORMATS {
        let crm = connector(&fake, format);
        let ops = vec![
            WriteOp::Create {
                entity: EntityKind::Lead,
                fields: values(&[
                    ("LastName", Some("B1")),
                    ("Company", Some("X")),
                    ("Email", Some(&format!("b1.{format:?}@x.example"))),
                ]),
            },
            WriteOp::Create {
                entity: EntityKind::Lead,
                fields: values(&[("LastName", Some("no company"))]),
            },
            WriteOp::Update {
                entity: EntityKind::Lead,
                key: existing[0].key.clone(),
                etag: None,
                expected: None,
                fields: values(&[("Title", Some(&format!("T {format:?}")))]),
            },
            WriteOp::Create {
                entity: EntityKind::Contact,
                fields: values(&[("LastName", Some("C1"))]),
            },
            WriteOp::Create {
                entity: EntityKind::Lead,
                fields: values(&[("Bogus", Some("1"))]),
            },
        ];
        fake.state().reset_stats();
        let outcomes = crm.write_batch(ops).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(outcomes.len(), 5);
        assert!(
            outcomes[0].as_ref().is_ok_and(|r| r.key.len() == 12),
            "{format:?}: {:?}",
            outcomes[0]
        );
        assert!(
            matches!(&outcomes[1], Err(ConnectorError::Rejected { message }) if message.contains("Company")),
            "{:?}",
            outcomes[1]
        );
        assert!(
            outcomes[2].as_ref().is_ok_and(|r| r.key == existing[0].key),
            "{:?}",
            outcomes[2]
        );
        assert!(
            outcomes[3]
                .as_ref()
                .is_ok_and(|r| r.entity == EntityKind::Contact),
            "{:?}",
            outcomes[3]
        );
        assert!(
            matches!(&outcomes[4], Err(ConnectorError::Invalid { .. })),
            "{:?}",
            outcomes[4]
        );
        let stats = fake.state().stats();
        assert_eq!(
            stats.kind_count("leads", "POST"),
            1,
            "{format:?}: one $batch for the leads"
        );
        assert_eq!(stats.kind_count("leads", "PUT"), 0);
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn notes_become_history_records() {
    let fake = fake(1, 1).await;
    let lead = fake.state().records(Kind::Lead).remove(0);
    let contact = fake.state().records(Kind::Contact).remove(0);
    for format in FORMATS {
        let crm = connector(&fake, format);
        let long = format!("Sent campaign \"Spring\" to O'Neil. {}", "x".repeat(400));
        let at = Utc
            .with_ymd_and_hms(2024, 5, 1, 10, 0, 0)
            .single()
            .unwrap_or_default();
        let notes = vec![
            Note {
                target: NoteTarget {
                    entity: EntityKind::Lead,
                    key: lead.key.clone(),
                },
                kind: NoteKind::EmailSent,
                regarding: "Spring".into(),
                text: long.clone(),
                at,
            },
            Note {
                target: NoteTarget {
                    entity: EntityKind::Contact,
                    key: contact.key.clone(),
                },
                kind: NoteKind::Note,
                regarding: "R".repeat(80),
                text: "short".into(),
                at,
            },
        ];
        let outcomes = crm.add_notes(notes).await.unwrap_or_else(|e| panic!("{e}"));
        let keys: Vec<String> = outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|e| panic!("{format:?}: {e}")))
            .collect();
        let first = fake
            .state()
            .record(Kind::History, &keys[0])
            .unwrap_or_else(|| panic!("history stored"));
        assert_eq!(first.text("LeadId"), Some(lead.key.as_str()));
        assert_eq!(first.text("LongNotes"), Some(long.as_str()));
        assert_eq!(first.text("Notes").map(|n| n.chars().count()), Some(255));
        let second = fake
            .state()
            .record(Kind::History, &keys[1])
            .unwrap_or_else(|| panic!("history stored"));
        assert_eq!(second.text("ContactId"), Some(contact.key.as_str()));
        assert_eq!(
            second.text("Description").map(|d| d.chars().count()),
            Some(64)
        );
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn batch_updates_with_stale_etags_follow_the_412_rule() {
    let fake = fake(2, 0).await;
    let crm = connector(&fake, common::FORMATS[1]);
    let keys: Vec<String> = fake
        .state()
        .records(Kind::Lead)
        .into_iter()
        .map(|r| r.key)
        .collect();
    let before = crm
        .get_by_keys(EntityKind::Lead, &keys, &["Title".into()])
        .await
        .unwrap_or_default();
    // Someone else changes both records after we read them.
    for record in &before {
        crm.update(
            EntityKind::Lead,
            &record.key,
            None,
            &values(&[("Title", Some("Theirs"))]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let ops = before
        .iter()
        .map(|r| WriteOp::Update {
            entity: EntityKind::Lead,
            key: r.key.clone(),
            etag: r.etag.clone(),
            fields: values(&[("Title", Some("Ours"))]),
            expected: None,
        })
        .collect();
    let outcomes = crm.write_batch(ops).await.unwrap_or_else(|e| panic!("{e}"));
    for (outcome, record) in outcomes.iter().zip(&before) {
        assert!(
            outcome
                .as_ref()
                .is_ok_and(|r| r.fields.get("Title") == Some(&Some("Ours".into()))),
            "{outcome:?}"
        );
        let stored = fake
            .state()
            .record(Kind::Lead, &record.key)
            .unwrap_or_else(|| panic!("stored"));
        assert_eq!(stored.text("Title"), Some("Ours"));
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn a_stale_update_over_a_crm_edit_of_the_same_field_is_a_conflict() {
    let fake = fake(2, 0).await;
    for format in common::FORMATS {
        let crm = connector(&fake, format);
        let keys: Vec<String> = fake
            .state()
            .records(Kind::Lead)
            .into_iter()
            .map(|r| r.key)
            .collect();
        let before = crm
            .get_by_keys(EntityKind::Lead, &keys, &["Title".into(), "Company".into()])
            .await
            .unwrap_or_default();
        assert_eq!(before.len(), 2);
        // In the CRM, someone edits the first lead's Title and the second lead's Company.
        crm.update(
            EntityKind::Lead,
            &before[0].key,
            None,
            &values(&[("Title", Some(&format!("Theirs {format:?}")))]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        crm.update(
            EntityKind::Lead,
            &before[1].key,
            None,
            &values(&[("Company", Some(&format!("Their Co {format:?}")))]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let ops = before
            .iter()
            .map(|r| WriteOp::Update {
                entity: EntityKind::Lead,
                key: r.key.clone(),
                etag: r.etag.clone(),
                fields: values(&[("Title", Some("Ours"))]),
                expected: Some(
                    [(
                        "Title".to_string(),
                        r.fields.get("Title").cloned().flatten(),
                    )]
                    .into_iter()
                    .collect(),
                ),
            })
            .collect();
        let outcomes = crm.write_batch(ops).await.unwrap_or_else(|e| panic!("{e}"));
        // The Title edited in the CRM is not overwritten: a conflict with the CRM's version.
        match &outcomes[0] {
            Err(ConnectorError::Conflict {
                current: Some(current),
                ..
            }) => assert_eq!(
                current.fields.get("Title"),
                Some(&Some(format!("Theirs {format:?}")))
            ),
            other => panic!("{format:?}: expected a conflict, got {other:?}"),
        }
        let first = fake.state().record(Kind::Lead, &before[0].key);
        assert_eq!(
            first.as_ref().and_then(|r| r.text("Title")),
            Some(format!("Theirs {format:?}").as_str())
        );
        // Another field edited in the CRM does not stand in the way, and is kept.
        assert!(outcomes[1].is_ok(), "{format:?}: {:?}", outcomes[1]);
        let second = fake
            .state()
            .record(Kind::Lead, &before[1].key)
            .unwrap_or_else(|| panic!("stored"));
        assert_eq!(second.text("Title"), Some("Ours"));
        assert_eq!(
            second.text("Company"),
            Some(format!("Their Co {format:?}").as_str())
        );
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn falls_back_to_single_writes_without_batch_support() {
    use infor_crm_fake::{Fault, FaultConfig, FaultRule};
    let fake = fake(0, 0).await;
    let crm = connector(&fake, common::FORMATS[0]);
    let _ = crm.describe(EntityKind::Lead).await;
    assert!(crm.capabilities().batch_size > 1);
    fake.state().set_faults(FaultConfig {
        rules: vec![
            FaultRule::next(
                1,
                Fault::Status {
                    status: 501,
                    retry_after: None,
                },
            )
            .with_method("POST"),
        ],
        ..FaultConfig::default()
    });
    let ops = (0..3)
        .map(|i| WriteOp::Create {
            entity: EntityKind::Lead,
            fields: values(&[
                ("LastName", Some("S")),
                ("Company", Some("C")),
                ("Email", Some(&format!("single{i}@x.example"))),
            ]),
        })
        .collect();
    let outcomes = crm.write_batch(ops).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    assert_eq!(fake.state().count(Kind::Lead), 3);
    assert_eq!(
        crm.capabilities().batch_size,
        1,
        "the engine is told to stop batching"
    );
    fake.shutdown().await;
}
