//! Storing an upload as it is read: the body's byte stream is bridged to the blocking
//! CSV reader ([`read_upload_with_header`] on a blocking thread), which sends rows in
//! chunks over a small bounded channel to the async side that creates the columns and
//! inserts the members. The body is never held in memory: a slow database slows the
//! reading of the body instead of filling memory. Every rejected row (bad, or a
//! duplicate email) is stored too ([`UploadReportRepo`]), so the report can be read
//! again later ([`super::report`]).

use std::{collections::HashMap, io};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use sea_orm::TransactionTrait;
use tokio::sync::mpsc;
use tokio_util::io::{StreamReader, SyncIoBridge};

use super::{
    MAX_LISTED_REJECTS, MAX_STORED_REJECTS, MAX_UPLOAD_BYTES, UploadRequest,
    parse::{CsvLayout, RejectedRow, RowOutcome, UploadError, read_upload_with_header},
};
use crate::{
    AppState,
    domain::{field_usage::SystemUsage, values::Values},
    lists::ListError,
    store::{
        ListColumn, ListId, ListRepo, Member, MemberRepo, PushScopeRepo, StoreError,
        UploadRejection, UploadReportRepo,
    },
};

/// Rows per chunk handed from the reader to the inserter.
const CHUNK_ROWS: usize = 500;
/// Chunks buffered between the reader and the inserter.
const CHANNEL_CHUNKS: usize = 2;
/// The longest reason stored for a rejected row, in characters (a reason quotes the
/// bad value, which a broken file can make very long).
const MAX_STORED_REASON_CHARS: usize = 1_000;

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

/// What reading the whole file produced.
pub(super) struct Ingested {
    /// Rows that became members.
    pub(super) accepted: u64,
    /// Rejected rows.
    pub(super) rejects: Rejects,
    /// The mapping under the headers' own spelling, to save once all is read.
    pub(super) usages: Vec<(String, SystemUsage)>,
}

/// Rejected rows: the first [`MAX_LISTED_REJECTS`] and the total.
#[derive(Debug, Default)]
pub(super) struct Rejects {
    /// The first rejected rows, in the order they were found.
    pub(super) listed: Vec<RejectedRow>,
    /// How many rows were rejected in all.
    pub(super) total: u64,
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
pub(super) async fn ingest<S, E>(
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
            .map(|(_, c)| ListColumn::plain(c.clone()))
            .collect();
        ListRepo
            .add_columns(db, self.list, &columns, self.state.random.as_ref(), now)
            .await?;
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
                    // Only the values the row has: absent ones are not stored.
                    let values: Values = row
                        .values
                        .into_iter()
                        .map(|(column, value)| (column, Some(value)))
                        .collect();
                    let id = self.state.random.uuid().into();
                    let member = Member::new(id, self.list, email, values, now);
                    fresh.push((row.line, member));
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
