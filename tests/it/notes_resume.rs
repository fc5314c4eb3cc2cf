//! A note delivery interrupted between writing to the CRM and recording the result does
//! not write the note twice: in-doubt events are looked up in the CRM first.

use std::time::Duration;

use crate::support::services::fast_services;
use crate::support::world::{crm_config, world_with};
use chrono::{DateTime, Utc};
use infor_crm_fake::Kind;
use listbridge::{
    app::Services,
    jobs::WorkerConfig,
    notes::{note_regarding, note_text},
    store::{NoteEventRepo, NoteStatus},
    workers::spawn_workers,
};
use listbridge_connector::{EntityKind, Note, NoteKind, NoteTarget};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_note_batch_resumes_without_duplicates() {
    // An API-only instance: the report is recorded but nothing delivers it yet.
    let services = Services {
        workers: WorkerConfig {
            workers: 0,
            ..WorkerConfig::default()
        },
        ..fast_services()
    };
    let w = world_with(crm_config(3, 0), services).await;
    let leads = w.crm.state().records(Kind::Lead);
    let people: Vec<(String, String)> = leads
        .iter()
        .map(|r| {
            (
                r.text("Email").expect("email").to_lowercase(),
                r.key.clone(),
            )
        })
        .collect();
    let sent_at: DateTime<Utc> = "2025-05-05T10:00:00Z".parse().expect("instant");
    let body = json!({
        "campaign_id": "resume-1",
        "subject": "Resume test",
        "sent_at": sent_at,
        "preview_url_template": "https://mail.example.com/p/{email}",
        "recipients": people.iter().map(|(e, _)| json!({ "email": e })).collect::<Vec<_>>()
    });
    let (status, recorded) = w.post("/v1/messages/sent", &body).await;
    assert_eq!(status, 202, "{recorded}");

    // Simulate a worker that died mid-batch: the first two events were marked sending;
    // the first one's note reached the CRM, the second one's did not.
    let db = w.app.state.store.conn();
    let events = NoteEventRepo
        .page(db, w.account, "resume-1", None, None, 10)
        .await
        .expect("events");
    let target = |email: &str| NoteTarget {
        entity: EntityKind::Lead,
        key: people
            .iter()
            .find(|(e, _)| e == email)
            .map(|(_, k)| k.clone())
            .expect("lead"),
    };
    let marks: Vec<(String, NoteTarget)> = events[..2]
        .iter()
        .map(|e| (e.id.clone(), target(&e.email)))
        .collect();
    NoteEventRepo
        .mark_sending(db, &marks, Utc::now())
        .await
        .expect("marked");
    let first = &events[0];
    let connector = w
        .app
        .state
        .connectors()
        .open(w.account, w.connector)
        .await
        .expect("connector");
    let written = connector
        .add_notes(vec![Note {
            target: target(&first.email),
            kind: NoteKind::EmailSent,
            regarding: note_regarding(&first.subject, connector.capabilities().note_subject_max),
            text: note_text(
                &first.subject,
                first.sent_at,
                &first.campaign_id,
                first.preview_url.as_deref(),
            ),
            at: first.sent_at,
        }])
        .await
        .expect("written");
    let first_key = written[0].clone().expect("note key");

    // A new worker takes the batch over.
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let _workers = spawn_workers(
        w.app.state.clone(),
        WorkerConfig {
            workers: 2,
            poll: Duration::from_millis(20),
            ..WorkerConfig::default()
        },
        stopped,
    );
    let counts = w.wait_notes("resume-1").await;
    assert_eq!(counts["delivered"], 3, "{counts}");

    let history = w.crm.state().records(Kind::History);
    for (email, key) in &people {
        let n = history
            .iter()
            .filter(|h| {
                h.text("LeadId") == Some(key.as_str())
                    && h.text("Description") == Some("Email sent: Resume test")
            })
            .count();
        assert_eq!(n, 1, "exactly one note for {email}");
    }
    let events = NoteEventRepo
        .page(db, w.account, "resume-1", None, None, 10)
        .await
        .expect("events");
    let again = events.iter().find(|e| e.id == first.id).expect("event");
    assert_eq!(again.status, NoteStatus::Delivered);
    assert_eq!(
        again.note_key.as_deref(),
        Some(first_key.as_str()),
        "the existing note was found, not written again"
    );
}
