//! `GET /lists`, the home page after sign-in: the account's lists with their kind,
//! members, last sync and its outcome, schedule and the run in progress (which updates
//! itself, see [`super::progress`]). The whole table is read by
//! [`crate::lists::overview::overview`] in a fixed number of statements, so it stays
//! fast however many lists there are. *Import Leads / Contacts* live in [`import`].

mod import;

use axum::{Router, routing::get};
use serde::Deserialize;

use super::{
    progress::view::{ProgressView, list_url, status_words},
    words::{thousands, when},
};
use crate::console::prelude::*;
use crate::{
    lists::overview::{ListOverview, overview},
    store::ListStatus,
};

/// `GET /lists`, and the import pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lists", get(lists_page))
        .merge(import::routes())
}

/// The lists table.
#[derive(Template)]
#[template(path = "console/lists.html")]
struct ListsPage {
    layout: Layout,
    notice: &'static str,
    rows: Vec<ListRow>,
}

/// One row of the table.
struct ListRow {
    url: String,
    name: String,
    kind: &'static str,
    /// A badge for a list that is not simply ready: (label, class).
    state: Option<(&'static str, &'static str)>,
    members: String,
    last: Option<LastRun>,
    schedule: Option<String>,
    /// `paused` or `off` beside the schedule, or empty.
    schedule_note: &'static str,
    progress: Option<ProgressView>,
}

/// The latest ended run of a row.
struct LastRun {
    url: String,
    kind: &'static str,
    when: String,
    iso: String,
    status: &'static str,
    class: &'static str,
}

#[derive(Debug, Deserialize)]
struct ListsQuery {
    done: Option<String>,
}

/// The sentence for a `?done=` code set by the page that redirected here.
fn notice(done: Option<&str>) -> &'static str {
    match done {
        Some("deleted") => "The list was deleted.",
        _ => "",
    }
}

fn row(entry: ListOverview, now: chrono::DateTime<chrono::Utc>) -> ListRow {
    let ListOverview {
        list,
        last_run,
        active_run,
        schedule,
    } = entry;
    let state = match list.status {
        ListStatus::Ready => None,
        ListStatus::Importing => Some(("importing", "")),
        ListStatus::Failed => Some(("import failed", "bad")),
    };
    let last = last_run.map(|run| {
        let (status, class) = status_words(run.status);
        let ended = run.finished_at.unwrap_or(run.created_at);
        LastRun {
            url: format!("/runs/{}", run.id),
            kind: super::progress::view::kind_words(&run),
            when: when(ended),
            iso: ended.to_rfc3339(),
            status,
            class,
        }
    });
    let (schedule, schedule_note) = match schedule {
        None => (None, ""),
        Some(s) if !s.enabled => (Some(s.rule), "off"),
        Some(s) if s.paused => (Some(s.rule), "paused"),
        Some(s) => (Some(s.rule), ""),
    };
    ListRow {
        url: list_url(&list.id.to_string()),
        progress: active_run.map(|run| ProgressView::new(&run, &list.name, true, now)),
        name: list.name,
        kind: crate::console::words::list_kind(list.kind),
        state,
        members: thousands(list.member_count),
        last,
        schedule,
        schedule_note,
    }
}

async fn lists_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListsQuery>,
) -> Result<Response, ConsoleError> {
    let lists = overview(&state, viewer.account_id())
        .await
        .map_err(ConsoleError::service)?;
    let now = state.clock.now();
    let page = ListsPage {
        layout: Layout::new(&viewer, Section::Lists),
        notice: notice(query.done.as_deref()),
        rows: lists.into_iter().map(|entry| row(entry, now)).collect(),
    };
    page.respond(StatusCode::OK)
}
