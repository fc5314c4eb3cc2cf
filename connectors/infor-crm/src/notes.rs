//! Notes as Infor CRM History records: `Type` `atEMail`, `atNote` or `atPhoneCall`, `Description` (the
//! "Regarding", at most 64 characters), `Notes` (the first 255 characters), `LongNotes`
//! (the full text), `LeadId` or `ContactId`, and `StartDate` = `CompletedDate` = when it
//! happened (whole seconds). Written through `history/$batch` where available.
//!
//! A note whose answer was lost is looked up (same person, type, regarding and time)
//! before it is written again, so a retry never duplicates it.

use chrono::{DateTime, SubsecRound, Utc};
use listbridge_connector::{ConnectorError, ConnectorResult, EntityKind, Note, NoteKind};
use reqwest::Method;

use crate::{
    batch::{BatchAnswer, batch_answer},
    client::{Failure, Rejection, Reply, Request},
    connector::Inner,
    dates, query, response,
    wire::{BatchMethod, OutEntry, OutNode, OutValue},
    write,
};

const HISTORY: &str = "history";
pub(crate) const DESCRIPTION_MAX: usize = 64;
const NOTES_MAX: usize = 255;

fn type_name(kind: NoteKind) -> &'static str {
    match kind {
        NoteKind::EmailSent => "atEMail",
        NoteKind::Note => "atNote",
        NoteKind::PhoneCall => "atPhoneCall",
    }
}

fn target_field(entity: EntityKind) -> &'static str {
    match entity {
        EntityKind::Lead => "LeadId",
        EntityKind::Contact => "ContactId",
    }
}

