//! Conversion exports as people set them up: create and replace ([`setup`]), list,
//! read, delete, *Run Now*, runs and their rows, and *Download CSV*. The API and (later) the console call these;
//! the rule is checked against the CRM's fields and the destination against the
//! outbound policy before anything is saved.

use chrono::{DateTime, Duration, Utc};
use listbridge_connector::destination::write_csv;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

mod setup;

pub use setup::ExportInput;

use super::{
    ConversionError, ConversionRule,
    destination::{self, Destination},
    ledger::{Payload, RowStatus},
};
use crate::{
    AppState,
    store::{
        AccountId, ConnectorId, ConversionExportId, ConversionExportRepo, ConversionRunId, JobId,
        JobKind, JobRepo, LedgerFilter, LedgerRow, NewJob, RunTally, StoreError, StoredExport,
        entity::conversion_run,
    },
};

/// Attempts of a run's job before it is dead.
pub const RUN_MAX_ATTEMPTS: i32 = 6;

/// An export as shown: its settings, never its token.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Export {
    /// Id.
    pub id: ConversionExportId,
    /// Name.
    pub name: String,
    /// The connector read.
    pub connector_id: ConnectorId,
    /// `lead`, `contact` or `opportunity`.
    pub source: String,
    /// The rule.
    pub rule: ConversionRule,
    /// Where rows go.
    pub destination: Destination,
    /// Whether a token, password or key is stored (it is never shown).
    pub secret_set: bool,
    /// Where the marketing source is written back.
    pub enrich_field: Option<String>,
    /// Minutes between scheduled runs.
    pub every_minutes: Option<i32>,
    /// Also runs after every list sync that read the connector's CRM.
    pub with_list_syncs: bool,
    /// When the next scheduled run is queued.
    pub next_run_at: Option<DateTime<Utc>>,
    /// The CRM modify date read up to.
    pub read_up_to: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// One run of an export, with its counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportRun {
    /// Id.
    pub id: ConversionRunId,
    /// The export.
    pub export_id: ConversionExportId,
    /// `queued`, `running`, `succeeded`, `completed_with_errors` or `failed`.
    pub status: String,
    /// `manual`, `schedule` or `list_sync`.
    pub trigger: String,
    /// What it did (records read, conversions, accepted, rejected with the platform's
    /// words and invalid rows: see the conversions listing with `run_id`).
    #[serde(flatten)]
    pub counts: RunTally,
    /// Why the run failed.
    pub error: Option<String>,
    /// Queued.
    pub created_at: DateTime<Utc>,
    /// Started.
    pub started_at: Option<DateTime<Utc>>,
    /// Ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// How long it took, in milliseconds.
    pub duration_ms: Option<i64>,
}

/// One conversion in the ledger, as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversionView {
    /// Ledger row id (the listing's cursor).
    pub id: String,
    /// The idempotency key sent with it.
    pub key: String,
    /// `lead`, `contact` or `opportunity`.
    pub source: String,
    /// The CRM record's key.
    pub crm_key: String,
    /// What became of it.
    pub status: RowStatus,
    /// The row (absent for an invalid one).
    pub row: Option<Payload>,
    /// The platform's words (rejected) or the problem (invalid).
    pub message: Option<String>,
    /// The marketing source the platform credited.
    pub marketing_source: Option<String>,
    /// The record changed after the row was accepted; it was not sent again.
    pub changed_after_sending: bool,
    /// When the platform took it.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the marketing source was written to the CRM.
    pub enriched_at: Option<DateTime<Utc>>,
}

/// An SFTP server's host key, shown for confirmation before it is pinned.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HostKeyView {
    /// The key's algorithm, e.g. `ssh-ed25519`.
    pub algorithm: String,
    /// Its SHA-256 fingerprint as `ssh-keygen -l` prints it: give it as the
    /// destination's `host_key` once the platform confirms it.
    pub fingerprint: String,
    /// The public key in OpenSSH's one-line form.
    pub openssh: String,
}

