//! Notes: a "message sent" note per person, written once and found again after a crash.

use chrono::{DateTime, Utc};
use listbridge_connector::{EntityKind, Note, NoteKind, NoteTarget};

use crate::{
    Harness,
    people::{Person, fields_of},
};

/// A "message sent" note on a lead at `at`.
fn sent(key: &str, regarding: &str, at: DateTime<Utc>) -> Note {
    Note {
        target: NoteTarget {
            entity: EntityKind::Lead,
            key: key.to_string(),
        },
        kind: NoteKind::EmailSent,
        regarding: regarding.to_string(),
        text: format!("{regarding}\nPreview: https://preview.contract.example/m/1"),
        at,
    }
}

/// Notes written to two leads are in the CRM once each; looking them up (what a run does
/// after a crash between writing and recording) finds each with the key written, and a
/// note never written is not found.
pub async fn notes_are_written_once_and_found_again(h: &dyn Harness) {
    let connector = h.connector();
    assert!(connector.capabilities().notes, "the connector writes notes");
    let keys = h
        .add_people(
            EntityKind::Lead,
            &fields_of(
                &Person::many("notes", 2),
                connector.vocabulary(),
                EntityKind::Lead,
            ),
        )
        .await;
    let at = DateTime::parse_from_rfc3339("2026-12-01T09:30:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default();
    let notes = vec![
        sent(&keys[0], "Message sent: December offer", at),
        sent(&keys[1], "Message sent: December offer", at),
    ];
    let written: Vec<String> = connector
        .add_notes(notes.clone())
        .await
        .unwrap_or_else(|e| panic!("writing notes failed: {e}"))
        .into_iter()
        .map(|outcome| outcome.unwrap_or_else(|e| panic!("a note was refused: {e}")))
        .collect();
    for key in &keys {
        assert_eq!(
            h.notes_on(EntityKind::Lead, key).await,
            1,
            "one note on {key}"
        );
    }
    let mut asked = notes;
    asked.push(sent(&keys[0], "Message sent: never sent", at));
    let found = connector
        .find_notes(&asked)
        .await
        .unwrap_or_else(|e| panic!("looking notes up failed: {e}"));
    assert_eq!(
        found,
        vec![Some(written[0].clone()), Some(written[1].clone()), None],
        "each written note is found by its person, kind, subject and time"
    );
}
