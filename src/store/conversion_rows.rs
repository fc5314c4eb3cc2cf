//! The exactly-once ledger of offline conversions (`conversion_rows`): one row per
//! (export, row key) holding the conversion as last built, whether it is waiting to go,
//! taken, refused by the platform, or refused here before sending, and the fingerprint
//! of what was sent. Only the `conversions` service decides what the states mean.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};

use super::{
    AccountId, ConversionExportId, ConversionRunId, Store, StoreError, entity::conversion_row,
};

/// One conversion in the ledger.
pub type LedgerRow = conversion_row::Model;

impl Store {
    /// The conversions ledger.
    pub fn conversion_rows(&self) -> ConversionRowRepo<'_> {
        ConversionRowRepo { db: self.conn() }
    }
}

/// Reads and writes `conversion_rows`.
#[derive(Debug)]
pub struct ConversionRowRepo<'a, C = DatabaseConnection> {
    db: &'a C,
}

/// Which rows a listing shows.
#[derive(Debug, Clone, Default)]
pub struct LedgerFilter {
    /// Only rows in this state.
    pub status: Option<String>,
    /// Only rows the run last changed.
    pub run: Option<ConversionRunId>,
    /// Only rows that changed after they were sent.
    pub changed_after_sending: bool,
    /// Rows whose conversion happened at or after this.
    pub from: Option<DateTime<Utc>>,
    /// Rows whose conversion happened before this.
    pub to: Option<DateTime<Utc>>,
}

impl<'a, C: ConnectionTrait> ConversionRowRepo<'a, C> {
    /// The ledger over a connection or a transaction.
    pub fn on(db: &'a C) -> Self {
        ConversionRowRepo { db }
    }

