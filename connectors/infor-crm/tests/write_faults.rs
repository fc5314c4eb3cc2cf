//! Writes under refusals and lost answers, in JSON and Atom: a PUT or `$batch` refused
//! with 429 or 500 completes, and an update whose answer was lost is applied once.
//! "Nothing written twice" is read from the fake's `record_writes` counter.

mod common;

use infor_crm::InforCrm;
use infor_crm_fake::{FakeCrm, Fault, FaultRule, Kind};
use listbridge_connector::{CrmConnector, CrmRecord, EntityKind, WriteOp};

use common::{FORMATS, connector, fake, seeded_faults, values};

/// The refusals that say "not processed, try again".
fn refusals() -> [(&'static str, Fault); 3] {
    [
        (
            "429",
            Fault::Status {
                status: 429,
                retry_after: Some(0),
            },
        ),
        (
            "500",
            Fault::Status {
                status: 500,
                retry_after: None,
            },
        ),
        (
            "503",
            Fault::Status {
                status: 503,
                retry_after: None,
            },
        ),
    ]
}

/// Answers lost after the CRM applied the write.
fn lost_answers() -> [(&'static str, Fault); 4] {
    [
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
    ]
}

/// The leads as the connector reads them (with etags).
async fn current(crm: &InforCrm, fake: &FakeCrm) -> Vec<CrmRecord> {
    let keys: Vec<String> = fake
        .state()
        .records(Kind::Lead)
        .into_iter()
        .map(|r| r.key)
        .collect();
    crm.get_by_keys(EntityKind::Lead, &keys, &["Title".into()])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn stored_title(fake: &FakeCrm, key: &str) -> Option<String> {
    fake.state()
        .record(Kind::Lead, key)
        .and_then(|r| r.text("Title").map(str::to_string))
}

fn leads_with_email(fake: &FakeCrm, email: &str) -> usize {
    fake.state()
        .records(Kind::Lead)
        .iter()
        .filter(|r| r.text("Email") == Some(email))
        .count()
}

#[tokio::test]
async fn a_put_refused_with_429_or_500_is_retried_and_applied_once() {
    let fake = fake(1, 0).await;
    for format in FORMATS {
        let crm = connector(&fake, format);
        for (name, fault) in refusals() {
            let lead = current(&crm, &fake).await.remove(0);
            let title = format!("{name} {format:?}");
            fake.state().set_faults(seeded_faults(
                3,
                vec![
                    FaultRule::next(2, fault)
                        .with_method("PUT")
                        .with_kind("leads"),
                ],
            ));
            fake.state().reset_stats();
            let updated = crm
                .update(
                    EntityKind::Lead,
                    &lead.key,
                    lead.etag.as_deref(),
                    &values(&[("Title", &title)]),
                )
                .await
                .unwrap_or_else(|e| panic!("{name} {format:?}: {e}"));
            fake.state().clear_faults();
            let stats = fake.state().stats();
            assert_eq!(updated.fields.get("Title"), Some(&Some(title.clone())));
            assert_eq!(
                stored_title(&fake, &lead.key),
                Some(title),
                "{name} {format:?}"
            );
            assert_eq!(
                stats.kind_count("leads", "PUT"),
                3,
                "{name} {format:?}: 2 refused + 1"
            );
            assert_eq!(stats.record_writes, 1, "{name} {format:?}: written once");
        }
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn a_batch_refused_with_429_or_500_completes_without_writing_twice() {
    let fake = fake(2, 0).await;
    let originals: Vec<String> = fake
        .state()
        .records(Kind::Lead)
        .into_iter()
        .map(|r| r.key)
        .collect();
    // A created lead is stored with its LeadAddress: count what one create writes.
    let calibrate = connector(&fake, FORMATS[0]);
    fake.state().reset_stats();
    calibrate
        .create(
            EntityKind::Lead,
            &values(&[
                ("LastName", "C"),
                ("Company", "C"),
                ("Email", "c@calibrate.example"),
            ]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let per_create = fake.state().stats().record_writes;
    for format in FORMATS {
        let crm = connector(&fake, format);
        for (name, fault) in refusals() {
            let leads: Vec<CrmRecord> = current(&crm, &fake)
                .await
                .into_iter()
                .filter(|r| originals.contains(&r.key))
                .collect();
            let emails: Vec<String> = (0..2)
                .map(|i| format!("batch{i}.{name}.{format:?}@refused.example").to_lowercase())
                .collect();
            let title = format!("batch {name} {format:?}");
            let mut ops: Vec<WriteOp> = emails
                .iter()
                .map(|email| WriteOp::Create {
                    entity: EntityKind::Lead,
                    fields: values(&[("LastName", "Batch"), ("Company", "B"), ("Email", email)]),
                })
                .collect();
            ops.extend(leads.iter().map(|lead| WriteOp::Update {
                entity: EntityKind::Lead,
                key: lead.key.clone(),
                etag: lead.etag.clone(),
                fields: values(&[("Title", &title)]),
                expected: None,
            }));
            fake.state().set_faults(seeded_faults(
                3,
                vec![
                    FaultRule::next(1, fault)
                        .with_method("POST")
                        .with_kind("leads"),
                ],
            ));
            fake.state().reset_stats();
            let outcomes = crm
                .write_batch(ops)
                .await
                .unwrap_or_else(|e| panic!("{name} {format:?}: {e}"));
            fake.state().clear_faults();
            assert_eq!(outcomes.len(), 4);
            assert!(
                outcomes.iter().all(Result::is_ok),
                "{name} {format:?}: {outcomes:?}"
            );
            for email in &emails {
                assert_eq!(
                    leads_with_email(&fake, email),
                    1,
                    "{name} {format:?}: {email}"
                );
            }
            for lead in &leads {
                assert_eq!(stored_title(&fake, &lead.key), Some(title.clone()));
            }
            assert_eq!(
                fake.state().stats().record_writes,
                2 * per_create + 2,
                "{name} {format:?}: two creates and two updates, each once"
            );
        }
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn an_update_whose_answer_was_lost_is_applied_once() {
    let fake = fake(1, 0).await;
    for format in FORMATS {
        let crm = connector(&fake, format);
        for (name, fault) in lost_answers() {
            let lead = current(&crm, &fake).await.remove(0);
            let title = format!("lost {name} {format:?}");
            fake.state().set_faults(seeded_faults(
                3,
                vec![
                    FaultRule::next(1, fault)
                        .with_method("PUT")
                        .with_kind("leads"),
                ],
            ));
            fake.state().reset_stats();
            let updated = crm
                .update(
                    EntityKind::Lead,
                    &lead.key,
                    lead.etag.as_deref(),
                    &values(&[("Title", &title)]),
                )
                .await
                .unwrap_or_else(|e| panic!("{name} {format:?}: {e}"));
            fake.state().clear_faults();
            assert_eq!(updated.fields.get("Title"), Some(&Some(title.clone())));
            assert_ne!(
                updated.etag, lead.etag,
                "{name} {format:?}: the new version"
            );
            assert_eq!(
                stored_title(&fake, &lead.key),
                Some(title),
                "{name} {format:?}"
            );
            assert_eq!(
                fake.state().stats().record_writes,
                1,
                "{name} {format:?}: applied once; the retry found it done"
            );
        }
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn a_batch_of_updates_whose_answer_was_lost_is_applied_once() {
    let fake = fake(3, 0).await;
    for format in FORMATS {
        let crm = connector(&fake, format);
        for (name, fault) in lost_answers() {
            let leads = current(&crm, &fake).await;
            let title = format!("lost batch {name} {format:?}");
            let ops = leads
                .iter()
                .map(|lead| WriteOp::Update {
                    entity: EntityKind::Lead,
                    key: lead.key.clone(),
                    etag: lead.etag.clone(),
                    fields: values(&[("Title", &title)]),
                    expected: None,
                })
                .collect();
            fake.state().set_faults(seeded_faults(
                3,
                vec![
                    FaultRule::next(1, fault)
                        .with_method("POST")
                        .with_kind("leads"),
                ],
            ));
            fake.state().reset_stats();
            let outcomes = crm
                .write_batch(ops)
                .await
                .unwrap_or_else(|e| panic!("{name} {format:?}: {e}"));
            fake.state().clear_faults();
            for (outcome, lead) in outcomes.iter().zip(&leads) {
                assert!(
                    outcome
                        .as_ref()
                        .is_ok_and(|r| r.fields.get("Title") == Some(&Some(title.clone()))),
                    "{name} {format:?}: {outcome:?}"
                );
                assert_eq!(stored_title(&fake, &lead.key), Some(title.clone()));
            }
            assert_eq!(
                fake.state().stats().record_writes,
                3,
                "{name} {format:?}: each update applied once"
            );
        }
    }
    fake.shutdown().await;
}
