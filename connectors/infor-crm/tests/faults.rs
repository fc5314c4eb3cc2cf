//! Under injected 500s, 429 + Retry-After, timeouts, dropped connections and broken
//! bodies the connector completes reads and writes, and never creates a record twice.

mod common;

use std::{collections::HashSet, time::Instant};

use chrono::Utc;
use futures::StreamExt;
use infor_crm::{InforVocabulary, WireFormat};
use infor_crm_fake::{Fault, FaultRule, Kind};
use listbridge_connector::{
    ConnectorError, CrmConnector, EntityKind, FieldValues, Note, NoteKind, NoteTarget, ReadQuery,
    Vocabulary, WriteOp,
};

use common::{FORMATS, connector, fake, seeded_faults, values};

fn lead(email: &str) -> FieldValues {
    values(&[
        ("LastName", "Lost"),
        ("Company", "Answer Ltd"),
        ("Email", email),
    ])
}

fn leads_with_email(fake: &infor_crm_fake::FakeCrm, email: &str) -> usize {
    fake.state()
        .records(Kind::Lead)
        .iter()
        .filter(|r| r.text("Email") == Some(email))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_complete_under_every_kind_of_fault() {
    let fake = fake(1000, 0).await;
    let expected: HashSet<String> = fake
        .state()
        .records(Kind::Lead)
        .into_iter()
        .map(|r| r.key)
        .collect();
    for format in FORMATS {
        let crm = connector(&fake, format);
        fake.state().set_faults(seeded_faults(
            7,
            vec![
                FaultRule::rate(
                    0.08,
                    Fault::Status {
                        status: 500,
                        retry_after: None,
                    },
                ),
                FaultRule::rate(
                    0.08,
                    Fault::Status {
                        status: 503,
                        retry_after: Some(0),
                    },
                ),
                FaultRule::rate(
                    0.08,
                    Fault::Status {
                        status: 429,
                        retry_after: Some(0),
                    },
                ),
                FaultRule::rate(0.05, Fault::Drop { apply: true }),
                FaultRule::rate(0.05, Fault::Truncate),
                FaultRule::rate(0.05, Fault::Malformed),
                FaultRule::next(
                    1,
                    Fault::Hang {
                        ms: 10_000,
                        apply: true,
                    },
                )
                .with_method("GET"),
            ],
        ));
        let mut stream = crm.read(EntityKind::Lead, ReadQuery::default());
        let mut keys = Vec::new();
        while let Some(page) = stream.next().await {
            keys.extend(
                page.unwrap_or_else(|e| panic!("{format:?}: read failed under faults: {e}"))
                    .records
                    .into_iter()
                    .map(|r| r.key),
            );
        }
        fake.state().clear_faults();
        assert_eq!(keys.len(), 1000, "{format:?}");
        assert_eq!(
            keys.into_iter().collect::<HashSet<_>>(),
            expected,
            "{format:?}"
        );
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_not_repeated() {
    let fake = fake(0, 0).await;
    let lost_answers = [
        ("drop", Fault::Drop { apply: true }),
        (
            "hang",
            Fault::Hang {
                ms: 10_000,
                apply: true,
            },
        ),
        ("truncate", Fault::Truncate),
        ("malformed", Fault::Malformed),
    ];
    for format in FORMATS {
        let crm = connector(&fake, format);
        let _ = crm.describe(EntityKind::Lead).await;
        for (name, fault) in lost_answers.clone() {
            let email = format!("{name}.{format:?}@lost.example").to_lowercase();
            fake.state().set_faults(seeded_faults(
                7,
                vec![
                    FaultRule::next(1, fault)
                        .with_method("POST")
                        .with_kind("leads"),
                ],
            ));
            fake.state().reset_stats();
            let created = crm
                .create(EntityKind::Lead, &lead(&email))
                .await
                .unwrap_or_else(|e| panic!("{name} {format:?}: {e}"));
            fake.state().clear_faults();
            assert_eq!(
                leads_with_email(&fake, &email),
                1,
                "{name} {format:?}: created exactly once"
            );
            assert_eq!(
                fake.state().stats().kind_count("leads", "POST"),
                1,
                "{name} {format:?}: the POST was not repeated"
            );
            assert_eq!(InforVocabulary.email_of(&created), Some(email.as_str()));
        }
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn a_create_refused_before_processing_is_retried_once_created() {
    let fake = fake(0, 0).await;
    let crm = connector(&fake, WireFormat::Json);
    let _ = crm.describe(EntityKind::Lead).await;
    for (name, fault) in [
        (
            "500",
            Fault::Status {
                status: 500,
                retry_after: None,
            },
        ),
        ("drop-unapplied", Fault::Drop { apply: false }),
    ] {
        let email = format!("{name}@refused.example");
        fake.state().set_faults(seeded_faults(
            7,
            vec![
                FaultRule::next(2, fault)
                    .with_method("POST")
                    .with_kind("leads"),
            ],
        ));
        crm.create(EntityKind::Lead, &lead(&email))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        fake.state().clear_faults();
        assert_eq!(leads_with_email(&fake, &email), 1, "{name}");
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let fake = fake(0, 0).await;
    let crm = connector(&fake, WireFormat::Json);
    let _ = crm.describe(EntityKind::Lead).await;
    fake.state().set_faults(seeded_faults(
        7,
        vec![FaultRule::next(
            1,
            Fault::Status {
                status: 429,
                retry_after: Some(1),
            },
        )],
    ));
    fake.state().reset_stats();
    let started = Instant::now();
    crm.create(EntityKind::Lead, &lead("patient@wait.example"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        started.elapsed().as_millis() >= 1000,
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(fake.state().stats().kind_count("leads", "POST"), 2);
    assert_eq!(leads_with_email(&fake, "patient@wait.example"), 1);

    // Asked to wait longer than the connector will: the caller is told, with the delay.
    fake.state().set_faults(seeded_faults(
        7,
        vec![FaultRule::always(Fault::Status {
            status: 429,
            retry_after: Some(120),
        })],
    ));
    let err = crm
        .get_by_keys(EntityKind::Lead, &["LNONE0000001".into()], &[])
        .await
        .err();
    assert!(
        matches!(err, Some(ConnectorError::RateLimited { retry_after: Some(d) }) if d.as_secs() == 120),
        "{err:?}"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn persistent_failures_end_after_bounded_attempts() {
    let fake = fake(5, 0).await;
    let crm = connector(&fake, WireFormat::Json);
    let _ = crm.describe(EntityKind::Lead).await;
    fake.state().set_faults(seeded_faults(
        7,
        vec![FaultRule::always(Fault::Status {
            status: 500,
            retry_after: None,
        })],
    ));
    fake.state().reset_stats();
    let mut stream = crm.read(EntityKind::Lead, ReadQuery::default());
    let first = stream.next().await;
    assert!(
        matches!(first, Some(Err(ConnectorError::Transient { .. }))),
        "{first:?}"
    );
    assert_eq!(
        fake.state().stats().kind_count("leads", "GET"),
        6,
        "max_attempts requests, then the error"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn a_lost_update_answer_is_resolved_by_the_412_rule() {
    let fake = fake(1, 0).await;
    let crm = connector(&fake, WireFormat::Atom);
    let existing = crm
        .get_by_keys(
            EntityKind::Lead,
            &[fake.state().records(Kind::Lead)[0].key.clone()],
            &[],
        )
        .await;
    let existing = existing.unwrap_or_default().remove(0);
    fake.state().set_faults(seeded_faults(
        7,
        vec![FaultRule::next(1, Fault::Drop { apply: true }).with_method("PUT")],
    ));
    fake.state().reset_stats();
    let updated = crm
        .update(
            EntityKind::Lead,
            &existing.key,
            existing.etag.as_deref(),
            &values(&[("Title", "Dropped")]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(updated.fields.get("Title"), Some(&Some("Dropped".into())));
    assert_eq!(
        fake.state().stats().record_writes,
        1,
        "applied once; the retry found it done"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn a_batch_whose_answer_was_lost_creates_nothing_twice() {
    let fake = fake(0, 1).await;
    let contact = fake.state().records(Kind::Contact).remove(0);
    for format in FORMATS {
        let crm = connector(&fake, format);
        let emails: Vec<String> = (0..3)
            .map(|i| format!("batch{i}.{format:?}@lost.example").to_lowercase())
            .collect();
        let ops: Vec<WriteOp> = emails
            .iter()
            .map(|e| WriteOp::Create {
                entity: EntityKind::Lead,
                fields: lead(e),
            })
            .collect();
        let _ = crm.describe(EntityKind::Lead).await;
        fake.state().set_faults(seeded_faults(
            7,
            vec![FaultRule::next(1, Fault::Drop { apply: true }).with_method("POST")],
        ));
        let outcomes = crm.write_batch(ops).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            outcomes.iter().all(Result::is_ok),
            "{format:?}: {outcomes:?}"
        );
        for email in &emails {
            assert_eq!(leads_with_email(&fake, email), 1, "{format:?} {email}");
        }

        let before = fake.state().count(Kind::History);
        let note = |regarding: &str| Note {
            target: NoteTarget {
                entity: EntityKind::Contact,
                key: contact.key.clone(),
            },
            kind: NoteKind::EmailSent,
            regarding: regarding.into(),
            text: "Sent".into(),
            at: Utc::now(),
        };
        fake.state().set_faults(seeded_faults(
            7,
            vec![
                FaultRule::next(
                    1,
                    Fault::Hang {
                        ms: 10_000,
                        apply: true,
                    },
                )
                .with_method("POST"),
            ],
        ));
        let outcomes = crm
            .add_notes(vec![note("one"), note("two")])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        fake.state().clear_faults();
        assert!(
            outcomes.iter().all(Result::is_ok),
            "{format:?}: {outcomes:?}"
        );
        assert_eq!(
            fake.state().count(Kind::History),
            before + 2,
            "{format:?}: each note once"
        );
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn a_create_without_email_is_not_risked_twice() {
    let fake = fake(0, 0).await;
    let crm = connector(&fake, WireFormat::Json);
    let _ = crm.describe(EntityKind::Contact).await;
    fake.state().set_faults(seeded_faults(
        7,
        vec![FaultRule::next(1, Fault::Drop { apply: true }).with_method("POST")],
    ));
    let err = crm
        .create(EntityKind::Contact, &values(&[("LastName", "Nomail")]))
        .await
        .err();
    assert!(
        matches!(&err, Some(ConnectorError::Transient { message }) if message.contains("not sent again")),
        "{err:?}"
    );
    assert_eq!(
        fake.state().count(Kind::Contact),
        1,
        "applied once, not repeated"
    );
    fake.shutdown().await;
}