    /// The export's rows with these keys.
    pub async fn by_keys(
        &self,
        export: ConversionExportId,
        keys: &[String],
    ) -> Result<Vec<LedgerRow>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        Ok(conversion_row::Entity::find()
            .filter(conversion_row::Column::ExportId.eq(export.as_db()))
            .filter(conversion_row::Column::RowKey.is_in(keys.iter().cloned()))
            .all(self.db)
            .await?)
    }

    /// Stores a new row; a row with the same key already there is a
    /// [`StoreError::Duplicate`].
    pub async fn insert(&self, row: &LedgerRow) -> Result<(), StoreError> {
        let active: conversion_row::ActiveModel = row.clone().into();
        conversion_row::Entity::insert(active)
            .exec_without_returning(self.db)
            .await
            .map_err(|e| StoreError::from_write(e, || format!("conversion {}", row.row_key)))?;
        Ok(())
    }

    /// Replaces a row's contents (by id).
    pub async fn update(&self, row: &LedgerRow) -> Result<(), StoreError> {
        let active: conversion_row::ActiveModel = row.clone().into();
        conversion_row::Entity::update(active.reset_all())
            .exec(self.db)
            .await?;
        Ok(())
    }

    /// The rows of a batch handed to the destination whose outcome was never stored
    /// (oldest such batch first), in the order they were sent; empty when none is in
    /// doubt.
    pub async fn batch_in_doubt(
        &self,
        export: ConversionExportId,
    ) -> Result<Vec<LedgerRow>, StoreError> {
        let pending = || {
            conversion_row::Entity::find()
                .filter(conversion_row::Column::ExportId.eq(export.as_db()))
                .filter(conversion_row::Column::Status.eq("pending"))
        };
        let Some(batch) = pending()
            .filter(conversion_row::Column::BatchId.is_not_null())
            .order_by_asc(conversion_row::Column::BatchId)
            .one(self.db)
            .await?
            .and_then(|r| r.batch_id)
        else {
            return Ok(Vec::new());
        };
        Ok(pending()
            .filter(conversion_row::Column::BatchId.eq(batch))
            .order_by_asc(conversion_row::Column::Id)
            .all(self.db)
            .await?)
    }

    /// The export's rows waiting to be sent and in no batch yet, oldest first.
    pub async fn unbatched(
        &self,
        export: ConversionExportId,
        limit: u64,
    ) -> Result<Vec<LedgerRow>, StoreError> {
        Ok(conversion_row::Entity::find()
            .filter(conversion_row::Column::ExportId.eq(export.as_db()))
            .filter(conversion_row::Column::Status.eq("pending"))
            .filter(conversion_row::Column::BatchId.is_null())
            .order_by_asc(conversion_row::Column::Id)
            .limit(limit)
            .all(self.db)
            .await?)
    }

    /// Names the batch these rows are about to be sent in (committed before the send,
    /// so a crash leaves the batch known).
    pub async fn assign_batch(&self, ids: &[String], batch: &str) -> Result<(), StoreError> {
        conversion_row::Entity::update_many()
            .col_expr(
                conversion_row::Column::BatchId,
                Expr::value(batch.to_string()),
            )
            .filter(conversion_row::Column::Id.is_in(ids.iter().cloned()))
            .exec(self.db)
            .await?;
        Ok(())
    }

    /// Records what the platform said of one row.
    pub async fn set_outcome(
        &self,
        id: &str,
        status: &str,
        message: Option<&str>,
        marketing_source: Option<&str>,
        run: ConversionRunId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sent_at = (status == "accepted").then_some(now);
        conversion_row::Entity::update_many()
            .col_expr(conversion_row::Column::Status, Expr::value(status))
            .col_expr(
                conversion_row::Column::Message,
                Expr::value(message.map(str::to_string)),
            )
            .col_expr(
                conversion_row::Column::MarketingSource,
                Expr::value(marketing_source.map(str::to_string)),
            )
            .col_expr(conversion_row::Column::SentAt, Expr::value(sent_at))
            .col_expr(conversion_row::Column::LastRunId, Expr::value(run.as_db()))
            .col_expr(conversion_row::Column::UpdatedAt, Expr::value(now))
            .filter(conversion_row::Column::Id.eq(id))
            .exec(self.db)
            .await?;
        Ok(())
    }

    /// Accepted rows with a marketing source not yet written to the CRM.
    pub async fn to_enrich(
        &self,
        export: ConversionExportId,
        limit: u64,
    ) -> Result<Vec<LedgerRow>, StoreError> {
        Ok(conversion_row::Entity::find()
            .filter(conversion_row::Column::ExportId.eq(export.as_db()))
            .filter(conversion_row::Column::Status.eq("accepted"))
            .filter(conversion_row::Column::MarketingSource.is_not_null())
            .filter(conversion_row::Column::EnrichedAt.is_null())
            .order_by_asc(conversion_row::Column::Id)
            .limit(limit)
            .all(self.db)
            .await?)
    }

    /// Notes that the row's marketing source is in the CRM, or (with `failure`) why it
    /// could not be written: either way it is not tried again.
    pub async fn set_enriched(
        &self,
        id: &str,
        failure: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut update = conversion_row::Entity::update_many()
            .col_expr(conversion_row::Column::EnrichedAt, Expr::value(now));
        if let Some(failure) = failure {
            update = update.col_expr(
                conversion_row::Column::Message,
                Expr::value(failure.to_string()),
            );
        }
        update
            .filter(conversion_row::Column::Id.eq(id))
            .exec(self.db)
            .await?;
        Ok(())
    }

    /// A page of the account's export's rows by `filter`, in id order after `after`.
    pub async fn list(
        &self,
        account: AccountId,
        export: ConversionExportId,
        filter: &LedgerFilter,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<LedgerRow>, StoreError> {
        let mut query = conversion_row::Entity::find()
            .filter(conversion_row::Column::AccountId.eq(account.as_db()))
            .filter(conversion_row::Column::ExportId.eq(export.as_db()));
        if let Some(status) = &filter.status {
            query = query.filter(conversion_row::Column::Status.eq(status.as_str()));
        }
        if let Some(run) = filter.run {
            query = query.filter(conversion_row::Column::LastRunId.eq(run.as_db()));
        }
        if filter.changed_after_sending {
            query = query.filter(conversion_row::Column::ChangedAfterSending.eq(true));
        }
        if let Some(from) = filter.from {
            query = query.filter(conversion_row::Column::OccurredAt.gte(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(conversion_row::Column::OccurredAt.lt(to));
        }
        if let Some(after) = after {
            query = query.filter(conversion_row::Column::Id.gt(after));
        }
        Ok(query
            .order_by_asc(conversion_row::Column::Id)
            .limit(limit)
            .all(self.db)
            .await?)
    }
}
