//! `/v1/lists/{id}/sync`, `/v1/segments/{id}/sync` and their `runs`: the sync setup,
//! Run Now (with dry run) and run history. Thin: parse, call [`crate::sync`], map errors.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::AppState,
    auth::AuthedAccount,
    engine::SyncSetup,
    error::{ApiError, Problem},
    store::{ListId, Queued, Run, RunRepo, SegmentId, SegmentRepo},
    sync::{self, RunRequest, SyncTarget},
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_list_sync, put_list_sync))
        .routes(routes!(get_segment_sync, put_segment_sync))
        .routes(routes!(run_list, list_runs))
        .routes(routes!(run_segment, segment_runs))
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
    pub limit: Option<u64>,
}

fn answer(queued: Queued) -> (StatusCode, Json<RunNowView>) {
    match queued {
        Queued::New(run) => (
            StatusCode::ACCEPTED,
            Json(RunNowView {
                already_active: false,
                run,
            }),
        ),
        Queued::AlreadyActive(run) => (
            StatusCode::OK,
            Json(RunNowView {
                already_active: true,
                run,
            }),
        ),
    }
}

/// A list's sync setup (defaults when none was saved).
#[utoipa::path(get, path = "/v1/lists/{id}/sync", tag = "sync",
    params(("id" = String, Path, description = "List id")),
    responses((status = 200, body = SyncSetup), (status = 404, body = Problem)))]
pub async fn get_list_sync(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ListId>,
) -> Result<Json<SyncSetup>, ApiError> {
    Ok(Json(
        sync::load_setup(&state, account.id, SyncTarget::List(id)).await?,
    ))
}

/// Saves a list's sync setup: push and pull options and the conflict rule. Refused, with
/// the names, when pull is asked of an uploaded list, a field is unknown or read-only, or
/// address columns are unmapped.
#[utoipa::path(put, path = "/v1/lists/{id}/sync", tag = "sync",
    params(("id" = String, Path, description = "List id")), request_body = SyncSetup,
    responses((status = 200, body = SyncSetup), (status = 404, body = Problem), (status = 422, description = "The setup cannot work; `details.names` lists the fields or columns", body = Problem)))]
pub async fn put_list_sync(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ListId>,
    Json(setup): Json<SyncSetup>,
) -> Result<Json<SyncSetup>, ApiError> {
    Ok(Json(
        sync::save_setup(&state, account.id, SyncTarget::List(id), setup).await?,
    ))
}

/// A segment's push setup.
#[utoipa::path(get, path = "/v1/segments/{id}/sync", tag = "sync",
    params(("id" = String, Path, description = "Segment id")),
    responses((status = 200, body = SyncSetup), (status = 404, body = Problem)))]
pub async fn get_segment_sync(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<SegmentId>,
) -> Result<Json<SyncSetup>, ApiError> {
    Ok(Json(
        sync::load_setup(&state, account.id, SyncTarget::Segment(id)).await?,
    ))
}

/// Saves a segment's push setup (segments can only push).
#[utoipa::path(put, path = "/v1/segments/{id}/sync", tag = "sync",
    params(("id" = String, Path, description = "Segment id")), request_body = SyncSetup,
    responses((status = 200, body = SyncSetup), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_segment_sync(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<SegmentId>,
    Json(setup): Json<SyncSetup>,
) -> Result<Json<SyncSetup>, ApiError> {
    Ok(Json(
        sync::save_setup(&state, account.id, SyncTarget::Segment(id), setup).await?,
    ))
}

/// *Run Now*: queues a sync of the list (202), or returns the run already active (200).
#[utoipa::path(post, path = "/v1/lists/{id}/runs", tag = "sync",
    params(("id" = String, Path, description = "List id")), request_body(content = RunNowBody, description = "Optional; `{\"dry_run\": true}` plans only"),
    responses((status = 202, description = "Queued", body = RunNowView), (status = 200, description = "A run was already active", body = RunNowView),
        (status = 404, body = Problem), (status = 409, description = "Importing, or no sync setup", body = Problem)))]
pub async fn run_list(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ListId>,
    body: Option<Json<RunNowBody>>,
) -> Result<(StatusCode, Json<RunNowView>), ApiError> {
    let dry_run = body.is_some_and(|b| b.dry_run);
    Ok(answer(
        sync::run_now(
            &state,
            account.id,
            SyncTarget::List(id),
            RunRequest { dry_run },
        )
        .await?,
    ))
}

/// *Run Now* for a segment's push.
#[utoipa::path(post, path = "/v1/segments/{id}/runs", tag = "sync",
    params(("id" = String, Path, description = "Segment id")), request_body(content = RunNowBody, description = "Optional"),
    responses((status = 202, body = RunNowView), (status = 200, body = RunNowView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn run_segment(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<SegmentId>,
    body: Option<Json<RunNowBody>>,
) -> Result<(StatusCode, Json<RunNowView>), ApiError> {
    let dry_run = body.is_some_and(|b| b.dry_run);
    Ok(answer(
        sync::run_now(
            &state,
            account.id,
            SyncTarget::Segment(id),
            RunRequest { dry_run },
        )
        .await?,
    ))
}

/// A list's runs (imports and syncs), newest first.
#[utoipa::path(get, path = "/v1/lists/{id}/runs", tag = "sync",
    params(("id" = String, Path, description = "List id"), HistoryQuery),
    responses((status = 200, body = Vec<Run>)))]
pub async fn list_runs(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ListId>,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Vec<Run>>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    Ok(Json(
        RunRepo
            .history(
                state.store.conn(),
                account.id,
                id,
                None,
                limit,
                state.clock.now(),
            )
            .await?,
    ))
}

/// A segment's runs, newest first.
#[utoipa::path(get, path = "/v1/segments/{id}/runs", tag = "sync",
    params(("id" = String, Path, description = "Segment id"), HistoryQuery),
    responses((status = 200, body = Vec<Run>), (status = 404, body = Problem)))]
pub async fn segment_runs(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<SegmentId>,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Vec<Run>>, ApiError> {
    let db = state.store.conn();
    let segment = SegmentRepo
        .get(db, account.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("segment {id}")))?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    Ok(Json(
        RunRepo
            .history(
                db,
                account.id,
                segment.list_id,
                Some(id),
                limit,
                state.clock.now(),
            )
            .await?,
    ))
}
