//! `/v1/jobs`: the account's background jobs (queued, running, failed and dead, with the
//! last error and attempts) and retrying dead ones by hand.

use axum::{
    Json,
    extract::{Path, Query, State},
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::paging::PageBounds;
use crate::{
    app::AppState,
    auth::AuthedAccount,
    error::{ApiError, Problem},
    store::{Job, JobId, JobStatus},
    workers::retry_dead_job,
};

/// Jobs per listing: 100 unless the caller says, at most 500.
const JOB_PAGES: PageBounds = PageBounds {
    default: 100,
    max: 500,
};

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
    #[param(inline)]
    pub status: Option<JobStatus>,
    /// At most this many, newest first (default 100, at most 500).
    #[param(minimum = 1, maximum = 500)]
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
    let limit = JOB_PAGES.read(query.limit)?;
    let jobs = state
        .store
        .jobs()
        .list(account.id, query.status, limit)
        .await?;
    Ok(Json(jobs))
}

/// Puts a dead job back in the queue with fresh attempts; a run job's run resumes.
#[utoipa::path(post, path = "/v1/jobs/{id}/retry", tag = "jobs",
    params(("id" = uuid::Uuid, Path, description = "Job id")),
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
