//! Writing one batch of "message sent" notes (the `note_delivery` job).
//!
//! 1. Events left `sending` by an interrupted attempt are in doubt: their notes are looked
//!    up in the CRM first; found ones are recorded, the others written again.
//! 2. Each recipient's lead or contact comes from CRM-linked list members, else from
//!    batched email lookups (contact preferred over lead, then the most recent); a
//!    recipient with no CRM record is skipped with that reason.
//! 3. Notes are written in chunks through the connector's batch endpoint. Each chunk is
//!    marked `sending` in one transaction before the write and its outcomes recorded in
//!    one transaction after it.

use std::{collections::HashMap, sync::Arc};

use chrono::Utc;
use listbridge_connector::{CrmConnector, CrmRecord, EntityKind, Note, NoteKind, NoteTarget};
use sea_orm::TransactionTrait;

use super::text::{note_regarding, note_text};
use crate::{
    AppState,
    connectors::ConnectError,
    engine::matching,
    jobs::JobError,
    store::{ConnectorId, CrmLinkRepo, Job, NoteEvent, NoteEventRepo, NoteStatus, StoreError},
};

/// Attempts a note batch gets for CRM outages (backoff 5 s doubling to 5 min).
pub const NOTE_MAX_ATTEMPTS: i32 = 24;
/// Notes per write round: marked `sending` together, so at most this many are in doubt
/// after a crash.
const WRITE_CHUNK: usize = 100;

/// Executes a `note_delivery` job.
pub async fn run_delivery_job(state: &AppState, job: &Job) -> Result<(), JobError> {
    let batch = job
        .payload
        .get("batch_id")
        .and_then(|v| v.as_str())
        .ok_or_else(|| JobError::Fatal(format!("job {} has no batch id", job.id)))?;
    let db = state.store.conn();
    let events = NoteEventRepo
        .open_in_batch(db, job.account_id, batch)
        .await?;
    let mut by_connector: HashMap<Option<ConnectorId>, Vec<NoteEvent>> = HashMap::new();
    for event in events {
        by_connector
            .entry(event.connector_id)
            .or_default()
            .push(event);
    }
    let mut retry = None;
    for (connector, events) in by_connector {
        let result = match connector {
            Some(id) => deliver(state, job, id, events).await,
            None => close_all(state, &events, NoteStatus::Skipped, "no CRM connector").await,
        };
        match result {
            Ok(()) => {}
            Err(e) if e.is_retryable() => retry = Some(e),
            Err(e) => return Err(e),
        }
    }
    retry.map_or(Ok(()), Err)
}

