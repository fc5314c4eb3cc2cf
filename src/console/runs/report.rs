//! The page of an ended run (`GET /runs/{id}` once the run is over; while it runs the
//! same address shows its live progress): the counts, what a failed run asks of the
//! marketer, and every report record in the CRM's own words, grouped by outcome. With
//! no filter each outcome shows its first records and a link to all of them; with
//! `?outcome=` one outcome is shown, keyset-paged by `?after=`. A dry run's page is its
//! preview: the same groups are its plans (create, update with old → new values,
//! conflict with both values), with *Run it for real*.

use serde::Deserialize;

use super::{
    advice::{Advice, advice},
    outcomes::{outcome, rank},
    record::RecordRow,
};
use crate::console::prelude::*;
use crate::console::progress::view::ProgressView;
use crate::{
    error::ApiError,
    lists::{ListError, manage, segments},
    runs::{self, RecordsQuery},
    store::{Run, RunId, RunStatus, RunTrigger},
};

/// Records shown of each outcome on the unfiltered page.
const GROUP_ROWS: u64 = 20;
/// Records on a page of one outcome.
const PAGE_ROWS: u64 = 100;

/// `?outcome=&after=&done=` of a run's page.
#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    /// Only this outcome.
    pub outcome: Option<String>,
    /// Records after this sequence number (the previous page's last).
    pub after: Option<i64>,
    /// What was just done (`already_running`: Run Now found this run active).
    pub done: Option<String>,
}

/// A filter tab: one outcome (or all) with its count.
#[derive(Debug, Clone)]
pub struct FilterTab {
    /// The tab's words.
    pub label: &'static str,
    /// How many records it holds, in words.
    pub count: String,
    /// Its address.
    pub href: String,
    /// `page` for the tab shown, else `false` (for `aria-current`).
    pub current: &'static str,
}

/// The records of one outcome on the page.
#[derive(Debug, Clone)]
pub struct Group {
    /// The outcome in words.
    pub label: &'static str,
    /// Its badge class.
    pub class: &'static str,
    /// How many records it holds, in words.
    pub count: String,
    /// The records shown.
    pub rows: Vec<RecordRow>,
    /// The link to all of them, when more than these are there.
    pub more: Option<String>,
}

/// Where the page's breadcrumb leads back to.
#[derive(Debug, Clone)]
pub struct Crumb {
    /// Its address.
    pub href: String,
    /// Its words (a list or segment name: escaped).
    pub name: String,
}

/// The page of an ended run, or a dry run's preview.
#[derive(Template)]
#[template(path = "console/run_report.html")]
struct ReportPage {
    layout: Layout,
    /// The run's summary (status, counts, duration), as its live progress ended.
    p: ProgressView,
    trigger: &'static str,
    queued_at: String,
    notice: &'static str,
    /// Breadcrumb: the list, then the segment when it is a segment's run.
    crumbs: Vec<Crumb>,
    /// The run history this run belongs to.
    history: String,
    /// The run's subject in the title: the list's or the segment's name.
    subject: String,
    advice: Option<Advice>,
    /// A dry run: the page is its preview.
    preview: bool,
    /// Where *Run it for real* posts (a preview that did not fail).
    run_for_real: Option<String>,
    tabs: Vec<FilterTab>,
    /// The outcome shown alone, if filtered.
    filtered: bool,
    groups: Vec<Group>,
    /// The next page of a filtered view.
    next: Option<String>,
    /// The first page of a filtered view, when not on it.
    first: Option<String>,
    /// The CSV of what is shown (all records, or the outcome filtered).
    csv: String,
    /// No record at all.
    empty: bool,
}

/// The notice of a `?done=` code on a run's page.
pub fn notice(done: Option<&str>) -> &'static str {
    match done {
        Some("already_running") => {
            "This list already has a run in progress: here it is. Run Now again once it has finished."
        }
        _ => "",
    }
}

/// How a run was started, in words.
pub fn trigger_words(run: &Run) -> &'static str {
    match (run.trigger, run.kind) {
        (RunTrigger::Schedule, _) => "Started by its schedule",
        (RunTrigger::Manual, crate::store::RunKind::Import) => "Started by an import",
        (RunTrigger::Manual, _) => "Started by hand",
    }
}

/// A ConsoleError from a service error.
fn api(err: impl Into<ApiError>) -> ConsoleError {
    ConsoleError::from(err.into())
}

