//! Writing one batch of "message sent" notes (the `note_delivery` job).
//!
//! 1. Events left `sending` by an interrupted attempt are in doubt: their notes are looked
//!    up in the CRM first; found ones are recorded, the others written again.
//! 2. Each recipient's lead or contact comes from CRM-linked list members, else from
//!    batched email lookups (contact preferred over lead, then the most recent); a
//!    recipient with no CRM record is skipped with that reason.
//! 3. Notes are written in chunks through the connector's batch endpoint. Each chunk is
//!    marked `sending` in one transaction before the write and its outcomes recorded in
//!    one transaction after it (the protocol of [`super::exactly_once`], shared with call
//!    notes).

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use listbridge_connector::{CrmConnector, CrmRecord, EntityKind, Note, NoteKind, NoteTarget};
use sea_orm::{DatabaseTransaction, TransactionTrait};

use super::exactly_once::{LedgerNote, NoteLedger, settle_in_doubt, write_all};
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

/// `note_events` as the ledger of the exactly-once write protocol.
struct EventLedger;

impl NoteLedger for EventLedger {
    async fn mark_sending(
        &self,
        tx: &DatabaseTransaction,
        marks: &[(String, NoteTarget)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        NoteEventRepo.mark_sending(tx, marks, now).await
    }

    async fn mark_delivered(
        &self,
        tx: &DatabaseTransaction,
        id: &str,
        note_key: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        NoteEventRepo.mark_delivered(tx, id, note_key, now).await
    }

    async fn mark_pending(
        &self,
        tx: &DatabaseTransaction,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        NoteEventRepo.mark_pending(tx, id, now).await
    }

    async fn mark_failed(
        &self,
        tx: &DatabaseTransaction,
        id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        NoteEventRepo
            .mark_closed(tx, id, NoteStatus::Failed, reason, now)
            .await
    }
}

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

/// The note of an event, its subject fitted to what the CRM keeps (`subject_max`).
fn note_for(event: &NoteEvent, target: NoteTarget, subject_max: usize) -> Note {
    Note {
        target,
        kind: NoteKind::EmailSent,
        regarding: note_regarding(&event.subject, subject_max),
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
    let subject_max = connector.capabilities().note_subject_max;
    let (in_doubt, pending): (Vec<NoteEvent>, Vec<NoteEvent>) = events
        .into_iter()
        .partition(|e| e.status == NoteStatus::Sending && e.crm.is_some());

    let in_doubt: Vec<LedgerNote> = in_doubt
        .into_iter()
        .filter_map(|e| {
            let target = e.crm.clone()?;
            Some(LedgerNote {
                note: note_for(&e, target, subject_max),
                id: e.id,
            })
        })
        .collect();
    let mut ready: Vec<LedgerNote> =
        settle_in_doubt(state, &EventLedger, &connector, in_doubt).await?;

    let emails: Vec<String> = pending.iter().map(|e| e.email.clone()).collect();
    let mut targets = resolve_targets(state, job, connector_id, &connector, &emails).await?;
    let now = state.clock.now();
    let mut unmatched = Vec::new();
    for event in pending {
        match targets.remove(&event.email) {
            Some(target) => ready.push(LedgerNote {
                note: note_for(&event, target, subject_max),
                id: event.id,
            }),
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

    write_all(state, &EventLedger, &connector, &ready).await
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
                let email = connector.vocabulary().email_of(&record);
                if let Some(email) = email.map(|e| e.trim().to_lowercase()) {
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