/// Which SFTP server to ask for its host key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostKeyQuery {
    /// Host name or address.
    #[schema(example = "sftp.example.com", pattern = r"\S")]
    pub host: String,
    /// Port (22 when absent).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 65535)]
    pub port: Option<u16>,
}

/// What *Run Now* did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunQueued {
    /// The run (new, or the one already queued or running).
    pub run: ExportRun,
    /// False when a run was already queued or running.
    pub created: bool,
}

/// The export service over the app's state.
#[derive(Debug)]
pub struct ConversionExports<'a> {
    state: &'a AppState,
}

impl<'a> ConversionExports<'a> {
    /// The service.
    pub fn from_state(state: &'a AppState) -> Self {
        ConversionExports { state }
    }

    /// Asks an SFTP server for its host key (nothing is logged in or stored), so the
    /// marketer can compare it with what the platform publishes before pinning it.
    pub async fn host_key(
        &self,
        account: AccountId,
        query: HostKeyQuery,
    ) -> Result<HostKeyView, ConversionError> {
        // It reaches out to a host the account names: the same budget as a login.
        self.state.connect_attempts.take(account)?;
        let key = sftp_drop::fetch_host_key(
            query.host.trim(),
            query.port.unwrap_or(22),
            &self.state.outbound,
            destination::SFTP_TIMEOUT,
        )
        .await
        .map_err(|e| ConversionError::Invalid {
            field: "host",
            message: e.to_string(),
        })?;
        Ok(HostKeyView {
            algorithm: key.algorithm,
            fingerprint: key.fingerprint,
            openssh: key.openssh,
        })
    }

    /// The account's exports.
    pub async fn list(&self, account: AccountId) -> Result<Vec<Export>, ConversionError> {
        self.state
            .store
            .conversion_exports()
            .list(account)
            .await?
            .into_iter()
            .map(view)
            .collect()
    }

    /// One export.
    pub async fn get(
        &self,
        account: AccountId,
        id: ConversionExportId,
    ) -> Result<Export, ConversionError> {
        view(self.stored(account, id).await?)
    }

    /// The stored export (for a run).
    pub async fn stored(
        &self,
        account: AccountId,
        id: ConversionExportId,
    ) -> Result<StoredExport, ConversionError> {
        self.state
            .store
            .conversion_exports()
            .get(account, id)
            .await?
            .ok_or(ConversionError::NotFound(id))
    }

    /// Deletes an export with its runs and ledger.
    pub async fn delete(
        &self,
        account: AccountId,
        id: ConversionExportId,
    ) -> Result<(), ConversionError> {
        if self
            .state
            .store
            .conversion_exports()
            .delete(account, id)
            .await?
        {
            Ok(())
        } else {
            Err(ConversionError::NotFound(id))
        }
    }

