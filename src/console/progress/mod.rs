//! A run's live progress: `GET /runs/{id}`, the page of one import or sync, and
//! `GET /runs/{id}/progress`, the fragment it polls every second (htmx `outerHTML`
//! swap). An active run's fragment carries its own polling trigger; an ended run's does
//! not, so polling stops by itself and the outcome stays on screen. The fragment costs
//! two primary-key reads (the run, its list); `?compact=1` (the lists table's cell) one.
//!
//! Other pages embed `<div hx-get="/runs/{id}/progress" hx-trigger="load"
//! hx-swap="outerHTML"></div>` to show a run: keep that URL and its contract.

pub mod view;

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;

use super::{
    error::ConsoleError,
    layout::{Layout, Section},
    session::Viewer,
};
use crate::{
    app::AppState,
    error::ApiError,
    lists::catalog,
    store::{Run, RunId, RunRepo, RunTrigger},
};
use view::ProgressView;

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

/// The viewer's run `raw`, or the not-found page (another account's run is not found).
async fn find_run(state: &AppState, viewer: &Viewer, raw: &str) -> Result<Run, ConsoleError> {
    let not_found = || ConsoleError::NotFound("This run was not found in your account.".into());
    let id = RunId::from_db(raw).ok_or_else(not_found)?;
    RunRepo
        .get(
            state.store.conn(),
            viewer.account_id(),
            id,
            state.clock.now(),
        )
        .await
        .map_err(|e| ConsoleError::from(ApiError::from(e)))?
        .ok_or_else(not_found)
}

/// The name of the run's list.
async fn list_name(state: &AppState, viewer: &Viewer, run: &Run) -> Result<String, ConsoleError> {
    let list = catalog::require_list(state, viewer.account_id(), run.list_id)
        .await
        .map_err(|e| ConsoleError::from(ApiError::from(e)))?;
    Ok(list.name)
}

async fn run_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    let run = find_run(&state, &viewer, &id).await?;
    let name = list_name(&state, &viewer, &run).await?;
    let page = RunPage {
        layout: Layout::new(&viewer, Section::Lists),
        p: ProgressView::new(&run, &name, false, state.clock.now()),
        trigger: match run.trigger {
            RunTrigger::Manual => "Started by hand",
            RunTrigger::Schedule => "Started by its schedule",
        },
        queued_at: when(run.created_at),
    };
    Ok(Html(page.render()?))
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
    let html = Fragment {
        p: ProgressView::new(&run, &name, compact, state.clock.now()),
    }
    .render()?;
    Ok((no_store(), Html(html)).into_response())
}

/// Polled answers are never cached.
fn no_store() -> [(header::HeaderName, HeaderValue); 1] {
    [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]
}