/// The page of the ended run `run` (already read for the viewer's account).
pub async fn page(
    state: &AppState,
    viewer: &Viewer,
    run: Run,
    query: ReportQuery,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let list = manage::require_list(state, account, run.list_id)
        .await
        .map_err(api)?;
    let mut crumbs = vec![Crumb {
        href: format!("/lists/{}", list.id),
        name: list.name.clone(),
    }];
    // A deleted segment's runs stay readable, under their list.
    let segment = match run.segment_id {
        Some(id) => match segments::get(state, account, id).await {
            Ok(detail) => Some((id, detail.segment.name)),
            Err(ListError::SegmentNotFound(_)) => None,
            Err(e) => return Err(api(e)),
        },
        None => None,
    };
    let segment_gone = run.segment_id.is_some() && segment.is_none();
    let (history, subject, run_for_real) = match segment {
        Some((id, name)) => {
            crumbs.push(Crumb {
                href: format!("/segments/{id}"),
                name: name.clone(),
            });
            (
                format!("/segments/{id}/runs"),
                name,
                format!("/segments/{id}/run"),
            )
        }
        None => (
            format!("/lists/{}/runs", list.id),
            list.name.clone(),
            format!("/lists/{}/run", list.id),
        ),
    };
    let mut counts = runs::record_outcomes(state, account, run.id)
        .await
        .map_err(api)?;
    counts.sort_by_key(|(name, _)| rank(name));
    let shown = query
        .outcome
        .as_deref()
        .filter(|o| counts.iter().any(|(name, _)| name == o))
        .map(str::to_string);
    let base = format!("/runs/{}", run.id);
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let mut tabs = vec![FilterTab {
        label: "All",
        count: words::thousands(as_i64(total)),
        href: base.clone(),
        current: if shown.is_none() { "page" } else { "false" },
    }];
    tabs.extend(counts.iter().map(|(name, n)| FilterTab {
        label: outcome(name).label,
        count: words::thousands(as_i64(*n)),
        href: format!("{base}?outcome={name}"),
        current: if shown.as_deref() == Some(name) {
            "page"
        } else {
            "false"
        },
    }));
    let (groups, next, first) = match &shown {
        Some(name) => {
            let n = counts
                .iter()
                .find(|(o, _)| o == name)
                .map_or(0, |(_, n)| *n);
            let page = runs::records(
                state,
                account,
                run.id,
                &RecordsQuery {
                    outcome: Some(name.clone()),
                    after: query.after,
                    limit: Some(PAGE_ROWS),
                },
            )
            .await
            .map_err(api)?;
            let how = outcome(name);
            let group = Group {
                label: how.label,
                class: how.class,
                count: words::thousands(as_i64(n)),
                rows: page.records.iter().map(RecordRow::new).collect(),
                more: None,
            };
            (
                vec![group],
                page.next
                    .map(|after| format!("{base}?outcome={name}&after={after}")),
                query.after.map(|_| format!("{base}?outcome={name}")),
            )
        }
        None => {
            let mut groups = Vec::with_capacity(counts.len());
            for (name, n) in &counts {
                let page = runs::records(
                    state,
                    account,
                    run.id,
                    &RecordsQuery {
                        outcome: Some(name.clone()),
                        after: None,
                        limit: Some(GROUP_ROWS),
                    },
                )
                .await
                .map_err(api)?;
                let how = outcome(name);
                groups.push(Group {
                    label: how.label,
                    class: how.class,
                    count: words::thousands(as_i64(*n)),
                    rows: page.records.iter().map(RecordRow::new).collect(),
                    more: (*n > GROUP_ROWS).then(|| format!("{base}?outcome={name}")),
                });
            }
            (groups, None, None)
        }
    };
    let csv = match &shown {
        Some(name) => format!("{base}/records.csv?outcome={name}"),
        None => format!("{base}/records.csv"),
    };
    let connector = list.connector_id;
    let page = ReportPage {
        layout: Layout::new(viewer, Section::Lists),
        p: ProgressView::new(&run, &list.name, false, state.clock.now()).on_run_page(),
        trigger: trigger_words(&run),
        queued_at: words::when(run.created_at),
        notice: notice(query.done.as_deref()),
        crumbs,
        history,
        subject,
        advice: advice(&run, connector, viewer.is_admin()),
        preview: run.dry_run,
        run_for_real: (run.dry_run && run.status != RunStatus::Failed && !segment_gone)
            .then_some(run_for_real),
        tabs,
        filtered: shown.is_some(),
        groups,
        next,
        first,
        csv,
        empty: total == 0,
    };
    page.respond(StatusCode::OK)
}

/// A count as the `i64` [`words::thousands`] takes.
fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The id of a run in a URL; anything that is not one is a missing run (404 page).
pub fn run_id(raw: &str) -> Result<RunId, ConsoleError> {
    RunId::from_db(raw)
        .ok_or_else(|| ConsoleError::NotFound("This run was not found in your account.".into()))
}
