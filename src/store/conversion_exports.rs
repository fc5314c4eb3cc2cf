//! Conversion exports and their runs, stored per account: the `conversions` service owns
//! what the settings mean and seals the destination's secret; this repository keeps the
//! rows, the read position and the one-active-run rule.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, OnConflict},
};

use super::{
    AccountId, ConnectorId, ConversionExportId, ConversionRunId, Store, StoreError,
    entity::{conversion_export, conversion_run},
};

/// A stored export: what is read, the rule and destination as the service wrote them,
/// the sealed secret, the cadence and the read position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredExport {
    /// Record id.
    pub id: ConversionExportId,
    /// Owning account.
    pub account_id: AccountId,
    /// The connector whose CRM is read.
    pub connector_id: ConnectorId,
    /// Name.
    pub name: String,
    /// `lead`, `contact` or `opportunity`.
    pub source: String,
    /// The rule (JSON).
    pub rule: String,
    /// The destination kind.
    pub destination_kind: String,
    /// The destination's settings without the secret (JSON object).
    pub destination_settings: String,
    /// The sealed token.
    pub destination_secret: Option<Vec<u8>>,
    /// Where the marketing source is written back, if anywhere.
    pub enrich_field: Option<String>,
    /// Minutes between scheduled runs; `None` runs only when asked.
    pub every_minutes: Option<i32>,
    /// Also runs after each list sync that read the connector's CRM (real time).
    pub with_list_syncs: bool,
    /// The last record read: (modify date, key).
    pub watermark: Option<(DateTime<Utc>, String)>,
    /// When the scheduler queues the next run.
    pub next_run_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The row of an export, every column set.
fn active(stored: &StoredExport) -> conversion_export::ActiveModel {
    conversion_export::ActiveModel {
        id: Set(stored.id.as_db()),
        account_id: Set(stored.account_id.as_db()),
        connector_id: Set(stored.connector_id.as_db()),
        name: Set(stored.name.clone()),
        source: Set(stored.source.clone()),
        rule: Set(stored.rule.clone()),
        destination_kind: Set(stored.destination_kind.clone()),
        destination_settings: Set(stored.destination_settings.clone()),
        destination_secret: Set(stored.destination_secret.clone()),
        enrich_field: Set(stored.enrich_field.clone()),
        every_minutes: Set(stored.every_minutes),
        with_list_syncs: Set(stored.with_list_syncs),
        watermark_modified: Set(stored.watermark.as_ref().map(|w| w.0)),
        watermark_key: Set(stored.watermark.as_ref().map(|w| w.1.clone())),
        next_run_at: Set(stored.next_run_at),
        created_at: Set(stored.created_at),
        updated_at: Set(stored.updated_at),
    }
}