    /// *Run Now* (or a scheduled slot): queues a run and its job, unless one is queued
    /// or running already.
    pub async fn run_now(
        &self,
        account: AccountId,
        id: ConversionExportId,
        trigger: &str,
    ) -> Result<RunQueued, ConversionError> {
        self.stored(account, id).await?;
        let now = self.state.clock.now();
        let tx = self
            .state
            .store
            .conn()
            .begin()
            .await
            .map_err(StoreError::from)?;
        let (run_id, created) = ConversionExportRepo::on(&tx)
            .queue_run(
                account,
                id,
                ConversionRunId(self.state.random.uuid()),
                trigger,
                now,
            )
            .await?;
        if created {
            JobRepo::on(&tx)
                .enqueue(
                    NewJob {
                        id: JobId(self.state.random.uuid()),
                        account_id: account,
                        kind: JobKind::ConversionRun,
                        payload: json!({ "run_id": run_id }),
                        max_attempts: RUN_MAX_ATTEMPTS,
                        run_at: now,
                        dedupe_key: Some(format!("conversion_run:{run_id}")),
                    },
                    now,
                )
                .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        if created {
            self.state.job_signal.notify_one();
        }
        Ok(RunQueued {
            run: self.run(account, id, run_id).await?,
            created,
        })
    }

    /// One run of the export.
    pub async fn run(
        &self,
        account: AccountId,
        export: ConversionExportId,
        id: ConversionRunId,
    ) -> Result<ExportRun, ConversionError> {
        let run = self
            .state
            .store
            .conversion_exports()
            .run(account, id)
            .await?
            .filter(|r| r.export_id == export.as_db())
            .ok_or(ConversionError::RunNotFound(id))?;
        run_view(run)
    }

    /// The export's latest runs, newest first.
    pub async fn runs(
        &self,
        account: AccountId,
        export: ConversionExportId,
        limit: u64,
    ) -> Result<Vec<ExportRun>, ConversionError> {
        self.stored(account, export).await?;
        self.state
            .store
            .conversion_exports()
            .runs(account, export, limit)
            .await?
            .into_iter()
            .map(run_view)
            .collect()
    }

    /// A page of the export's conversions by `filter`, after the cursor `after`.
    pub async fn rows(
        &self,
        account: AccountId,
        export: ConversionExportId,
        filter: &LedgerFilter,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<ConversionView>, ConversionError> {
        self.stored(account, export).await?;
        self.state
            .store
            .conversion_rows()
            .list(account, export, filter, after, limit)
            .await?
            .into_iter()
            .map(row_view)
            .collect()
    }

    /// *Download CSV*: the export's conversions that happened in [`from`, `to`), every
    /// one that can be sent (invalid ones left out), as the platforms' CSV file.
    pub async fn csv(
        &self,
        account: AccountId,
        export: ConversionExportId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<u8>, ConversionError> {
        self.stored(account, export).await?;
        let filter = LedgerFilter {
            from,
            to,
            ..LedgerFilter::default()
        };
        let repo = self.state.store.conversion_rows();
        let mut rows = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = repo
                .list(account, export, &filter, after.as_deref(), 1000)
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            rows.extend(page.iter().filter_map(|r| {
                (r.status != RowStatus::Invalid.as_str())
                    .then(|| serde_json::from_str::<Payload>(&r.payload).ok())
                    .flatten()
                    .and_then(|p| p.row(&r.row_key))
            }));
        }
        rows.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then(a.key.cmp(&b.key)));
        let mut out = Vec::new();
        write_csv(&rows, &mut out).map_err(|e| ConversionError::Invalid {
            field: "download",
            message: e.to_string(),
        })?;
        Ok(out)
    }
}

/// Called once a run job has ended: a list sync that read a connector's CRM queues a run
/// of each export that follows that connector's syncs (a dry run, an import or a run the
/// CRM never answered does not). Never fails the job: a problem is logged.
pub async fn after_list_sync(state: &AppState, job: &crate::store::Job) {
    let Some(run_id) = crate::runs::run_of_job(job) else {
        return;
    };
    let run = match crate::store::RunRepo
        .get_for_worker(state.store.conn(), run_id, state.clock.now())
        .await
    {
        Ok(Some(run)) => run,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, "reading an ended run for conversion exports failed");
            return;
        }
    };
    let synced = matches!(
        run.status,
        crate::store::RunStatus::Succeeded | crate::store::RunStatus::CompletedWithErrors
    );
    let (true, false, true, crate::store::RunKind::Sync, Some(connector)) = (
        synced,
        run.dry_run,
        run.crm_answered,
        run.kind,
        run.crm_connector_id,
    ) else {
        return;
    };
    let exports = match state
        .store
        .conversion_exports()
        .following_syncs(run.account_id, connector)
        .await
    {
        Ok(exports) => exports,
        Err(e) => {
            tracing::error!(error = %e, "reading the exports that follow list syncs failed");
            return;
        }
    };
    for export in exports {
        if let Err(e) = ConversionExports::from_state(state)
            .run_now(export.account_id, export.id, "list_sync")
            .await
        {
            tracing::error!(error = %e, export_id = %export.id, "queuing a conversion run after a list sync failed");
        }
    }
}

/// Exports whose scheduled slot is due, handled per tick.
const DUE_BATCH: u64 = 200;