async fn close_all(
    state: &AppState,
    events: &[NoteEvent],
    status: NoteStatus,
    reason: &str,
) -> Result<(), JobError> {
    let now = state.clock.now();
    let tx = state.store.conn().begin().await.map_err(StoreError::from)?;
    for e in events {
        NoteEventRepo
            .mark_closed(&tx, &e.id, status, reason, now)
            .await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

fn note_for(event: &NoteEvent, target: NoteTarget) -> Note {
    Note {
        target,
        kind: NoteKind::EmailSent,
        regarding: note_regarding(&event.subject),
        text: note_text(
            &event.subject,
            event.sent_at,
            &event.campaign_id,
            event.preview_url.as_deref(),
        ),
        at: event.sent_at,
    }
}

async fn deliver(
    state: &AppState,
    job: &Job,
    connector_id: ConnectorId,
    events: Vec<NoteEvent>,
) -> Result<(), JobError> {
    let connector = state
        .connectors()
        .open(job.account_id, connector_id)
        .await
        .map_err(|e| match e {
            ConnectError::Store(s) => JobError::Store(s),
            // A reset connector or a CRM hiccup passes with time: retry with backoff.
            other => JobError::transient(other.to_string()),
        })?;
    if !connector.capabilities().notes {
        let reason = format!("the {} connector cannot write notes", connector.kind());
        return close_all(state, &events, NoteStatus::Failed, &reason).await;
    }
    let (in_doubt, pending): (Vec<NoteEvent>, Vec<NoteEvent>) = events
        .into_iter()
        .partition(|e| e.status == NoteStatus::Sending && e.crm.is_some());

    let mut ready: Vec<(NoteEvent, NoteTarget)> =
        settle_in_doubt(state, &connector, in_doubt).await?;

    let emails: Vec<String> = pending.iter().map(|e| e.email.clone()).collect();
    let mut targets = resolve_targets(state, job, connector_id, &connector, &emails).await?;
    let now = state.clock.now();
    let mut unmatched = Vec::new();
    for event in pending {
        match targets.remove(&event.email) {
            Some(target) => ready.push((event, target)),
            None => unmatched.push(event),
        }
    }
    if !unmatched.is_empty() {
        let tx = state.store.conn().begin().await.map_err(StoreError::from)?;
        for e in &unmatched {
            let reason = format!("no lead or contact in the CRM has the email {}", e.email);
            NoteEventRepo
                .mark_closed(&tx, &e.id, NoteStatus::Skipped, &reason, now)
                .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
    }

    let mut retry = None;
    for chunk in ready.chunks(WRITE_CHUNK) {
        if let Err(e) = write_chunk(state, &connector, chunk).await {
            if !e.is_retryable() {
                return Err(e);
            }
            retry = Some(e);
        }
    }
    retry.map_or(Ok(()), Err)
}

/// Looks up the notes of events an interrupted attempt left `sending`; records the found
/// ones and returns the others to be written.
async fn settle_in_doubt(
    state: &AppState,
    connector: &Arc<dyn CrmConnector>,
    in_doubt: Vec<NoteEvent>,
) -> Result<Vec<(NoteEvent, NoteTarget)>, JobError> {
    if in_doubt.is_empty() {
        return Ok(Vec::new());
    }
    let with_targets: Vec<(NoteEvent, NoteTarget)> = in_doubt
        .into_iter()
        .filter_map(|e| e.crm.clone().map(|t| (e, t)))
        .collect();
    let notes: Vec<Note> = with_targets
        .iter()
        .map(|(e, t)| note_for(e, t.clone()))
        .collect();
    let now = state.clock.now();
    match connector.find_notes(&notes).await {
        Ok(found) => {
            let tx = state.store.conn().begin().await.map_err(StoreError::from)?;
            let mut again = Vec::new();
            for ((event, target), key) in with_targets.into_iter().zip(found) {
                match key {
                    Some(key) => {
                        NoteEventRepo
                            .mark_delivered(&tx, &event.id, &key, now)
                            .await?;
                    }
                    None => {
                        NoteEventRepo.mark_pending(&tx, &event.id, now).await?;
                        again.push((event, target));
                    }
                }
            }
            tx.commit().await.map_err(StoreError::from)?;
            tracing::info!(rewrite = again.len(), "in-doubt notes checked");
            Ok(again)
        }
        Err(e) if e.is_transient() => Err(JobError::Crm(e)),
        Err(e) => {
            let reason = format!(
                "an earlier attempt was interrupted and whether its note was written cannot be checked ({e}); it is not written again, to avoid a duplicate"
            );
            let events: Vec<NoteEvent> = with_targets.into_iter().map(|(e, _)| e).collect();
            close_all(state, &events, NoteStatus::Failed, &reason).await?;
            Ok(Vec::new())
        }
    }
}

/// The lead or contact of each email: list member links first, then the CRM by email.
async fn resolve_targets(
    state: &AppState,
    job: &Job,
    connector_id: ConnectorId,
    connector: &Arc<dyn CrmConnector>,
    emails: &[String],
) -> Result<HashMap<String, NoteTarget>, JobError> {
    let mut candidates: HashMap<String, Vec<CrmRecord>> = HashMap::new();
    let links = CrmLinkRepo
        .by_emails(state.store.conn(), job.account_id, connector_id, emails)
        .await?;
    for (email, link) in links {
        candidates.entry(email).or_default().push(CrmRecord {
            entity: link.entity,
            key: link.key,
            etag: None,
            modify_date: link.modify_date,
            fields: Default::default(),
        });
    }
    let unknown: Vec<String> = emails
        .iter()
        .filter(|e| !candidates.contains_key(*e))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        for entity in [EntityKind::Contact, EntityKind::Lead] {
            let found = connector.find_by_email(entity, &unknown, &[]).await?;
            for record in found {
                if let Some(email) = record.email().map(|e| e.trim().to_lowercase()) {
                    candidates.entry(email).or_default().push(record);
                }
            }
        }
    }
    Ok(candidates
        .into_iter()
        .filter_map(|(email, records)| {
            matching::choose(&records).map(|(best, _)| {
                (
                    email,
                    NoteTarget {
                        entity: best.entity,
                        key: best.key.clone(),
                    },
                )
            })
        })
        .collect())
}

/// Marks a chunk `sending`, writes its notes, records each outcome.
async fn write_chunk(
    state: &AppState,
    connector: &Arc<dyn CrmConnector>,
    chunk: &[(NoteEvent, NoteTarget)],
) -> Result<(), JobError> {
    let db = state.store.conn();
    let marks: Vec<(String, NoteTarget)> = chunk
        .iter()
        .map(|(e, t)| (e.id.clone(), t.clone()))
        .collect();
    let tx = db.begin().await.map_err(StoreError::from)?;
    NoteEventRepo
        .mark_sending(&tx, &marks, state.clock.now())
        .await?;
    tx.commit().await.map_err(StoreError::from)?;

    let notes: Vec<Note> = chunk.iter().map(|(e, t)| note_for(e, t.clone())).collect();
    let started = Utc::now();
    let outcomes = match connector.add_notes(notes).await {
        Ok(outcomes) => outcomes,
        // Left `sending`: the next attempt checks which were written.
        Err(e) if e.is_transient() => return Err(JobError::Crm(e)),
        Err(e) => chunk.iter().map(|_| Err(e.clone())).collect(),
    };
    let now = state.clock.now();
    let mut retry = None;
    let tx = db.begin().await.map_err(StoreError::from)?;
    for ((event, _), outcome) in chunk.iter().zip(outcomes) {
        match outcome {
            Ok(key) => {
                NoteEventRepo
                    .mark_delivered(&tx, &event.id, &key, now)
                    .await?
            }
            Err(e) if e.is_transient() => retry = Some(e),
            Err(e) => {
                NoteEventRepo
                    .mark_closed(&tx, &event.id, NoteStatus::Failed, &e.to_string(), now)
                    .await?
            }
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(
        notes = chunk.len(),
        ms = (Utc::now() - started).num_milliseconds(),
        "notes written"
    );
    retry.map_or(Ok(()), |e| Err(JobError::Crm(e)))
}
