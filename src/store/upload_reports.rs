//! What an upload reported, kept after its answer: the counts, and every rejected row
//! by line and reason. The upload service writes them as it goes (rejections in the
//! transaction of their chunk of members, the counts once the file is read); the
//! result page and the rejected rows download read them back. Both go with their list.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{OnConflict, Query},
};

use super::{
    AccountId, ListId, StoreError,
    entity::{list, upload_rejection, upload_report},
};

/// Rows per insert (three values each, well under SQLite's variable limit).
const CHUNK: usize = 200;

/// An upload's counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSummary {
    /// Rows that became members.
    pub accepted: u64,
    /// Rows rejected in all.
    pub rejected_total: u64,
    /// When the upload finished.
    pub finished_at: DateTime<Utc>,
}

/// One rejected row of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRejection {
    /// 1-based line where the row starts in the file.
    pub line: u64,
    /// Why it was rejected.
    pub reason: String,
}

/// Reads and writes `upload_reports` and `upload_rejections`.
#[derive(Debug, Default, Clone, Copy)]
pub struct UploadReportRepo;

impl UploadReportRepo {
    /// Keeps rejected rows of an upload (a line already kept is left as it is).
    pub async fn add_rejections<C: ConnectionTrait>(
        &self,
        db: &C,
        list_id: ListId,
        rows: &[UploadRejection],
    ) -> Result<(), StoreError> {
        for chunk in rows.chunks(CHUNK) {
            let models = chunk.iter().map(|r| upload_rejection::ActiveModel {
                list_id: Set(list_id.as_db()),
                line: Set(i64::try_from(r.line).unwrap_or(i64::MAX)),
                reason: Set(r.reason.clone()),
            });
            upload_rejection::Entity::insert_many(models)
                .on_conflict(
                    OnConflict::columns([
                        upload_rejection::Column::ListId,
                        upload_rejection::Column::Line,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
        Ok(())
    }

    /// Keeps an upload's counts.
    pub async fn save_summary<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        list_id: ListId,
        summary: &UploadSummary,
    ) -> Result<(), StoreError> {
        let row = upload_report::ActiveModel {
            list_id: Set(list_id.as_db()),
            account_id: Set(account.as_db()),
            accepted: Set(i64::try_from(summary.accepted).unwrap_or(i64::MAX)),
            rejected_total: Set(i64::try_from(summary.rejected_total).unwrap_or(i64::MAX)),
            finished_at: Set(summary.finished_at),
        };
        upload_report::Entity::insert(row)
            .exec_without_returning(db)
            .await
            .map_err(|e| StoreError::from_write(e, || format!("an upload report of {list_id}")))?;
        Ok(())
    }

    /// The counts of the upload that made this list of the account, if it was one.
    pub async fn summary<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        list_id: ListId,
    ) -> Result<Option<UploadSummary>, StoreError> {
        Ok(upload_report::Entity::find_by_id(list_id.as_db())
            .filter(upload_report::Column::AccountId.eq(account.as_db()))
            .one(db)
            .await?
            .map(|row| UploadSummary {
                accepted: u64::try_from(row.accepted).unwrap_or_default(),
                rejected_total: u64::try_from(row.rejected_total).unwrap_or_default(),
                finished_at: row.finished_at,
            }))
    }

    /// Up to `limit` rejected rows of the account's list after line `after`, in line
    /// order (keyset paging: pass the last line read).
    pub async fn rejections<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        list_id: ListId,
        after: u64,
        limit: u64,
    ) -> Result<Vec<UploadRejection>, StoreError> {
        let owned = Query::select()
            .column(list::Column::Id)
            .from(list::Entity)
            .and_where(list::Column::Id.eq(list_id.as_db()))
            .and_where(list::Column::AccountId.eq(account.as_db()))
            .to_owned();
        let rows = upload_rejection::Entity::find()
            .filter(upload_rejection::Column::ListId.in_subquery(owned))
            .filter(upload_rejection::Column::Line.gt(i64::try_from(after).unwrap_or(i64::MAX)))
            .order_by_asc(upload_rejection::Column::Line)
            .limit(limit)
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| UploadRejection {
                line: u64::try_from(row.line).unwrap_or_default(),
                reason: row.reason,
            })
            .collect())
    }
}