/// Queues a run of every export whose slot is due (called by the scheduler's tick on
/// every instance: a slot is claimed by one, and a run already active is not doubled).
/// Slots missed while the service was down are not caught up one by one: the next one
/// is a whole period after now. Answers how many runs were queued.
pub async fn fire_due(state: &AppState) -> Result<usize, ConversionError> {
    let now = state.clock.now();
    let repo = state.store.conversion_exports();
    let mut queued = 0;
    for export in repo.due(now, DUE_BATCH).await? {
        let (Some(due), Some(minutes)) = (export.next_run_at, export.every_minutes) else {
            continue;
        };
        let period = Duration::minutes(i64::from(minutes.max(1)));
        let mut next = due + period;
        if next <= now {
            next = now + period;
        }
        if !repo.claim_slot(export.id, due, next).await? {
            continue;
        }
        let run = ConversionExports::from_state(state)
            .run_now(export.account_id, export.id, "schedule")
            .await?;
        if run.created {
            queued += 1;
        }
    }
    Ok(queued)
}

/// The shown form of a stored export.
fn view(stored: StoredExport) -> Result<Export, ConversionError> {
    let corrupt = |message: String| {
        ConversionError::Store(StoreError::Corrupt {
            table: "conversion_exports",
            id: stored.id.as_db(),
            message,
        })
    };
    let rule: ConversionRule =
        serde_json::from_str(&stored.rule).map_err(|e| corrupt(format!("rule: {e}")))?;
    let destination: Destination = serde_json::from_str(&stored.destination_settings)
        .map_err(|e| corrupt(format!("destination: {e}")))?;
    Ok(Export {
        id: stored.id,
        name: stored.name,
        connector_id: stored.connector_id,
        source: stored.source,
        rule,
        destination,
        secret_set: stored.destination_secret.is_some(),
        enrich_field: stored.enrich_field,
        every_minutes: stored.every_minutes,
        with_list_syncs: stored.with_list_syncs,
        next_run_at: stored.next_run_at,
        read_up_to: stored.watermark.map(|w| w.0),
        created_at: stored.created_at,
    })
}

/// The shown form of a stored run.
fn run_view(run: conversion_run::Model) -> Result<ExportRun, ConversionError> {
    let corrupt = |message: &str| {
        ConversionError::Store(StoreError::Corrupt {
            table: "conversion_runs",
            id: run.id.clone(),
            message: message.to_string(),
        })
    };
    Ok(ExportRun {
        id: ConversionRunId::from_db(&run.id).ok_or_else(|| corrupt("id is not a UUID"))?,
        export_id: ConversionExportId::from_db(&run.export_id)
            .ok_or_else(|| corrupt("export_id is not a UUID"))?,
        duration_ms: run
            .started_at
            .zip(run.finished_at)
            .map(|(s, f)| (f - s).num_milliseconds()),
        status: run.status,
        trigger: run.trigger,
        counts: RunTally {
            records_read: run.records_read,
            conversions: run.conversions,
            accepted: run.accepted,
            rejected: run.rejected,
            invalid: run.invalid,
            changed_after_sending: run.changed_after_sending,
            enriched: run.enriched,
        },
        error: run.error,
        created_at: run.created_at,
        started_at: run.started_at,
        finished_at: run.finished_at,
    })
}

/// The shown form of a ledger row.
fn row_view(row: LedgerRow) -> Result<ConversionView, ConversionError> {
    let status = RowStatus::parse(&row.status).ok_or_else(|| {
        ConversionError::Store(StoreError::Corrupt {
            table: "conversion_rows",
            id: row.id.clone(),
            message: format!("unknown status '{}'", row.status),
        })
    })?;
    Ok(ConversionView {
        row: (status != RowStatus::Invalid)
            .then(|| serde_json::from_str(&row.payload).ok())
            .flatten(),
        id: row.id,
        key: row.row_key,
        source: row.source,
        crm_key: row.crm_key,
        status,
        message: row.message,
        marketing_source: row.marketing_source,
        changed_after_sending: row.changed_after_sending,
        sent_at: row.sent_at,
        enriched_at: row.enriched_at,
    })
}
