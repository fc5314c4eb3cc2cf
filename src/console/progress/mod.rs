//! A run's live progress: `GET /runs/{id}`, the page of one import or sync, and
//! `GET /runs/{id}/progress`, the fragment it polls every second (htmx `outerHTML`
//! swap). An active run's fragment carries its own polling trigger; an ended run's does
//! not, so polling stops by itself and the outcome stays on screen. The fragment costs
//! two primary-key reads (the run, its list); `?compact=1` (the lists table's cell) one.
//! Once the run has ended, `GET /runs/{id}` is its report (or a dry run's preview,
//! `console::runs::report`); the poll from that page (htmx's `HX-Current-URL`) that
//! sees the end answers `HX-Refresh: true`, so the page reloads as the report.
//!
//! Other pages embed `<div hx-get="/runs/{id}/progress" hx-trigger="load"
//! hx-swap="outerHTML"></div>` to show a run: keep that URL and its contract.

pub mod view;

use axum::{
    Router,
    http::{HeaderMap, HeaderValue, header},
    response::Html,
    routing::get,
};
use serde::Deserialize;

use crate::console::prelude::*;
use crate::{
    lists::manage,
    runs::{self, RunError},
    store::{Run, RunId},
};
use view::ProgressView;

use crate::console::runs::report::{self, ReportQuery};
use crate::console::words::when;

/// `GET /runs/{id}` and `GET /runs/{id}/progress`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/runs/{id}", get(run_page))
        .route("/runs/{id}/progress", get(fragment))
}

/// The page of one run.
#[derive(Template)]
#[template(path = "console/progress.html")]
struct RunPage {
    layout: Layout,
    p: ProgressView,
    trigger: &'static str,
    queued_at: String,
    /// The sentence of a `?done=` code (Run Now found this run already active).
    notice: &'static str,
}

/// The polled fragment alone.
#[derive(Template)]
#[template(path = "console/progress_fragment.html")]
struct Fragment {
    p: ProgressView,
}

/// `?compact=1` asks for the lists table's small form.
#[derive(Debug, Deserialize)]
struct FragmentQuery {
    compact: Option<String>,
}

/// Whether an htmx request comes from the page of run `id` (its `HX-Current-URL`,
/// the address the browser shows, is `/runs/{id}`, with or without a query).
fn from_run_page(headers: &HeaderMap, id: &str) -> bool {
    let Some(url) = headers.get("hx-current-url").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
        .unwrap_or(url);
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path == format!("/runs/{id}")
}

/// The viewer's run `raw`, or the not-found page (another account's run is not found).
async fn find_run(state: &AppState, viewer: &Viewer, raw: &str) -> Result<Run, ConsoleError> {
    let not_found = || ConsoleError::NotFound("This run was not found in your account.".into());
    let id = RunId::from_db(raw).ok_or_else(not_found)?;
    match runs::report(state, viewer.account_id(), id).await {
        Ok(run) => Ok(run),
        Err(RunError::NotFound(_)) => Err(not_found()),
        Err(e) => Err(ConsoleError::service(e)),
    }
}

/// The name of the run's list.
async fn list_name(state: &AppState, viewer: &Viewer, run: &Run) -> Result<String, ConsoleError> {
    let list = manage::require_list(state, viewer.account_id(), run.list_id)
        .await
        .map_err(ConsoleError::service)?;
    Ok(list.name)
}

async fn run_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Result<Response, ConsoleError> {
    let run = find_run(&state, &viewer, &id).await?;
    if !run.status.is_active() {
        return report::page(&state, &viewer, run, query).await;
    }
    let name = list_name(&state, &viewer, &run).await?;
    let page = RunPage {
        layout: Layout::new(&viewer, Section::Lists),
        p: ProgressView::new(&run, &name, false, state.clock.now()).on_run_page(),
        trigger: report::trigger_words(&run),
        queued_at: when(run.created_at),
        notice: report::notice(query.done.as_deref()),
    };
    Ok((no_store(), Html(page.render()?)).into_response())
}

async fn fragment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<FragmentQuery>,
    headers: HeaderMap,
) -> Result<Response, ConsoleError> {
    let compact = query.compact.is_some_and(|c| c == "1" || c == "true");
    let found = async {
        let run = find_run(&state, &viewer, &id).await?;
        let name = if compact {
            String::new()
        } else {
            list_name(&state, &viewer, &run).await?
        };
        Ok::<_, ConsoleError>((run, name))
    }
    .await;
    let (run, name) = match found {
        Ok(found) => found,
        // A poll for a run that went away (its list was deleted): htmx stops polling on
        // 286 and shows the sentence instead of asking every second for ever.
        Err(ConsoleError::NotFound(_)) if headers.contains_key("hx-request") => {
            return Ok((
                StatusCode::from_u16(286).unwrap_or(StatusCode::OK),
                no_store(),
                Html("<p class=\"muted\">This run is no longer there: its list may have been deleted.</p>"),
            )
                .into_response());
        }
        Err(err) => return Err(err),
    };
    let on_run_page = !compact && from_run_page(&headers, &run.id.to_string());
    let mut p = ProgressView::new(&run, &name, compact, state.clock.now());
    if on_run_page {
        p = p.on_run_page();
    }
    let ended = !p.active;
    let html = Fragment { p }.render()?;
    if on_run_page && ended {
        // The run page saw its run end: reload it, and it is the report.
        return Ok((
            no_store(),
            [(
                header::HeaderName::from_static("hx-refresh"),
                HeaderValue::from_static("true"),
            )],
            Html(html),
        )
            .into_response());
    }
    Ok((no_store(), Html(html)).into_response())
}

/// Polled answers are never cached.
fn no_store() -> [(header::HeaderName, HeaderValue); 1] {
    [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_run_page_itself_is_its_own_page() {
        let from = |url: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("hx-current-url", HeaderValue::from_str(url).unwrap());
            from_run_page(&headers, "R1")
        };
        assert!(from("http://127.0.0.1:8080/runs/R1"));
        assert!(from("https://lb.example/runs/R1?done=already_running"));
        assert!(!from("https://lb.example/lists/L1"));
        assert!(!from("https://lb.example/runs/R12"));
        assert!(!from_run_page(&HeaderMap::new(), "R1"));
    }
}
