//! One run of a conversion export, as a background job: read the source from the
//! export's read position, turn triggered records into ledger rows (each page's rows and
//! the new read position in one transaction), send what is pending in batches (each
//! batch's outcomes stored in one transaction), then write marketing sources back to the
//! CRM. A crash anywhere repeats at most the send of one batch, under the same
//! idempotency keys, so the platform counts each conversion once.

use std::{collections::HashMap, sync::Arc};

use chrono::Duration;
use futures::StreamExt;
use listbridge_connector::{
    ConnectorError, ConversionDestination, CrmConnector, DestinationError, FieldValues, ReadQuery,
    RowOutcome, SourceKind, Watermark,
};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use tracing::Instrument;

use super::{
    ConversionError, ConversionRule,
    destination::{self, Destination},
    exports::ConversionExports,
    ledger::{self, Context, Decision, Payload, RowStatus},
};
use crate::{
    AppState,
    jobs::JobError,
    store::{
        ConversionExportRepo, ConversionRowRepo, ConversionRunId, Job, RunTally, StoreError,
        StoredExport,
    },
};

/// How far before the read position a run starts reading again: records the CRM
/// stamped in the same second as the last one read are not missed (the ledger makes
/// reading one twice harmless).
const OVERLAP_SECONDS: i64 = 2;
/// Marketing sources written back per round.
const ENRICH_BATCH: u64 = 100;

