//! A list's or a segment's run history (`GET /lists/{id}/runs`, `GET /segments/{id}/runs`):
//! each run, newest first, with what started it, when, how long it took, how it ended
//! and what it did, linked to its page (the live progress, the report or the preview).

use crate::console::list_page::head::{ListHead, ListPath, Tab};
use crate::console::prelude::*;
use crate::console::progress::view::{count_rows, duration_words, kind_words, status_words};
use crate::console::segments::{SegmentHead, SegmentPath, SegmentTab};
use crate::{
    lists::manage,
    runs,
    store::{Run, RunKind, RunTrigger},
    sync::SyncTarget,
};

/// One run in the history table.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    /// The run's page.
    pub href: String,
    /// "Import", "Sync" or "Dry run".
    pub kind: &'static str,
    /// What started it: "By hand", "Schedule", "Import".
    pub trigger: &'static str,
    /// When it started (or was queued, if it has not).
    pub started: String,
    /// How long it took (or has taken so far); "" before it started.
    pub duration: String,
    /// Its status in words and the badge class.
    pub status: (&'static str, &'static str),
    /// What it did: non-zero counts, labelled.
    pub counts: Vec<(&'static str, String)>,
}

impl HistoryRow {
    /// The row of `run`, seen at `now`.
    fn new(run: &Run, now: chrono::DateTime<chrono::Utc>) -> Self {
        HistoryRow {
            href: format!("/runs/{}", run.id),
            kind: kind_words(run),
            trigger: match (run.trigger, run.kind) {
                (RunTrigger::Schedule, _) => "Schedule",
                (RunTrigger::Manual, RunKind::Import) => "Import",
                (RunTrigger::Manual, RunKind::Sync) => "By hand",
            },
            started: words::when(run.started_at.unwrap_or(run.created_at)),
            duration: match (run.started_at, run.finished_at) {
                (Some(start), Some(end)) => duration_words(end - start),
                (Some(start), None) => format!("{} so far", duration_words(now - start)),
                _ => String::new(),
            },
            status: status_words(run.status),
            counts: count_rows(&run.counts),
        }
    }
}

/// The history page of a list or of a segment.
#[derive(Template)]
#[template(path = "console/run_history.html")]
struct HistoryPage {
    layout: Layout,
    /// The list's header and tabs, for a list's history.
    list_head: Option<ListHead>,
    /// The segment's header and tabs, for a segment's history.
    segment_head: Option<SegmentHead>,
    /// The list header's notice (none here).
    notice: String,
    rows: Vec<HistoryRow>,
    /// Where the sync setup (and *Run Now*) is.
    sync_href: String,
}

/// `GET /lists/{id}/runs`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let list = manage::require_list(&state, account, id)
        .await
        .map_err(ConsoleError::service)?;
    let head = ListHead::load(&state, account, &list, Tab::Runs).await?;
    let runs = runs::history(&state, account, SyncTarget::List(id), None)
        .await
        .map_err(ConsoleError::service)?;
    let now = state.clock.now();
    HistoryPage {
        layout: Layout::new(&viewer, Section::Lists),
        list_head: Some(head),
        segment_head: None,
        notice: String::new(),
        rows: runs.iter().map(|r| HistoryRow::new(r, now)).collect(),
        sync_href: format!("/lists/{id}/sync"),
    }
    .respond(StatusCode::OK)
}

/// `GET /segments/{id}/runs`.
pub async fn segment(
    State(state): State<AppState>,
    viewer: Viewer,
    SegmentPath(id): SegmentPath,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let head = SegmentHead::load(&state, account, id, SegmentTab::Runs).await?;
    let runs = runs::history(&state, account, SyncTarget::Segment(id), None)
        .await
        .map_err(ConsoleError::service)?;
    let now = state.clock.now();
    HistoryPage {
        layout: Layout::new(&viewer, Section::Lists),
        list_head: None,
        segment_head: Some(head),
        notice: String::new(),
        rows: runs.iter().map(|r| HistoryRow::new(r, now)).collect(),
        sync_href: format!("/segments/{id}/sync"),
    }
    .respond(StatusCode::OK)
}
