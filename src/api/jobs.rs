//! `/v1/jobs`: the account's background jobs (queued, running, failed and dead, with the
//! last error and attempts) and retrying dead ones by hand.

use axum::{
    Json,
    extract::{Path, Query, State},
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::AppState,
    auth::AuthedAccount,
    error::{ApiError, Problem},
    store::{Job, JobId, JobStatus},
    workers::retry_dead_job,
};

/// The most jobs one listing returns.
const MAX_LIMIT: u64 = 500;
/// Jobs listed when no limit is given.
const DEFAULT_LIMIT: u64 = 100;

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(retry_job))
}

/// Which jobs to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct JobsQuery {
    /// Only jobs in this status.
    #[param(value_type = Option<String>, example = "dead")]
    pub status: Option<JobStatus>,
    /// At most this many, newest first (default 100, at most 500).
    pub limit: Option<u64>,
}

/// The account's jobs, newest first.
#[utoipa::path(get, path = "/v1/jobs", tag = "jobs", params(JobsQuery),
    responses(
        (status = 200, description = "Jobs with attempts and last error", body = Vec<Job>),
        (status = 400, description = "Unknown status or bad limit", body = Problem)))]
pub async fn list_jobs(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Query(query): Query<JobsQuery>,
) -> Result<Json<Vec<Job>>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit must be between 1 and {MAX_LIMIT}, got {limit}"),
        ));
    }
    let jobs = state
        .store
        .jobs()
        .list(account.id, query.status, limit)
        .await?;
    Ok(Json(jobs))
}

/// Puts a dead job back in the queue with fresh attempts; a run job's run resumes.
#[utoipa::path(post, path = "/v1/jobs/{id}/retry", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "Queued again", body = Job),
        (status = 404, description = "No such job in this account", body = Problem),
        (status = 409, description = "The job is not dead, or its list has another active run", body = Problem)))]
pub async fn retry_job(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<JobId>,
) -> Result<Json<Job>, ApiError> {
    Ok(Json(retry_dead_job(&state, account.id, id).await?))
}
