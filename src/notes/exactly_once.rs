//! Writing CRM notes exactly once, whatever asks for them ("message sent" events, call
//! notes): the write protocol shared by every note ledger.
//!
//! A ledger is the table that holds one row per wanted note. Each write round marks its
//! rows `sending` (with the record each note goes to) in one transaction before the
//! write, and records each outcome in one transaction after it. A crash in between leaves
//! rows in doubt; the next attempt hands them to [`settle_in_doubt`], which looks their
//! notes up in the CRM (`CrmConnector::find_notes`) and writes again only those not found.

use std::{future::Future, sync::Arc};

use chrono::{DateTime, Utc};
use listbridge_connector::{CrmConnector, Note, NoteTarget};
use sea_orm::{DatabaseTransaction, TransactionTrait};

use crate::{AppState, jobs::JobError, store::StoreError};

/// Notes per write round: marked `sending` together, so at most this many are in doubt
/// after a crash.
pub const WRITE_CHUNK: usize = 100;

/// One note to write, with the ledger row that wants it.
#[derive(Debug, Clone)]
pub struct LedgerNote {
    /// The ledger row's id.
    pub id: String,
    /// The note, with its target.
    pub note: Note,
}

/// The table that records, per wanted note, where its write is; the state changes the
/// exactly-once protocol makes. Each call runs inside the protocol's transaction.
pub trait NoteLedger: Sync {
    /// Marks rows `sending` with the record each note goes to, just before the write.
    fn mark_sending(
        &self,
        tx: &DatabaseTransaction,
        marks: &[(String, NoteTarget)],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records a written (or found) note's key.
    fn mark_delivered(
        &self,
        tx: &DatabaseTransaction,
        id: &str,
        note_key: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Puts an in-doubt row back to pending: its note was not found in the CRM.
    fn mark_pending(
        &self,
        tx: &DatabaseTransaction,
        id: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Ends a row as failed, with the reason (the CRM's words or why it cannot be known).
    fn mark_failed(
        &self,
        tx: &DatabaseTransaction,
        id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Looks up the notes of rows an interrupted attempt left `sending`; records the found
/// ones as delivered and returns the others, back to pending, to be written again. When
/// the CRM cannot say, the rows fail with that reason rather than risk a duplicate.
pub async fn settle_in_doubt<L: NoteLedger>(
    state: &AppState,
    ledger: &L,
    connector: &Arc<dyn CrmConnector>,
    in_doubt: Vec<LedgerNote>,
) -> Result<Vec<LedgerNote>, JobError> {
    if in_doubt.is_empty() {
        return Ok(Vec::new());
    }
    let notes: Vec<Note> = in_doubt.iter().map(|n| n.note.clone()).collect();
    let now = state.clock.now();
    match connector.find_notes(&notes).await {
        Ok(found) => {
            let tx = state.store.conn().begin().await.map_err(StoreError::from)?;
            let mut again = Vec::new();
            for (item, key) in in_doubt.into_iter().zip(found) {
                match key {
                    Some(key) => ledger.mark_delivered(&tx, &item.id, &key, now).await?,
                    None => {
                        ledger.mark_pending(&tx, &item.id, now).await?;
                        again.push(item);
                    }
                }
            }
            tx.commit().await.map_err(StoreError::from)?;
            tracing::info!(rewrite = again.len(), "in-doubt notes checked");
            Ok(again)
        }
        Err(e) if e.may_pass() => Err(JobError::Crm(e)),
        Err(e) => {
            let reason = format!(
                "an earlier attempt was interrupted and whether its note was written cannot be checked ({e}); it is not written again, to avoid a duplicate"
            );
            let tx = state.store.conn().begin().await.map_err(StoreError::from)?;
            for item in &in_doubt {
                ledger.mark_failed(&tx, &item.id, &reason, now).await?;
            }
            tx.commit().await.map_err(StoreError::from)?;
            Ok(Vec::new())
        }
    }
}

/// Writes notes in rounds of [`WRITE_CHUNK`]; a transient failure of one round does not
/// stop the others and is returned at the end so the job retries the rest.
pub async fn write_all<L: NoteLedger>(
    state: &AppState,
    ledger: &L,
    connector: &Arc<dyn CrmConnector>,
    ready: &[LedgerNote],
) -> Result<(), JobError> {
    let mut retry = None;
    for chunk in ready.chunks(WRITE_CHUNK) {
        if let Err(e) = write_chunk(state, ledger, connector, chunk).await {
            if !e.is_retryable() {
                return Err(e);
            }
            retry = Some(e);
        }
    }
    retry.map_or(Ok(()), Err)
}

/// Marks a chunk `sending`, writes its notes, records each outcome.
async fn write_chunk<L: NoteLedger>(
    state: &AppState,
    ledger: &L,
    connector: &Arc<dyn CrmConnector>,
    chunk: &[LedgerNote],
) -> Result<(), JobError> {
    let db = state.store.conn();
    let marks: Vec<(String, NoteTarget)> = chunk
        .iter()
        .map(|n| (n.id.clone(), n.note.target.clone()))
        .collect();
    let tx = db.begin().await.map_err(StoreError::from)?;
    ledger.mark_sending(&tx, &marks, state.clock.now()).await?;
    tx.commit().await.map_err(StoreError::from)?;

    let notes: Vec<Note> = chunk.iter().map(|n| n.note.clone()).collect();
    let started = Utc::now();
    let outcomes = match connector.add_notes(notes).await {
        Ok(outcomes) => outcomes,
        // Left `sending`: the next attempt checks which were written.
        Err(e) if e.may_pass() => return Err(JobError::Crm(e)),
        Err(e) => chunk.iter().map(|_| Err(e.clone())).collect(),
    };
    let now = state.clock.now();
    let mut retry = None;
    let (mut written, mut failed) = (0, 0);
    let tx = db.begin().await.map_err(StoreError::from)?;
    for (item, outcome) in chunk.iter().zip(outcomes) {
        match outcome {
            Ok(key) => {
                ledger.mark_delivered(&tx, &item.id, &key, now).await?;
                written += 1;
            }
            Err(e) if e.may_pass() => retry = Some(e),
            Err(e) => {
                ledger
                    .mark_failed(&tx, &item.id, &e.to_string(), now)
                    .await?;
                failed += 1;
            }
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    crate::metrics::record::notes(written, failed);
    tracing::info!(
        notes = chunk.len(),
        ms = (Utc::now() - started).num_milliseconds(),
        "notes written"
    );
    retry.map_or(Ok(()), |e| Err(JobError::Crm(e)))
}
