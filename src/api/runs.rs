//! Runs over HTTP: *Run Now* (`POST /v1/lists/{id}/runs`, `POST /v1/segments/{id}/runs`,
//! with dry run), run history (`GET` on the same paths) and a run's report
//! (`/v1/runs/{id}` and its records). Thin: parse, call [`crate::runs`], answer.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::json_body::JsonObject;
use super::paging::PageBounds;
use crate::{
    app::AppState,
    auth::AuthedAccount,
    error::{ApiError, Problem},
    runs::{self, RecordsPage, RecordsQuery, RunRequest},
    store::{AccountId, ListId, Queued, Run, RunId, SegmentId},
    sync::SyncTarget,
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(run_list, list_runs))
        .routes(routes!(run_segment, segment_runs))
        .routes(routes!(get_run))
        .routes(routes!(run_records))
}

/// Run Now options.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunNowBody {
    /// Compute and report the plan without writing to the CRM or the list.
    #[serde(default)]
    pub dry_run: bool,
}

/// The run Run Now queued, or the run that was already active.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunNowView {
    /// True when a run was already queued or running for this list or segment.
    pub already_active: bool,
    /// The run.
    pub run: Run,
}

/// How many runs of history to show.
#[derive(Debug, Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// At most this many (default 50, max 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
}

/// Runs of history per listing: 50 unless the caller says, at most 500.
const HISTORY_PAGES: PageBounds = PageBounds {
    default: 50,
    max: 500,
};

/// Records per page of a run's report: 100 unless the caller says, at most 1000.
const RECORD_PAGES: PageBounds = PageBounds {
    default: 100,
    max: 1000,
};

/// Runs `target` now and answers 202 with the new run, or 200 with the active one.
async fn run_now(
    state: &AppState,
    account: AccountId,
    target: SyncTarget,
    body: Option<JsonObject<RunNowBody>>,
) -> Result<(StatusCode, Json<RunNowView>), ApiError> {
    let request = RunRequest {
        dry_run: body.is_some_and(|b| b.0.dry_run),
    };
    let (status, already_active, run) = match runs::run_now(state, account, target, request).await?
    {
        Queued::New(run) => (StatusCode::ACCEPTED, false, run),
        Queued::AlreadyActive(run) => (StatusCode::OK, true, run),
    };
    Ok((
        status,
        Json(RunNowView {
            already_active,
            run,
        }),
    ))
}

/// *Run Now*: queues a sync of the list (202), or returns the run already active (200).
#[utoipa::path(post, path = "/v1/lists/{id}/runs", tag = "sync",
    params(("id" = uuid::Uuid, Path, description = "List id")), request_body(content = Option<RunNowBody>, description = "Optional; `{\"dry_run\": true}` plans only"),
    responses((status = 202, description = "Queued", body = RunNowView), (status = 200, description = "A run was already active", body = RunNowView),
        (status = 404, description = "No such list in this account", body = Problem),
        (status = 409, description = "Importing, or no sync setup", body = Problem)))]
pub async fn run_list(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ListId>,
    body: Option<JsonObject<RunNowBody>>,
) -> Result<(StatusCode, Json<RunNowView>), ApiError> {
    run_now(&state, account.id, SyncTarget::List(id), body).await
}

/// *Run Now* for a segment's push.
#[utoipa::path(post, path = "/v1/segments/{id}/runs", tag = "sync",
    params(("id" = uuid::Uuid, Path, description = "Segment id")), request_body(content = Option<RunNowBody>, description = "Optional; `{\"dry_run\": true}` plans only"),
    responses((status = 202, description = "Queued", body = RunNowView),
        (status = 200, description = "A run was already active", body = RunNowView),
        (status = 404, description = "No such segment in this account", body = Problem),
        (status = 409, description = "Its list is importing, or no sync setup", body = Problem)))]
pub async fn run_segment(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<SegmentId>,
    body: Option<JsonObject<RunNowBody>>,
) -> Result<(StatusCode, Json<RunNowView>), ApiError> {
    run_now(&state, account.id, SyncTarget::Segment(id), body).await
}

/// A list's runs (imports and syncs), newest first.
#[utoipa::path(get, path = "/v1/lists/{id}/runs", tag = "sync",
    params(("id" = uuid::Uuid, Path, description = "List id"), HistoryQuery),
    responses((status = 200, description = "The runs, newest first", body = Vec<Run>),
        (status = 404, description = "No such list in this account", body = Problem)))]
pub async fn list_runs(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ListId>,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Vec<Run>>, ApiError> {
    let target = SyncTarget::List(id);
    let limit = HISTORY_PAGES.read(q.limit)?;
    Ok(Json(
        runs::history(&state, account.id, target, Some(limit)).await?,
    ))
}

/// A segment's runs, newest first.
#[utoipa::path(get, path = "/v1/segments/{id}/runs", tag = "sync",
    params(("id" = uuid::Uuid, Path, description = "Segment id"), HistoryQuery),
    responses((status = 200, description = "The runs, newest first", body = Vec<Run>),
        (status = 404, description = "No such segment in this account", body = Problem)))]
pub async fn segment_runs(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<SegmentId>,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Vec<Run>>, ApiError> {
    let target = SyncTarget::Segment(id);
    let limit = HISTORY_PAGES.read(q.limit)?;
    Ok(Json(
        runs::history(&state, account.id, target, Some(limit)).await?,
    ))
}

/// A run: status, trigger, start/finish, progress, counts and duration.
#[utoipa::path(get, path = "/v1/runs/{id}", tag = "sync",
    params(("id" = uuid::Uuid, Path, description = "Run id")),
    responses((status = 200, description = "The run", body = Run),
        (status = 404, description = "No such run in this account", body = Problem)))]
pub async fn get_run(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<RunId>,
) -> Result<Json<Run>, ApiError> {
    Ok(Json(runs::report(&state, account.id, id).await?))
}

/// The records of a run's report, paged.
#[utoipa::path(get, path = "/v1/runs/{id}/records", tag = "sync",
    params(("id" = uuid::Uuid, Path, description = "Run id"), RecordsQuery),
    responses((status = 200, description = "A page of records, in the order they happened", body = RecordsPage),
        (status = 404, description = "No such run in this account", body = Problem)))]
pub async fn run_records(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<RunId>,
    Query(q): Query<RecordsQuery>,
) -> Result<Json<RecordsPage>, ApiError> {
    RECORD_PAGES.read(q.limit)?;
    Ok(Json(runs::records(&state, account.id, id, &q).await?))
}
