//! *Upload*: a CSV body becomes an uploaded list, streamed end to end.
//!
//! The body is never held in memory: its byte stream is bridged to a blocking reader
//! ([`read_upload_with_header`] on a blocking thread), which sends rows in chunks over a
//! small bounded channel to the async side that inserts them. A slow database therefore
//! slows the reading of the body instead of filling memory. Each bad row is reported by
//! line; the good rows are all kept. Every rejected row and the counts are also stored
//! ([`UploadReportRepo`]), so the report can be read again later
//! ([`super::upload_report`]).
//!
//! Nothing is half-saved: when the file fails part-way (an unclosed quote, a body over
//! the limit, the database), the new list is removed with its members, columns and
//! stored report, and the mapping is saved to the Standard Field Names only once the
//! whole file was read.

use std::{
    collections::{BTreeMap, HashMap},
    io,
};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_util::io::{StreamReader, SyncIoBridge};

use super::{
    ListError,
    catalog::{require_list, with_usages},
    csv_upload::{CsvLayout, RejectedRow, RowOutcome, UploadError, read_upload_with_header},
    usages::parse_usage,
};
use crate::{
    AppState,
    engine::usage::SystemUsage,
    store::{
        AccountId, List, ListColumn, ListId, ListKind, ListRepo, ListStatus, Member, MemberRepo,
        NewList, PushScopeRepo, StoreError, UploadRejection, UploadReportRepo, UploadSummary,
        Values,
    },
};
use sea_orm::TransactionTrait;

/// The largest body accepted, in bytes (a 1,000,000-row file fits comfortably).
pub const MAX_UPLOAD_BYTES: u64 = 512 * 1024 * 1024;
/// Rows per chunk handed from the reader to the inserter.
const CHUNK_ROWS: usize = 500;
/// Chunks buffered between the reader and the inserter.
const CHANNEL_CHUNKS: usize = 2;
/// Rejected rows listed in the answer; the total is always given.
pub const MAX_LISTED_REJECTS: usize = 1_000;
/// Rejected rows kept for the download: a broken file of millions of rows should not
/// cost millions of stored reasons; the total is always counted.
pub const MAX_STORED_REJECTS: u64 = 100_000;
/// The longest reason stored for a rejected row, in characters (a reason quotes the
/// bad value, which a broken file can make very long).
const MAX_STORED_REASON_CHARS: usize = 1_000;

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

/// Marks the I/O error raised when the body passes [`MAX_UPLOAD_BYTES`].
#[derive(Debug, thiserror::Error)]
#[error("the upload is larger than {MAX_UPLOAD_BYTES} bytes")]
struct TooLarge;

/// What the reader thread hands to the inserter.
enum Message {
    /// The header, before any row.
    Header(CsvLayout),
    /// Up to [`CHUNK_ROWS`] row outcomes, in file order.
    Rows(Vec<RowOutcome>),
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
        .map(|(column, usage)| Ok((column.trim().to_string(), parse_usage(usage)?)))
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
        ListRepo
            .set_usage(db, account, header, usage.as_str(), now)
            .await?;
    }
    ListRepo
        .set_status(db, list, ListStatus::Ready, now)
        .await?;
    let list = require_list(state, account, list).await?;
    let columns = with_usages(
        ListRepo.columns(db, list.id).await?,
        &ListRepo.usages(db, account).await?,
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

/// What reading the whole file produced.
struct Ingested {
    /// Rows that became members.
    accepted: u64,
    /// Rejected rows.
    rejects: Rejects,
    /// The mapping under the headers' own spelling, to save once all is read.
    usages: Vec<(String, SystemUsage)>,
}

/// Rejected rows: the first [`MAX_LISTED_REJECTS`] and the total.
#[derive(Debug, Default)]
struct Rejects {
    listed: Vec<RejectedRow>,
    total: u64,
}

impl Rejects {
    fn push(&mut self, row: RejectedRow) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED_REJECTS {
            self.listed.push(row);
        }
    }
}

/// Reads the body on a blocking thread and inserts its rows.
async fn ingest<S, E>(
    state: &AppState,
    list: ListId,
    request: &UploadRequest,
    mapping: Vec<(String, SystemUsage)>,
    body: S,
) -> Result<Ingested, ListError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut seen: u64 = 0;
    let counted = body.map(move |chunk| {
        let chunk = chunk.map_err(io::Error::other)?;
        seen += chunk.len() as u64;
        if seen > MAX_UPLOAD_BYTES {
            return Err(io::Error::other(TooLarge));
        }
        Ok::<Bytes, io::Error>(chunk)
    });
    let reader = SyncIoBridge::new(StreamReader::new(counted));
    let (tx, mut rx) = mpsc::channel::<Message>(CHANNEL_CHUNKS);
    let email_column = request.email_column.clone();
    let reading = tokio::task::spawn_blocking(move || {
        let header_tx = tx.clone();
        let mut chunk = Vec::with_capacity(CHUNK_ROWS);
        let abandoned = || "the upload was abandoned".to_string();
        read_upload_with_header(
            reader,
            email_column.as_deref(),
            |layout| {
                header_tx
                    .blocking_send(Message::Header(layout.clone()))
                    .map_err(|_| abandoned())
            },
            |outcome| {
                chunk.push(outcome);
                if chunk.len() >= CHUNK_ROWS {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
                    tx.blocking_send(Message::Rows(full))
                        .map_err(|_| abandoned())?;
                }
                Ok(())
            },
        )?;
        if !chunk.is_empty() {
            tx.blocking_send(Message::Rows(chunk))
                .map_err(|_| UploadError::Sink(abandoned()))?;
        }
        Ok::<(), UploadError>(())
    });

    let mut inserter = Inserter {
        state,
        list,
        mapping,
        usages: Vec::new(),
        accepted: 0,
        rejects: Rejects::default(),
    };
    let mut failure = None;
    while let Some(message) = rx.recv().await {
        let step = match message {
            Message::Header(layout) => inserter.header(&layout).await,
            Message::Rows(rows) => inserter.rows(rows).await,
        };
        if let Err(e) = step {
            failure = Some(e);
            break;
        }
    }
    // Dropping the receiver stops the reader at its next send.
    drop(rx);
    let read = reading
        .await
        .map_err(|e| ListError::Internal(format!("the CSV reader stopped: {e}")))?;
    if let Some(e) = failure {
        return Err(e);
    }
    read.map_err(|e| match e {
        UploadError::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<TooLarge>()) => {
            ListError::TooLarge {
                limit_mib: MAX_UPLOAD_BYTES / (1024 * 1024),
            }
        }
        other => ListError::Upload(other),
    })?;
    Ok(Ingested {
        accepted: inserter.accepted,
        rejects: inserter.rejects,
        usages: inserter.usages,
    })
}