#[derive(Debug, Deserialize)]
struct RunJob {
    run_id: ConversionRunId,
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
enum RunFailure {
    #[error(transparent)]
    Setup(#[from] ConversionError),
    #[error("reading the CRM failed: {0}")]
    Crm(#[from] ConnectorError),
    #[error("the destination did not take the rows: {0}")]
    Destination(#[from] DestinationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RunFailure {
    /// Whether running again later may get further.
    fn is_transient(&self) -> bool {
        match self {
            RunFailure::Crm(e) => e.is_transient(),
            RunFailure::Destination(DestinationError::Unavailable { .. })
            | RunFailure::Store(_) => true,
            RunFailure::Setup(ConversionError::Connector(
                crate::connectors::ConnectError::Crm(e),
            )) => e.is_transient(),
            RunFailure::Setup(ConversionError::Store(_)) => true,
            _ => false,
        }
    }
}

/// Executes a `conversion_run` job. A failure that may pass (the platform or CRM
/// unavailable) is retried by the job queue with the run left running; on the last
/// attempt, or for one that will not pass, the run ends `failed` with the reason.
pub async fn run_job(state: &AppState, job: &Job) -> Result<(), JobError> {
    let payload: RunJob = serde_json::from_value(job.payload.clone()).map_err(|e| {
        JobError::Fatal(format!(
            "conversion run job {} has a bad payload: {e}",
            job.id
        ))
    })?;
    let account = job.account_id;
    let repo = state.store.conversion_exports();
    let Some(run) = repo.run(account, payload.run_id).await? else {
        return Ok(());
    };
    if !matches!(run.status.as_str(), "queued" | "running") {
        return Ok(());
    }
    let Some(export_id) = crate::store::ConversionExportId::from_db(&run.export_id) else {
        return Err(JobError::Fatal(format!("run {} names no export", run.id)));
    };
    let export = match ConversionExports::from_state(state)
        .stored(account, export_id)
        .await
    {
        Ok(export) => export,
        Err(ConversionError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(JobError::Fatal(e.to_string())),
    };
    repo.start_run(payload.run_id, state.clock.now()).await?;
    let span =
        tracing::info_span!("conversion_run", run_id = %payload.run_id, export_id = %export.id);
    let mut tally = RunTally::default();
    let result = execute(state, &export, payload.run_id, &mut tally)
        .instrument(span)
        .await;
    let now = state.clock.now();
    match result {
        Ok(()) => {
            let status = if tally.rejected + tally.invalid > 0 {
                "completed_with_errors"
            } else {
                "succeeded"
            };
            tracing::info!(run_id = %payload.run_id, status, records = tally.records_read, accepted = tally.accepted, rejected = tally.rejected, invalid = tally.invalid, "conversion run finished");
            repo.finish_run(payload.run_id, status, &tally, None, now)
                .await?;
            Ok(())
        }
        Err(failure) if failure.is_transient() && job.attempts < job.max_attempts => {
            tracing::warn!(run_id = %payload.run_id, attempt = job.attempts, "conversion run will be retried");
            Err(JobError::transient(failure.to_string()))
        }
        Err(failure) => {
            let message = format!("Export '{}': {failure}", export.name);
            repo.finish_run(payload.run_id, "failed", &tally, Some(&message), now)
                .await?;
            Ok(())
        }
    }
}

/// The run's work: read, decide, send, enrich.
async fn execute(
    state: &AppState,
    export: &StoredExport,
    run: ConversionRunId,
    tally: &mut RunTally,
) -> Result<(), RunFailure> {
    let corrupt = |what: &str, e: String| {
        RunFailure::Store(StoreError::Corrupt {
            table: "conversion_exports",
            id: export.id.as_db(),
            message: format!("{what}: {e}"),
        })
    };
    let rule: ConversionRule =
        serde_json::from_str(&export.rule).map_err(|e| corrupt("rule", e.to_string()))?;
    let source: SourceKind = export.source.parse().map_err(|e| corrupt("source", e))?;
    let settings: Destination = serde_json::from_str(&export.destination_settings)
        .map_err(|e| corrupt("destination", e.to_string()))?;
    let connector = state
        .connectors()
        .open(export.account_id, export.connector_id)
        .await
        .map_err(ConversionError::from)?;
    read(state, export, &rule, source, &connector, run, tally).await?;
    let token = export
        .destination_secret
        .as_deref()
        .map(|sealed| state.cipher.decrypt(sealed, &export.id.as_db()))
        .transpose()
        .map_err(ConversionError::from)?;
    if let Some(destination) = destination::open(&state.outbound, &settings, token)? {
        send(state, export, destination, run, tally).await?;
        if let Some(field) = &export.enrich_field {
            enrich(state, export, source, field, &connector, tally).await?;
        }
    }
    Ok(())
}

/// Reads the source after the read position and records each triggered record's
/// conversion, page by page.
async fn read(
    state: &AppState,
    export: &StoredExport,
    rule: &ConversionRule,
    source: SourceKind,
    connector: &Arc<dyn CrmConnector>,
    run: ConversionRunId,
    tally: &mut RunTally,
) -> Result<(), RunFailure> {
    let since = export.watermark.as_ref().map(|(modified, _)| Watermark {
        modified: *modified - Duration::seconds(OVERLAP_SECONDS),
        key: String::new(),
    });
    let query = ReadQuery {
        fields: rule.fields().into_iter().map(str::to_string).collect(),
        since,
        page_size: None,
        filters: Vec::new(),
        any_order: false,
    };
    let export_key = export.id.as_db();
    let mut pages = connector.read_source(source, query);
    while let Some(page) = pages.next().await {
        let records = page?;
        tally.records_read += records.len() as i64;
        let ctx = Context {
            account: export.account_id,
            export: export.id,
            run,
            now: state.clock.now(),
        };
        let triggered: Vec<_> = records
            .iter()
            .filter(|r| rule.triggered(r))
            .map(|r| (r, rule.key_of(&export_key, r)))
            .collect();
        let keys: Vec<String> = triggered.iter().map(|(_, k)| k.clone()).collect();
        let tx = state.store.conn().begin().await.map_err(StoreError::from)?;
        let rows = ConversionRowRepo::on(&tx);
        let existing: HashMap<String, _> = rows
            .by_keys(export.id, &keys)
            .await?
            .into_iter()
            .map(|r| (r.row_key.clone(), r))
            .collect();
        for (record, key) in &triggered {
            let stored = existing.get(key);
            let first_matched = stored.map_or(ctx.now, |s| s.first_matched_at);
            let built = rule.row(&export_key, record, first_matched);
            match ledger::decide(ctx, record, key, &built, stored) {
                Decision::Insert(mut row) => {
                    row.id = state.random.uuid().to_string();
                    count_built(tally, &row.status);
                    rows.insert(&row).await?;
                }
                Decision::Update(row) => {
                    count_built(tally, &row.status);
                    rows.update(&row).await?;
                }
                Decision::ChangedAfterSending(row) => {
                    tally.changed_after_sending += 1;
                    rows.update(&row).await?;
                }
                Decision::Unchanged => {}
            }
        }
        if let Some(last) = records.iter().rev().find_map(|r| r.watermark()) {
            ConversionExportRepo::on(&tx)
                .set_watermark(export.id, last.modified, &last.key)
                .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
    }
    Ok(())
}

fn count_built(tally: &mut RunTally, status: &str) {
    if status == RowStatus::Invalid.as_str() {
        tally.invalid += 1;
    } else {
        tally.conversions += 1;
    }
}

/// Sends the export's pending rows, a batch at a time, storing each batch's outcomes.
async fn send(
    state: &AppState,
    export: &StoredExport,
    destination: Arc<dyn ConversionDestination>,
    run: ConversionRunId,
    tally: &mut RunTally,
) -> Result<(), RunFailure> {
    let batch = destination.batch_size().max(1) as u64;
    let repo = state.store.conversion_rows();
    loop {
        let mut pending = repo.batch_in_doubt(export.id).await?;
        if pending.is_empty() {
            pending = repo.unbatched(export.id, batch).await?;
            if pending.is_empty() {
                return Ok(());
            }
            let ids: Vec<String> = pending.iter().map(|r| r.id.clone()).collect();
            repo.assign_batch(&ids, &state.random.uuid().to_string())
                .await?;
        }
        let mut sendable = Vec::with_capacity(pending.len());
        let mut ids = Vec::with_capacity(pending.len());
        let now = state.clock.now();
        for row in &pending {
            match serde_json::from_str::<Payload>(&row.payload)
                .ok()
                .and_then(|p| p.row(&row.row_key))
            {
                Some(built) => {
                    sendable.push(built);
                    ids.push(row.id.clone());
                }
                None => {
                    tally.invalid += 1;
                    repo.set_outcome(
                        &row.id,
                        RowStatus::Invalid.as_str(),
                        Some("the stored row could not be read back; it was not sent"),
                        None,
                        run,
                        now,
                    )
                    .await?;
                }
            }
        }
        if sendable.is_empty() {
            continue;
        }
        let outcomes = destination.send(&sendable).await?;
        let now = state.clock.now();
        let tx = state.store.conn().begin().await.map_err(StoreError::from)?;
        let rows = ConversionRowRepo::on(&tx);
        for (id, outcome) in ids.iter().zip(&outcomes) {
            match outcome {
                RowOutcome::Accepted { marketing_source } => {
                    tally.accepted += 1;
                    rows.set_outcome(
                        id,
                        RowStatus::Accepted.as_str(),
                        None,
                        marketing_source.as_deref(),
                        run,
                        now,
                    )
                    .await?;
                }
                RowOutcome::Rejected { message } => {
                    tally.rejected += 1;
                    rows.set_outcome(
                        id,
                        RowStatus::Rejected.as_str(),
                        Some(message),
                        None,
                        run,
                        now,
                    )
                    .await?;
                }
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        if outcomes.len() < ids.len() {
            return Err(RunFailure::Destination(DestinationError::Unavailable {
                message: format!(
                    "{} answered {} outcomes for {} rows",
                    destination.kind(),
                    outcomes.len(),
                    ids.len()
                ),
                retry_after_seconds: None,
            }));
        }
    }
}

/// Writes the marketing sources the platform credited to the chosen CRM field.
async fn enrich(
    state: &AppState,
    export: &StoredExport,
    source: SourceKind,
    field: &str,
    connector: &Arc<dyn CrmConnector>,
    tally: &mut RunTally,
) -> Result<(), RunFailure> {
    let repo = state.store.conversion_rows();
    loop {
        let rows = repo.to_enrich(export.id, ENRICH_BATCH).await?;
        if rows.is_empty() {
            return Ok(());
        }
        for row in rows {
            let value = row.marketing_source.clone();
            let fields = FieldValues::from([(field.to_string(), value)]);
            let outcome = connector.update_source(source, &row.crm_key, &fields).await;
            let now = state.clock.now();
            match outcome {
                Ok(()) => {
                    tally.enriched += 1;
                    repo.set_enriched(&row.id, None, now).await?;
                }
                Err(e) if e.is_transient() => return Err(e.into()),
                Err(e) => {
                    let message = format!(
                        "the marketing source could not be written to {} {} field {field}: {e}",
                        source, row.crm_key
                    );
                    repo.set_enriched(&row.id, Some(&message), now).await?;
                }
            }
        }
    }
}