/// The first `max` characters (never splitting a character).
fn prefix(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn note_time(note: &Note) -> DateTime<Utc> {
    note.at.trunc_subsecs(0)
}

/// The History entry for a note.
pub(crate) fn history_entry(note: &Note, batch: bool) -> OutEntry {
    let at = OutValue::Text(dates::payload_value(note_time(note)));
    let text = |s: String| OutNode::Value(OutValue::Text(s));
    OutEntry {
        entity_name: "History",
        fields: vec![
            ("Type".into(), text(type_name(note.kind).into())),
            (
                "Description".into(),
                text(prefix(&note.regarding, DESCRIPTION_MAX)),
            ),
            ("Notes".into(), text(prefix(&note.text, NOTES_MAX))),
            ("LongNotes".into(), text(note.text.clone())),
            (
                target_field(note.target.entity).into(),
                text(note.target.key.clone()),
            ),
            ("StartDate".into(), OutNode::Value(at.clone())),
            ("CompletedDate".into(), OutNode::Value(at)),
        ],
        batch_method: batch.then_some(BatchMethod::Post),
        url: None,
        key: None,
        if_match: None,
    }
}

/// [`listbridge_connector::CrmConnector::add_notes`]: outcomes in the order of `notes`.
pub(crate) async fn add_notes(inner: &Inner, notes: Vec<Note>) -> Vec<ConnectorResult<String>> {
    let mut outcomes = Vec::with_capacity(notes.len());
    for chunk in notes.chunks(inner.options.batch_size.max(1)) {
        outcomes.extend(add_chunk(inner, chunk).await);
    }
    outcomes
}

async fn add_chunk(inner: &Inner, notes: &[Note]) -> Vec<ConnectorResult<String>> {
    if !inner.batch_available() || notes.len() == 1 {
        return singles(inner, notes, false).await;
    }
    let entries: Vec<OutEntry> = notes.iter().map(|n| history_entry(n, true)).collect();
    let url = match inner
        .client
        .endpoint
        .keyword(HISTORY, "$batch", &[inner.format_param()])
    {
        Ok(url) => url,
        Err(error) => return notes.iter().map(|_| Err(error.clone())).collect(),
    };
    let context = inner.context(HISTORY, None);
    let request = inner.request(
        Method::POST,
        url,
        HISTORY,
        inner.batch_body(&entries),
        false,
    );
    match inner
        .client
        .execute(&request, |reply| {
            batch_answer(reply, &context, entries.len())
        })
        .await
    {
        Ok(BatchAnswer::Entries(results)) => {
            let mut outcomes = Vec::with_capacity(notes.len());
            for (note, result) in notes.iter().zip(&results) {
                outcomes.push(
                    match (result.http_status.unwrap_or(200), result.effective_key()) {
                        (200..=299, Some(key)) => Ok(key),
                        (200..=299, None) => single(inner, note, true).await,
                        _ => Err(response::entry_error(result, &context)),
                    },
                );
            }
            outcomes
        }
        Ok(BatchAnswer::Unsupported) => {
            inner
                .batch_unsupported
                .store(true, std::sync::atomic::Ordering::Relaxed);
            singles(inner, notes, false).await
        }
        Err(Failure::Unknown(_)) | Err(Failure::Final(ConnectorError::Rejected { .. })) => {
            singles(inner, notes, true).await
        }
        Err(Failure::Final(error)) => notes.iter().map(|_| Err(error.clone())).collect(),
    }
}

async fn singles(
    inner: &Inner,
    notes: &[Note],
    lookup_first: bool,
) -> Vec<ConnectorResult<String>> {
    futures::future::join_all(notes.iter().map(|note| single(inner, note, lookup_first))).await
}

async fn single(inner: &Inner, note: &Note, lookup_first: bool) -> ConnectorResult<String> {
    let url = inner
        .client
        .endpoint
        .collection(HISTORY, &[inner.format_param()])?;
    let request = inner.request(
        Method::POST,
        url,
        HISTORY,
        inner.entry_body(&history_entry(note, false)),
        false,
    );
    let context = inner.context(HISTORY, None);
    let accept = |reply: &Reply| {
        let entry = response::entry(reply, &context)?;
        entry.effective_key().ok_or_else(|| {
            Rejection::Malformed("the new history record came back without a key".into())
        })
    };
    let find = Some(|| find_note(inner, note));
    write::post_once(
        inner,
        &request,
        accept,
        find,
        lookup_first,
        "a history note",
    )
    .await
}

/// [`listbridge_connector::CrmConnector::find_notes`]: one lookup per note (the
/// connector's request budget bounds how many run at once).
pub(crate) async fn find_notes(
    inner: &Inner,
    notes: &[Note],
) -> ConnectorResult<Vec<Option<String>>> {
    futures::future::join_all(notes.iter().map(|note| find_note(inner, note)))
        .await
        .into_iter()
        .collect()
}

/// The key of an existing History record for this note, if one was already written.
async fn find_note(inner: &Inner, note: &Note) -> ConnectorResult<Option<String>> {
    let clause = format!(
        "{} eq {} and Type eq {} and Description eq {} and StartDate eq {}",
        target_field(note.target.entity),
        query::quote(&note.target.key),
        query::quote(type_name(note.kind)),
        query::quote(&prefix(&note.regarding, DESCRIPTION_MAX)),
        query::instant(note_time(note)),
    );
    let params = [
        ("where", clause),
        ("count", "1".to_string()),
        inner.format_param(),
    ];
    let url = inner.client.endpoint.collection(HISTORY, &params)?;
    let context = inner.context(HISTORY, None);
    let request = Request::get(url, HISTORY, inner.accept());
    let feed = inner
        .client
        .execute(&request, |reply| response::feed(reply, &context))
        .await
        .map_err(Failure::into_error)?;
    Ok(feed.entries.iter().find_map(|e| e.effective_key()))
}

#[cfg(test)]
mod tests {
    use listbridge_connector::NoteTarget;

    use super::*;

    #[test]
    fn history_fields_are_capped_and_complete() {
        let note = Note {
            target: NoteTarget {
                entity: EntityKind::Contact,
                key: "CDEMOA00007M".into(),
            },
            kind: NoteKind::EmailSent,
            regarding: "R".repeat(70),
            text: "é".repeat(300),
            at: DateTime::parse_from_rfc3339("2024-05-01T10:00:00.750Z")
                .map(|d| d.to_utc())
                .unwrap_or_default(),
        };
        let entry = history_entry(&note, false);
        let get = |name: &str| {
            entry
                .fields
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, v)| match v {
                    OutNode::Value(OutValue::Text(t)) => Some(t.clone()),
                    _ => None,
                })
        };
        assert_eq!(entry.entity_name, "History");
        assert_eq!(get("Type").as_deref(), Some("atEMail"));
        assert_eq!(get("Description").map(|d| d.chars().count()), Some(64));
        assert_eq!(get("Notes").map(|n| n.chars().count()), Some(255));
        assert_eq!(get("LongNotes").map(|n| n.chars().count()), Some(300));
        assert_eq!(get("ContactId").as_deref(), Some("CDEMOA00007M"));
        assert_eq!(get("LeadId"), None);
        assert_eq!(
            get("StartDate").as_deref(),
            Some("2024-05-01T10:00:00+00:00")
        );
        assert_eq!(
            get("CompletedDate").as_deref(),
            Some("2024-05-01T10:00:00+00:00")
        );
        assert_eq!(type_name(NoteKind::Note), "atNote");
        assert_eq!(type_name(NoteKind::PhoneCall), "atPhoneCall");
        assert_eq!(
            history_entry(&note, true).batch_method,
            Some(BatchMethod::Post)
        );
    }
}
