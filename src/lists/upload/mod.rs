//! *Upload*: a CSV body becomes an uploaded list, streamed end to end.
//!
//! The parts say what they do: [`parse`] reads the CSV row by row (also for the
//! console's preview), `ingest` streams the body through it and stores the accepted
//! rows and the rejected ones, and [`report`] reads an upload's report back later.
//! This module holds the entry point, [`upload`], and the limits every part keeps.
//!
//! A file of more than [`parse::MAX_COLUMNS`] columns is refused from its header, before
//! any column or row is stored; a member keeps only the values its row has (no blanks),
//! so a wide, sparse file costs its values, not its rows times its columns.
//!
//! Each bad row is reported by line; the good rows are all kept. Nothing is
//! half-saved: when the file fails part-way (an unclosed quote, a body over the limit,
//! the database), the new list is removed with its members, columns and stored report,
//! and the mapping is saved to the Standard Field Names only once the whole file was
//! read.

mod ingest;
pub mod parse;
pub mod report;

use std::collections::BTreeMap;

use bytes::Bytes;
use futures::Stream;

use self::{
    ingest::{Ingested, ingest},
    parse::RejectedRow,
};
use super::{
    ListError,
    manage::{require_list, with_usages},
};
use crate::{
    AppState,
    domain::field_usage::SystemUsage,
    field_usages,
    store::{
        AccountId, FieldUsageRepo, List, ListColumn, ListId, ListKind, ListRepo, ListStatus,
        NewList, UploadReportRepo, UploadSummary,
    },
};

/// The largest body accepted, in bytes (a 1,000,000-row file fits comfortably).
pub const MAX_UPLOAD_BYTES: u64 = 512 * 1024 * 1024;
/// Rejected rows listed in the answer; the total is always given.
pub const MAX_LISTED_REJECTS: usize = 1_000;
/// Rejected rows kept for the download: a broken file of millions of rows should not
/// cost millions of stored reasons; the total is always counted.
pub const MAX_STORED_REJECTS: u64 = 100_000;

/// What the marketer sent besides the file.
#[derive(Debug, Clone, Default)]
pub struct UploadRequest {
    /// The new list's name.
    pub name: String,
    /// The header of the email column; Email / E-mail / Email Address when absent.
    pub email_column: Option<String>,
    /// Header → system usage, saved to the account's Standard Field Names.
    pub mapping: BTreeMap<String, String>,
}

/// The upload report.
#[derive(Debug, Clone)]
pub struct UploadOutcome {
    /// The new list, ready.
    pub list: List,
    /// Its columns with their usages.
    pub columns: Vec<(ListColumn, Option<String>)>,
    /// Rows that became members.
    pub accepted: u64,
    /// Rejected rows in line order, at most [`MAX_LISTED_REJECTS`].
    pub rejected: Vec<RejectedRow>,
    /// How many rows were rejected in all.
    pub rejected_total: u64,
}

/// Creates an uploaded list from a CSV body stream.
pub async fn upload<S, E>(
    state: &AppState,
    account: AccountId,
    request: UploadRequest,
    body: S,
) -> Result<UploadOutcome, ListError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let name = request.name.trim().to_string();
    if name.is_empty() {
        return Err(ListError::Invalid {
            field: "name",
            message: "must not be empty".into(),
        });
    }
    let mapping = request
        .mapping
        .iter()
        .map(|(column, usage)| Ok((column.trim().to_string(), field_usages::parse(usage)?)))
        .collect::<Result<Vec<(String, SystemUsage)>, ListError>>()?;
    let db = state.store.conn();
    let list = ListRepo
        .create(
            db,
            NewList {
                account_id: account,
                name,
                kind: ListKind::Uploaded,
                connector_id: None,
                status: ListStatus::Importing,
                columns: Vec::new(),
            },
            state.random.as_ref(),
            state.clock.now(),
        )
        .await?;
    let done = match ingest(state, list.id, &request, mapping, body).await {
        Ok(ingested) => finish(state, account, list.id, ingested).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(outcome) => {
            tracing::info!(list = %list.id, accepted = outcome.accepted,
                rejected = outcome.rejected_total, "upload finished");
            Ok(outcome)
        }
        Err(e) => {
            // A half-read file leaves no half-made list behind.
            if let Err(cleanup) = ListRepo.delete(db, account, list.id).await {
                tracing::error!(list = %list.id, error = %cleanup, "removing the failed upload's list failed");
            }
            Err(e)
        }
    }
}

/// Stores the counts, saves the mapping to the Standard Field Names and marks the list
/// ready, once the whole file was read.
async fn finish(
    state: &AppState,
    account: AccountId,
    list: ListId,
    ingested: Ingested,
) -> Result<UploadOutcome, ListError> {
    let Ingested {
        accepted,
        mut rejects,
        usages,
    } = ingested;
    let db = state.store.conn();
    let now = state.clock.now();
    UploadReportRepo
        .save_summary(
            db,
            account,
            list,
            &UploadSummary {
                accepted,
                rejected_total: rejects.total,
                finished_at: now,
            },
        )
        .await?;
    ListRepo.recount(db, list).await?;
    for (header, usage) in &usages {
        field_usages::set_in(db, state, account, header, *usage).await?;
    }
    ListRepo
        .set_status(db, list, ListStatus::Ready, now)
        .await?;
    let list = require_list(state, account, list).await?;
    let columns = with_usages(
        ListRepo.columns(db, list.id).await?,
        &FieldUsageRepo.all(db, account).await?,
    );
    rejects.listed.sort_by_key(|r| r.line);
    Ok(UploadOutcome {
        list,
        columns,
        accepted,
        rejected: rejects.listed,
        rejected_total: rejects.total,
    })
}