fn export(row: conversion_export::Model) -> Result<StoredExport, StoreError> {
    let corrupt = |message: &str| StoreError::Corrupt {
        table: "conversion_exports",
        id: row.id.clone(),
        message: message.to_string(),
    };
    Ok(StoredExport {
        id: ConversionExportId::from_db(&row.id).ok_or_else(|| corrupt("id is not a UUID"))?,
        account_id: AccountId::from_db(&row.account_id)
            .ok_or_else(|| corrupt("account_id is not a UUID"))?,
        connector_id: ConnectorId::from_db(&row.connector_id)
            .ok_or_else(|| corrupt("connector_id is not a UUID"))?,
        name: row.name,
        source: row.source,
        rule: row.rule,
        destination_kind: row.destination_kind,
        destination_settings: row.destination_settings,
        destination_secret: row.destination_secret,
        enrich_field: row.enrich_field,
        every_minutes: row.every_minutes,
        with_list_syncs: row.with_list_syncs,
        watermark: row.watermark_modified.zip(row.watermark_key),
        next_run_at: row.next_run_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

impl Store {
    /// The accounts' conversion exports and their runs.
    pub fn conversion_exports(&self) -> ConversionExportRepo<'_> {
        ConversionExportRepo { db: self.conn() }
    }
}

/// Reads and writes `conversion_exports` and `conversion_runs`.
#[derive(Debug)]
pub struct ConversionExportRepo<'a, C = DatabaseConnection> {
    db: &'a C,
}

impl<'a, C: ConnectionTrait> ConversionExportRepo<'a, C> {
    /// The repository over a connection or a transaction.
    pub fn on(db: &'a C) -> Self {
        ConversionExportRepo { db }
    }

    /// Stores a new export.
    pub async fn insert(&self, stored: &StoredExport) -> Result<(), StoreError> {
        let row = active(stored);
        conversion_export::Entity::insert(row)
            .exec_without_returning(self.db)
            .await
            .map_err(|e| {
                StoreError::from_write(e, || format!("conversion export '{}'", stored.name))
            })?;
        Ok(())
    }

    /// Saves an export's settings (not its read position, which its runs move, nor what
    /// the position is of: its connector and source), and its next slot only when
    /// `reschedule` (the scheduler moves it as it claims slots); false when there is no
    /// such export.
    pub async fn update_settings(
        &self,
        stored: &StoredExport,
        reschedule: bool,
    ) -> Result<bool, StoreError> {
        let mut row = conversion_export::ActiveModel {
            id: NotSet,
            account_id: NotSet,
            connector_id: NotSet,
            source: NotSet,
            watermark_modified: NotSet,
            watermark_key: NotSet,
            created_at: NotSet,
            ..active(stored)
        };
        if !reschedule {
            row.next_run_at = NotSet;
        }
        let done = conversion_export::Entity::update_many()
            .set(row)
            .filter(conversion_export::Column::Id.eq(stored.id.as_db()))
            .filter(conversion_export::Column::AccountId.eq(stored.account_id.as_db()))
            .exec(self.db)
            .await
            .map_err(|e| {
                StoreError::from_write(e, || format!("conversion export '{}'", stored.name))
            })?;
        Ok(done.rows_affected == 1)
    }

    /// The account's export with this id, if any.
    pub async fn get(
        &self,
        account: AccountId,
        id: ConversionExportId,
    ) -> Result<Option<StoredExport>, StoreError> {
        conversion_export::Entity::find_by_id(id.as_db())
            .filter(conversion_export::Column::AccountId.eq(account.as_db()))
            .one(self.db)
            .await?
            .map(export)
            .transpose()
    }

    /// The account's exports, by name.
    pub async fn list(&self, account: AccountId) -> Result<Vec<StoredExport>, StoreError> {
        conversion_export::Entity::find()
            .filter(conversion_export::Column::AccountId.eq(account.as_db()))
            .order_by_asc(conversion_export::Column::Name)
            .all(self.db)
            .await?
            .into_iter()
            .map(export)
            .collect()
    }

    /// The account's exports that run after each list sync through `connector`.
    pub async fn following_syncs(
        &self,
        account: AccountId,
        connector: ConnectorId,
    ) -> Result<Vec<StoredExport>, StoreError> {
        conversion_export::Entity::find()
            .filter(conversion_export::Column::AccountId.eq(account.as_db()))
            .filter(conversion_export::Column::ConnectorId.eq(connector.as_db()))
            .filter(conversion_export::Column::WithListSyncs.eq(true))
            .all(self.db)
            .await?
            .into_iter()
            .map(export)
            .collect()
    }

    /// Deletes the account's export (its runs and ledger go with it); false when there
    /// is no such export.
    pub async fn delete(
        &self,
        account: AccountId,
        id: ConversionExportId,
    ) -> Result<bool, StoreError> {
        let done = conversion_export::Entity::delete_many()
            .filter(conversion_export::Column::Id.eq(id.as_db()))
            .filter(conversion_export::Column::AccountId.eq(account.as_db()))
            .exec(self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// Moves the read position (in the transaction that stores what it covers).
    pub async fn set_watermark(
        &self,
        id: ConversionExportId,
        modified: DateTime<Utc>,
        key: &str,
    ) -> Result<(), StoreError> {
        conversion_export::Entity::update_many()
            .col_expr(
                conversion_export::Column::WatermarkModified,
                Expr::value(modified),
            )
            .col_expr(
                conversion_export::Column::WatermarkKey,
                Expr::value(key.to_string()),
            )
            .filter(conversion_export::Column::Id.eq(id.as_db()))
            .exec(self.db)
            .await?;
        Ok(())
    }

    /// Exports whose next scheduled run is due at `now`, oldest first.
    pub async fn due(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<StoredExport>, StoreError> {
        conversion_export::Entity::find()
            .filter(conversion_export::Column::NextRunAt.lte(now))
            .order_by_asc(conversion_export::Column::NextRunAt)
            .limit(limit)
            .all(self.db)
            .await?
            .into_iter()
            .map(export)
            .collect()
    }

    /// Claims the export's slot `due` for this instance by moving it to `next`; false
    /// when another instance claimed it first.
    pub async fn claim_slot(
        &self,
        id: ConversionExportId,
        due: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = conversion_export::Entity::update_many()
            .col_expr(conversion_export::Column::NextRunAt, Expr::value(next))
            .filter(conversion_export::Column::Id.eq(id.as_db()))
            .filter(conversion_export::Column::NextRunAt.eq(due))
            .exec(self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// Queues a run of `export` with the id `id_if_new`, unless one is queued or running:
    /// then that one is answered (`false`: not new).
    pub async fn queue_run(
        &self,
        account: AccountId,
        export: ConversionExportId,
        id_if_new: ConversionRunId,
        trigger: &str,
        now: DateTime<Utc>,
    ) -> Result<(ConversionRunId, bool), StoreError> {
        let row = conversion_run::ActiveModel {
            id: Set(id_if_new.as_db()),
            account_id: Set(account.as_db()),
            export_id: Set(export.as_db()),
            status: Set("queued".into()),
            trigger: Set(trigger.into()),
            active_key: Set(Some(export.as_db())),
            records_read: Set(0),
            conversions: Set(0),
            accepted: Set(0),
            rejected: Set(0),
            invalid: Set(0),
            changed_after_sending: Set(0),
            enriched: Set(0),
            error: Set(None),
            created_at: Set(now),
            started_at: Set(None),
            finished_at: Set(None),
        };
        // ON CONFLICT DO NOTHING: on PostgreSQL a violation would abort the transaction.
        let inserted = conversion_run::Entity::insert(row)
            .on_conflict(
                OnConflict::column(conversion_run::Column::ActiveKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(self.db)
            .await?;
        if inserted == 1 {
            return Ok((id_if_new, true));
        }
        let active = conversion_run::Entity::find()
            .filter(conversion_run::Column::ActiveKey.eq(export.as_db()))
            .one(self.db)
            .await?
            .and_then(|r| ConversionRunId::from_db(&r.id));
        active
            .map(|id| (id, false))
            .ok_or_else(|| StoreError::Duplicate {
                what: "an active run of this export".into(),
            })
    }

    /// The account's run with this id.
    pub async fn run(
        &self,
        account: AccountId,
        id: ConversionRunId,
    ) -> Result<Option<conversion_run::Model>, StoreError> {
        Ok(conversion_run::Entity::find_by_id(id.as_db())
            .filter(conversion_run::Column::AccountId.eq(account.as_db()))
            .one(self.db)
            .await?)
    }

    /// The export's runs, newest first.
    pub async fn runs(
        &self,
        account: AccountId,
        export: ConversionExportId,
        limit: u64,
    ) -> Result<Vec<conversion_run::Model>, StoreError> {
        Ok(conversion_run::Entity::find()
            .filter(conversion_run::Column::AccountId.eq(account.as_db()))
            .filter(conversion_run::Column::ExportId.eq(export.as_db()))
            .order_by_desc(conversion_run::Column::CreatedAt)
            .order_by_desc(conversion_run::Column::Id)
            .limit(limit)
            .all(self.db)
            .await?)
    }

    /// Marks the run started (again, after a crash: its counts start over with what
    /// this attempt does).
    pub async fn start_run(
        &self,
        id: ConversionRunId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        conversion_run::Entity::update_many()
            .col_expr(conversion_run::Column::Status, Expr::value("running"))
            .col_expr(conversion_run::Column::StartedAt, Expr::value(now))
            .filter(conversion_run::Column::Id.eq(id.as_db()))
            .exec(self.db)
            .await?;
        Ok(())
    }

    /// Ends the run with its status, counts and reason, and frees the export for the
    /// next run.
    pub async fn finish_run(
        &self,
        id: ConversionRunId,
        status: &str,
        counts: &RunTally,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        conversion_run::Entity::update_many()
            .col_expr(conversion_run::Column::Status, Expr::value(status))
            .col_expr(
                conversion_run::Column::ActiveKey,
                Expr::value(None::<String>),
            )
            .col_expr(
                conversion_run::Column::RecordsRead,
                Expr::value(counts.records_read),
            )
            .col_expr(
                conversion_run::Column::Conversions,
                Expr::value(counts.conversions),
            )
            .col_expr(
                conversion_run::Column::Accepted,
                Expr::value(counts.accepted),
            )
            .col_expr(
                conversion_run::Column::Rejected,
                Expr::value(counts.rejected),
            )
            .col_expr(conversion_run::Column::Invalid, Expr::value(counts.invalid))
            .col_expr(
                conversion_run::Column::ChangedAfterSending,
                Expr::value(counts.changed_after_sending),
            )
            .col_expr(
                conversion_run::Column::Enriched,
                Expr::value(counts.enriched),
            )
            .col_expr(
                conversion_run::Column::Error,
                Expr::value(error.map(str::to_string)),
            )
            .col_expr(conversion_run::Column::FinishedAt, Expr::value(now))
            .filter(conversion_run::Column::Id.eq(id.as_db()))
            .exec(self.db)
            .await?;
        Ok(())
    }
}

/// What one export run did, counted as it goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RunTally {
    /// CRM records read.
    pub records_read: i64,
    /// Records that made a new or changed row to send.
    pub conversions: i64,
    /// Rows the platform took.
    pub accepted: i64,
    /// Rows the platform refused, with its words.
    pub rejected: i64,
    /// Records refused before sending (named in the rows).
    pub invalid: i64,
    /// Rows already sent whose record changed since: reported, not sent again.
    pub changed_after_sending: i64,
    /// Marketing sources written back to the CRM.
    pub enriched: i64,
}
