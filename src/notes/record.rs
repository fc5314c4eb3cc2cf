//! Recording a "message sent" report: its new events and their delivery jobs, in one
//! transaction; and reading a campaign's per-recipient outcomes.

use sea_orm::TransactionTrait;
use serde::Serialize;

use super::{NOTE_MAX_ATTEMPTS, NotesError, SentRequest};
use crate::{
    AppState,
    store::{
        AccountId, ConnectorId, JobKind, JobRepo, NewJob, NoteEvent, NoteEventRepo, NoteStatus,
        StoreError,
    },
};

/// Recipients per delivery job (one lookup round and a few `$batch` writes each).
pub const NOTE_BATCH: usize = 500;

/// What a report added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Recorded {
    /// The campaign.
    pub campaign_id: String,
    /// Distinct recipients in the report.
    pub recipients: usize,
    /// Of those, newly recorded.
    pub recorded: u64,
    /// Of those, already recorded by an earlier report (left as they were).
    pub already_recorded: u64,
    /// Delivery jobs queued.
    pub batches: usize,
}

/// The connector a report's notes go through: the one it names, else the account's
/// only one. With several CRMs a report wanting notes must name one: which CRM holds
/// the recipients is the marketer's knowledge (the campaign's list), and a guess would
/// write notes into the wrong CRM or skip people it has.
async fn connector_for(
    state: &AppState,
    account: AccountId,
    named: Option<ConnectorId>,
    wanted: bool,
) -> Result<Option<ConnectorId>, NotesError> {
    if let Some(id) = named {
        state.connectors().get(account, id).await?;
        return Ok(Some(id));
    }
    let connectors = state.connectors().list(account).await?;
    match connectors.as_slice() {
        [] if wanted => Err(NotesError::NoConnector),
        // No notes: no CRM is named on the recipients' events.
        [_, _, ..] if !wanted => Ok(None),
        [_, _, ..] => Err(NotesError::Invalid {
            code: "connector_required",
            message: format!(
                "this account has several CRMs ({}): say which one the notes go to \
                 (connector_id)",
                connectors
                    .iter()
                    .map(|c| format!("{} {} at {}", c.kind, c.id, c.base_url))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
        _ => Ok(connectors.first().map(|c| c.id)),
    }
}

/// Records a report: one event per new (campaign, recipient); existing ones are left as
/// they are. New pending events are queued for delivery in batches of [`NOTE_BATCH`].
pub async fn record_sent(
    state: &AppState,
    account: AccountId,
    request: SentRequest,
) -> Result<Recorded, NotesError> {
    let connector = connector_for(
        state,
        account,
        request.connector_id,
        request.write_crm_notes,
    )
    .await?;
    let now = state.clock.now();
    let campaign = request.campaign_id.trim().to_string();
    let events =
        request.into_events(account, connector, now, || state.random.uuid().to_string())?;

    let db = state.store.conn();
    let tx = db.begin().await.map_err(StoreError::from)?;
    let recorded = NoteEventRepo.insert_new(&tx, &events).await?;
    let unbatched = NoteEventRepo.unbatched(&tx, account, &campaign).await?;
    let jobs = JobRepo::on(&tx);
    let mut batches = 0;
    for chunk in unbatched.chunks(NOTE_BATCH) {
        let batch = state.random.uuid().to_string();
        NoteEventRepo.assign_batch(&tx, chunk, &batch, now).await?;
        jobs.enqueue(
            NewJob {
                id: state.random.uuid().into(),
                account_id: account,
                kind: JobKind::NoteDelivery,
                payload: serde_json::json!({ "batch_id": batch }),
                max_attempts: NOTE_MAX_ATTEMPTS,
                run_at: now,
                dedupe_key: Some(format!("notes:{batch}")),
            },
            now,
        )
        .await?;
        batches += 1;
    }
    tx.commit().await.map_err(StoreError::from)?;
    if batches > 0 {
        state.job_signal.notify_one();
    }
    tracing::info!(campaign = %campaign, recorded, batches, "message sent report recorded");
    let recipients = events.len();
    Ok(Recorded {
        campaign_id: campaign,
        recipients,
        recorded,
        already_recorded: u64::try_from(recipients)
            .unwrap_or(u64::MAX)
            .saturating_sub(recorded),
        batches,
    })
}

/// A campaign's per-status counts and a page of its events by email after `after`.
pub async fn campaign_notes(
    state: &AppState,
    account: AccountId,
    campaign: &str,
    status: Option<NoteStatus>,
    after: Option<&str>,
    limit: u64,
) -> Result<(Vec<(NoteStatus, i64)>, Vec<NoteEvent>), NotesError> {
    let db = state.store.conn();
    let counts = NoteEventRepo.counts(db, account, campaign).await?;
    let events = NoteEventRepo
        .page(db, account, campaign, status, after, limit)
        .await?;
    Ok((counts, events))
}