/// The async side of an upload: creates the columns and inserts each chunk.
struct Inserter<'a> {
    state: &'a AppState,
    list: ListId,
    mapping: Vec<(String, SystemUsage)>,
    /// The mapping under the header's spelling, saved once the whole file is read.
    usages: Vec<(String, SystemUsage)>,
    accepted: u64,
    rejects: Rejects,
}

impl Inserter<'_> {
    /// Checks the mapping against the header and creates the columns.
    async fn header(&mut self, layout: &CsvLayout) -> Result<(), ListError> {
        let unknown: Vec<String> = self
            .mapping
            .iter()
            .filter(|(c, _)| !layout.columns.iter().any(|h| h.eq_ignore_ascii_case(c)))
            .map(|(c, _)| format!("'{c}'"))
            .collect();
        if !unknown.is_empty() {
            return Err(ListError::Invalid {
                field: "mapping",
                message: format!(
                    "the file has no column {}; its columns are {}",
                    unknown.join(", "),
                    layout
                        .columns
                        .iter()
                        .map(|c| format!("'{c}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        let db = self.state.store.conn();
        let now = self.state.clock.now();
        let columns: Vec<ListColumn> = layout
            .columns
            .iter()
            .enumerate()
            .filter(|(i, c)| *i != layout.email_index && !c.is_empty())
            .map(|(_, c)| ListColumn {
                name: c.clone(),
                crm_field: None,
                pending: false,
            })
            .collect();
        ListRepo.add_columns(db, self.list, &columns, now).await?;
        self.usages = self
            .mapping
            .iter()
            .map(|(column, usage)| {
                // Saved under the header's own spelling, so it reads back as the list shows it.
                let header = layout
                    .columns
                    .iter()
                    .find(|h| h.eq_ignore_ascii_case(column))
                    .unwrap_or(column);
                (header.clone(), *usage)
            })
            .collect();
        Ok(())
    }

    /// Inserts the accepted rows of a chunk and keeps its rejected ones; the second and
    /// later rows with an email (in this chunk or an earlier one) are rejected as
    /// duplicates.
    async fn rows(&mut self, rows: Vec<RowOutcome>) -> Result<(), ListError> {
        let now = self.state.clock.now();
        let mut first_line: HashMap<String, u64> = HashMap::new();
        let mut fresh: Vec<(u64, Member)> = Vec::new();
        let mut rejected: Vec<RejectedRow> = Vec::new();
        for outcome in rows {
            match outcome {
                RowOutcome::Rejected(r) => rejected.push(r),
                RowOutcome::Accepted(row) => {
                    let email = row.email.as_str().to_string();
                    if let Some(line) = first_line.get(&email) {
                        rejected.push(RejectedRow {
                            line: row.line,
                            reason: format!("duplicate email {email}: the same as line {line}"),
                        });
                        continue;
                    }
                    first_line.insert(email.clone(), row.line);
                    let values: Values = row.values.into_iter().collect();
                    fresh.push((row.line, Member::new(self.list, email, values, now)));
                }
            }
        }
        let db = self.state.store.conn();
        let emails: Vec<String> = fresh.iter().map(|(_, m)| m.email.clone()).collect();
        let earlier: std::collections::HashSet<String> = MemberRepo
            .by_emails(db, self.list, &emails)
            .await?
            .into_iter()
            .map(|m| m.email)
            .collect();
        let mut members = Vec::with_capacity(fresh.len());
        for (line, member) in fresh {
            if earlier.contains(&member.email) {
                rejected.push(RejectedRow {
                    line,
                    reason: format!("duplicate email {}: an earlier row has it", member.email),
                });
            } else {
                members.push(member);
            }
        }
        // Uploaded values are the list's own: numbered as list-side changes, so pushes
        // look at them (see `store::PushScopeRepo`).
        let tx = db.begin().await.map_err(StoreError::from)?;
        let seq = PushScopeRepo.next_change_seq(&tx, self.list).await?;
        for member in &mut members {
            member.change_seq = seq;
        }
        MemberRepo.insert_many(&tx, &members, now).await?;
        let room = MAX_STORED_REJECTS.saturating_sub(self.rejects.total);
        let stored: Vec<UploadRejection> = rejected
            .iter()
            .take(usize::try_from(room).unwrap_or(usize::MAX))
            .map(|r| UploadRejection {
                line: r.line,
                reason: clip(&r.reason, MAX_STORED_REASON_CHARS),
            })
            .collect();
        UploadReportRepo
            .add_rejections(&tx, self.list, &stored)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.accepted += members.len() as u64;
        for r in rejected {
            self.rejects.push(r);
        }
        Ok(())
    }
}

/// `text` cut to at most `max` characters, marked with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}
