//! Notes as completed `Task`s: `WhoId` the lead or contact, `Subject` the regarding line
//! (cut to 255 characters, Salesforce's Task subject length), `ActivityDate` the day,
//! `Status = Completed`, `Description` the text plus a last line naming the note's kind
//! and exact time (`listbridge: email_sent at 2026-12-01T09:30:00Z`), because a Task keeps
//! only the date: that line is what `find_notes` matches the time by.
//!
//! Written through sObject Collections; a request whose answer was lost is checked with
//! `find_notes` before the missing notes are posted again.

use std::collections::BTreeSet;

use chrono::SecondsFormat;
use listbridge_connector::{ConnectorError, ConnectorResult, Note, NoteKind};
use reqwest::Method;
use serde_json::{Value as Json, json};

use crate::{batch, client::Failure, connector::Inner, id, query, soql};

/// The longest Task subject Salesforce keeps.
pub(crate) const SUBJECT_MAX: usize = 255;

/// The subject as written: cut to [`SUBJECT_MAX`] characters with an ellipsis.
fn subject(note: &Note) -> String {
    let text = note.regarding.trim();
    if text.chars().count() <= SUBJECT_MAX {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(SUBJECT_MAX - 1).collect();
    cut.push('…');
    cut
}

fn kind_name(kind: NoteKind) -> &'static str {
    match kind {
        NoteKind::EmailSent => "email_sent",
        NoteKind::Note => "note",
        NoteKind::PhoneCall => "phone_call",
    }
}

/// The line that says which note a Task is.
fn marker(note: &Note) -> String {
    format!(
        "listbridge: {} at {}",
        kind_name(note.kind),
        note.at.to_rfc3339_opts(SecondsFormat::Secs, true)
    )
}

fn who(note: &Note) -> ConnectorResult<String> {
    id::to_18(&note.target.key).ok_or_else(|| ConnectorError::Invalid {
        message: format!("'{}' is not a Salesforce Id", note.target.key),
    })
}

fn task(note: &Note) -> ConnectorResult<Json> {
    Ok(json!({
        "attributes": {"type": "Task"},
        "WhoId": who(note)?,
        "Subject": subject(note),
        "ActivityDate": note.at.format("%Y-%m-%d").to_string(),
        "Status": "Completed",
        "Description": format!("{}\n\n{}", note.text.trim_end(), marker(note)),
    }))
}

/// [`listbridge_connector::CrmConnector::add_notes`].
pub(crate) async fn add_notes(
    inner: &Inner,
    notes: Vec<Note>,
) -> ConnectorResult<Vec<ConnectorResult<String>>> {
    let mut outcomes: Vec<Option<ConnectorResult<String>>> = notes.iter().map(|_| None).collect();
    let mut ready: Vec<(usize, Json)> = Vec::new();
    for (i, note) in notes.iter().enumerate() {
        match task(note) {
            Ok(body) => ready.push((i, body)),
            Err(e) => outcomes[i] = Some(Err(e)),
        }
    }
    for chunk in ready.chunks(inner.options.batch_size.clamp(1, 200)) {
        let records: Vec<Json> = chunk.iter().map(|(_, body)| body.clone()).collect();
        match batch::collection(inner, Method::POST, "Task", records).await {
            Ok(results) => {
                for ((i, _), result) in chunk.iter().zip(results) {
                    outcomes[*i] = Some(match result.id.as_deref().and_then(id::to_18) {
                        Some(key) if result.success => Ok(key),
                        _ => Err(result.error("Task")),
                    });
                }
            }
            Err(Failure::Unknown(error)) => {
                // Look first: only notes not found are written again, once.
                let mine: Vec<Note> = chunk.iter().map(|(i, _)| notes[*i].clone()).collect();
                let found = find_notes(inner, &mine).await?;
                let mut again = Vec::new();
                for ((i, body), found) in chunk.iter().zip(found) {
                    match found {
                        Some(key) => outcomes[*i] = Some(Ok(key)),
                        None => again.push((*i, body.clone())),
                    }
                }
                if !again.is_empty() {
                    let records: Vec<Json> = again.iter().map(|(_, b)| b.clone()).collect();
                    let results = batch::collection(inner, Method::POST, "Task", records)
                        .await
                        .map_err(|_| ConnectorError::Transient {
                            message: format!("writing notes failed twice ({error}); they are not sent a third time"),
                        })?;
                    for ((i, _), result) in again.iter().zip(results) {
                        outcomes[*i] = Some(match result.id.as_deref().and_then(id::to_18) {
                            Some(key) if result.success => Ok(key),
                            _ => Err(result.error("Task")),
                        });
                    }
                }
            }
            // Nothing more would be taken today: stop sending (the caller waits, then
            // checks which notes were written before writing the rest).
            Err(Failure::Final(error)) if error.is_allowance_used_up() => return Err(error),
            Err(Failure::Final(error)) => {
                for (i, _) in chunk {
                    outcomes[*i] = Some(Err(error.clone()));
                }
            }
        }
    }
    Ok(outcomes
        .into_iter()
        .map(|o| {
            o.unwrap_or_else(|| {
                Err(ConnectorError::Transient {
                    message: "the note was not sent".into(),
                })
            })
        })
        .collect())
}

/// [`listbridge_connector::CrmConnector::find_notes`]: one query (per chunk of people)
/// on Task by `WhoId`, day and subject; the kind and time are matched by the marker line.
pub(crate) async fn find_notes(
    inner: &Inner,
    notes: &[Note],
) -> ConnectorResult<Vec<Option<String>>> {
    let mut whos = BTreeSet::new();
    let mut days = BTreeSet::new();
    for note in notes {
        whos.insert(who(note)?);
        days.insert(note.at.format("%Y-%m-%d").to_string());
    }
    if whos.is_empty() {
        return Ok(Vec::new());
    }
    let days: Vec<String> = days.into_iter().collect();
    let whos: Vec<String> = whos.into_iter().collect();
    let render = |chunk: &[String]| {
        let list: Vec<String> = chunk.iter().map(|w| soql::quote(w)).collect();
        format!(
            "SELECT Id, WhoId, Subject, Description, SystemModstamp FROM Task WHERE WhoId IN ({}) AND ActivityDate IN ({}) ORDER BY SystemModstamp, Id",
            list.join(", "),
            days.join(", ")
        )
    };
    let mut tasks = Vec::new();
    for chunk in query::chunks(
        &whos,
        inner.options.lookup_chunk,
        inner.options.max_url_length,
        render,
    ) {
        tasks.extend(query::all(inner, &render(&chunk), "Task").await?);
    }
    let text = |t: &serde_json::Map<String, Json>, f: &str| {
        t.get(f).and_then(Json::as_str).map(str::to_string)
    };
    Ok(notes
        .iter()
        .map(|note| {
            let who = id::to_18(&note.target.key);
            let subject = subject(note);
            let marker = marker(note);
            tasks
                .iter()
                .find(|t| {
                    text(t, "WhoId").and_then(|w| id::to_18(&w)) == who
                        && text(t, "Subject").as_deref() == Some(subject.as_str())
                        && text(t, "Description")
                            .is_some_and(|d| d.lines().any(|l| l.trim() == marker))
                })
                .and_then(|t| text(t, "Id"))
                .and_then(|i| id::to_18(&i))
        })
        .collect())
}
