//! `/v1/jobs`: the account's background jobs (queued, running, failed and dead, with the
//! last error and attempts) and retrying dead ones by hand.

use axum::{
    Json,
    extract::{Path, Query, State},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::AppState,
    auth::AuthedAccount,
    error::{ApiError, Problem},
    jobs::{RetryError, retry_dead_job},
    store::{Job, JobId, JobKind, JobStatus},
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

/// A job status to filter by.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// Waiting for a worker.
    Queued,
    /// Held by a worker.
    Running,
    /// Finished.
    Succeeded,
    /// Failed, waiting to retry.
    Failed,
    /// Gave up; retry by hand.
    Dead,
}

impl From<StatusFilter> for JobStatus {
    fn from(s: StatusFilter) -> Self {
        match s {
            StatusFilter::Queued => JobStatus::Queued,
            StatusFilter::Running => JobStatus::Running,
            StatusFilter::Succeeded => JobStatus::Succeeded,
            StatusFilter::Failed => JobStatus::Failed,
            StatusFilter::Dead => JobStatus::Dead,
        }
    }
}

/// Which jobs to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct JobsQuery {
    /// Only jobs in this status.
    #[param(value_type = Option<String>, example = "dead")]
    pub status: Option<StatusFilter>,
    /// At most this many, newest first (default 100, at most 500).
    pub limit: Option<u64>,
}

/// A job as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    /// Job id.
    pub id: JobId,
    /// What it does.
    pub kind: JobKind,
    /// Its input, e.g. `{"run_id": …}`.
    pub payload: serde_json::Value,
    /// `queued`, `running`, `succeeded`, `failed` (retrying at `run_at`) or `dead`.
    pub status: JobStatus,
    /// Attempts started.
    pub attempts: i32,
    /// Attempts allowed before it is dead.
    pub max_attempts: i32,
    /// Not before this instant (UTC).
    pub run_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Queued at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<Job> for JobView {
    fn from(j: Job) -> Self {
        JobView {
            id: j.id,
            kind: j.kind,
            payload: j.payload,
            status: j.status,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: j.run_at,
            last_error: j.last_error,
            created_at: j.created_at,
            updated_at: j.updated_at,
        }
    }
}

impl From<RetryError> for ApiError {
    fn from(err: RetryError) -> Self {
        match &err {
            RetryError::NotFound(id) => ApiError::not_found(format!("job {id}")),
            RetryError::NotDead { .. } => ApiError::conflict("job_not_dead", err.to_string()),
            RetryError::RunActive { .. } => ApiError::conflict("run_active", err.to_string()),
            RetryError::Store(e) => ApiError::internal(e),
        }
    }
}

/// The account's jobs, newest first.
#[utoipa::path(get, path = "/v1/jobs", tag = "jobs", params(JobsQuery),
    responses(
        (status = 200, description = "Jobs with attempts and last error", body = Vec<JobView>),
        (status = 400, description = "Unknown status or bad limit", body = Problem)))]
pub async fn list_jobs(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Query(query): Query<JobsQuery>,
) -> Result<Json<Vec<JobView>>, ApiError> {
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
        .list(account.id, query.status.map(JobStatus::from), limit)
        .await?;
    Ok(Json(jobs.into_iter().map(JobView::from).collect()))
}

/// Puts a dead job back in the queue with fresh attempts; a run job's run resumes.
#[utoipa::path(post, path = "/v1/jobs/{id}/retry", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "Queued again", body = JobView),
        (status = 404, description = "No such job in this account", body = Problem),
        (status = 409, description = "The job is not dead, or its list has another active run", body = Problem)))]
pub async fn retry_job(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<JobId>,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(retry_dead_job(&state, account.id, id).await?.into()))
}
