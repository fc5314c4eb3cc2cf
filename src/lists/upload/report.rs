//! An upload's report read back after the upload answered: its counts and its rejected
//! rows by line, for the console's result page and the rejected rows download (and any
//! API that wants to serve the same). Written by [`super::ingest`].

use super::{MAX_LISTED_REJECTS, parse::RejectedRow};
use crate::{
    AppState,
    lists::{ListError, manage::require_list},
    store::{AccountId, List, ListId, UploadReportRepo},
};

/// What an upload made of its file, as kept.
#[derive(Debug, Clone)]
pub struct StoredReport {
    /// The list the upload created.
    pub list: List,
    /// Rows that became members.
    pub accepted: u64,
    /// The first rejected rows in line order, at most [`MAX_LISTED_REJECTS`].
    pub rejected: Vec<RejectedRow>,
    /// How many rows were rejected in all.
    pub rejected_total: u64,
}

/// The report of the upload that created the account's list `id`; not found when the
/// list is not the account's or was not made by an upload.
pub async fn report(
    state: &AppState,
    account: AccountId,
    id: ListId,
) -> Result<StoredReport, ListError> {
    let list = require_list(state, account, id).await?;
    let db = state.store.conn();
    let summary = UploadReportRepo
        .summary(db, account, id)
        .await?
        .ok_or(ListError::NotFound(id))?;
    let rejected = rejected_rows(state, account, id, 0, MAX_LISTED_REJECTS as u64).await?;
    Ok(StoredReport {
        list,
        accepted: summary.accepted,
        rejected,
        rejected_total: summary.rejected_total,
    })
}

/// Up to `limit` rejected rows of the upload that created the account's list `id`,
/// after line `after`, in line order: page through them all by passing the last line.
pub async fn rejected_rows(
    state: &AppState,
    account: AccountId,
    id: ListId,
    after: u64,
    limit: u64,
) -> Result<Vec<RejectedRow>, ListError> {
    Ok(UploadReportRepo
        .rejections(state.store.conn(), account, id, after, limit)
        .await?
        .into_iter()
        .map(|r| RejectedRow {
            line: r.line,
            reason: r.reason,
        })
        .collect())
}
