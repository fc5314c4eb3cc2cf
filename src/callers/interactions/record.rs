//! Recording a call report: its new interactions and their delivery jobs, in one
//! transaction.

use std::collections::HashMap;

use sea_orm::TransactionTrait;
use serde::Serialize;
use utoipa::ToSchema;

use super::{InteractionError, InteractionsRequest, delivery::INTERACTION_MAX_ATTEMPTS};
use crate::{
    AppState,
    store::{AccountId, InteractionRepo, JobKind, JobRepo, NewJob, StoreError},
};

/// Interactions per delivery job (a few `$batch` writes each).
pub const INTERACTION_BATCH: usize = 500;

/// What became of one interaction of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Receipt {
    /// New: its note will be written.
    Recorded,
    /// Reported before: left as it was, no second note.
    AlreadyRecorded,
}

/// One interaction's receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InteractionReceipt {
    /// The phone system's id.
    pub interaction_id: String,
    /// listbridge's id of the interaction.
    pub id: String,
    /// New, or already recorded.
    pub receipt: Receipt,
}

/// What a report added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RecordedInteractions {
    /// Distinct interaction ids in the report.
    pub received: usize,
    /// Of those, newly recorded.
    pub recorded: u64,
    /// Of those, recorded by an earlier report (left as they were).
    pub already_recorded: u64,
    /// Delivery jobs queued.
    pub batches: usize,
    /// Each interaction's receipt, in the report's order.
    pub interactions: Vec<InteractionReceipt>,
}

/// Records a report: one row per new (account, interaction id); existing ones are left
/// as they are. New rows are queued for delivery in batches of [`INTERACTION_BATCH`].
pub async fn record_interactions(
    state: &AppState,
    account: AccountId,
    request: InteractionsRequest,
) -> Result<RecordedInteractions, InteractionError> {
    let connector = state
        .connectors()
        .list(account)
        .await?
        .first()
        .map(|c| c.id)
        .ok_or(InteractionError::NoConnector)?;
    let now = state.clock.now();
    let rows = request.into_rows(account, connector, now, || state.random.uuid().to_string())?;
    let ids: Vec<String> = rows.iter().map(|r| r.interaction_id.clone()).collect();

    let db = state.store.conn();
    let tx = db.begin().await.map_err(StoreError::from)?;
    let recorded = InteractionRepo.insert_new(&tx, &rows).await?;
    let stored: HashMap<String, String> = InteractionRepo
        .row_ids(&tx, account, &ids)
        .await?
        .into_iter()
        .collect();
    let unbatched = InteractionRepo.unbatched(&tx, account).await?;
    let jobs = JobRepo::on(&tx);
    let mut batches = 0;
    for chunk in unbatched.chunks(INTERACTION_BATCH) {
        let batch = state.random.uuid().to_string();
        InteractionRepo
            .assign_batch(&tx, chunk, &batch, now)
            .await?;
        jobs.enqueue(
            NewJob {
                id: state.random.uuid().into(),
                account_id: account,
                kind: JobKind::InteractionDelivery,
                payload: serde_json::json!({ "batch_id": batch }),
                max_attempts: INTERACTION_MAX_ATTEMPTS,
                run_at: now,
                dedupe_key: Some(format!("interactions:{batch}")),
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
    tracing::info!(recorded, batches, "call report recorded");

    let interactions: Vec<InteractionReceipt> = rows
        .into_iter()
        .map(|row| {
            let id = stored
                .get(&row.interaction_id)
                .cloned()
                .unwrap_or_else(|| row.id.clone());
            InteractionReceipt {
                receipt: if id == row.id {
                    Receipt::Recorded
                } else {
                    Receipt::AlreadyRecorded
                },
                interaction_id: row.interaction_id,
                id,
            }
        })
        .collect();
    let received = interactions.len();
    Ok(RecordedInteractions {
        received,
        recorded,
        already_recorded: u64::try_from(received)
            .unwrap_or(u64::MAX)
            .saturating_sub(recorded),
        batches,
        interactions,
    })
}
