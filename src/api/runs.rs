//! `/v1/runs/{id}`: a run's report (status, progress, counts, duration) and its records
//! (each failed, rejected, conflicted or planned record with the CRM's own words).

use axum::{
    Json,
    extract::{Path, Query, State},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::AppState,
    auth::AuthedAccount,
    error::{ApiError, Problem},
    store::{Run, RunId, RunRecord, RunRepo},
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_run))
        .routes(routes!(run_records))
}

/// Which records to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RecordsQuery {
    /// Only this outcome (`failed`, `conflict`, `invalid`, `duplicate`, `planned_create`, …).
    pub outcome: Option<String>,
    /// Records after this sequence number (the previous page's `next`).
    pub after: Option<i64>,
    /// Page size (default 100, max 1000).
    pub limit: Option<u64>,
}

/// A page of run records.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordsPage {
    /// The records, in the order they happened.
    pub records: Vec<RunRecord>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<i64>,
}

/// A run: status, trigger, start/finish, progress, counts and duration.
#[utoipa::path(get, path = "/v1/runs/{id}", tag = "sync",
    params(("id" = String, Path, description = "Run id")),
    responses((status = 200, body = Run), (status = 404, body = Problem)))]
pub async fn get_run(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<RunId>,
) -> Result<Json<Run>, ApiError> {
    RunRepo
        .get(state.store.conn(), account.id, id, state.clock.now())
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("run {id}")))
}

/// The records of a run's report, paged.
#[utoipa::path(get, path = "/v1/runs/{id}/records", tag = "sync",
    params(("id" = String, Path, description = "Run id"), RecordsQuery),
    responses((status = 200, body = RecordsPage), (status = 404, body = Problem)))]
pub async fn run_records(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<RunId>,
    Query(q): Query<RecordsQuery>,
) -> Result<Json<RecordsPage>, ApiError> {
    let db = state.store.conn();
    RunRepo
        .get(db, account.id, id, state.clock.now())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("run {id}")))?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let records = RunRepo
        .records(db, id, q.outcome.as_deref(), q.after.unwrap_or(0), limit)
        .await?;
    let next = (records.len() as u64 == limit)
        .then(|| records.last().map(|r| r.seq))
        .flatten();
    Ok(Json(RecordsPage { records, next }))
}
