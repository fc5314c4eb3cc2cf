//! `/v1/lists/{id}/schedule` and `/v1/segments/{id}/schedule`: set, read and remove the
//! schedule of a list or segment. Thin: parse, call
//! [`crate::scheduling::ScheduleService`]; its errors are answered as
//! [`super::problems`] says.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::json_body::JsonObject;
use crate::{
    app::AppState,
    auth::AuthedAccount,
    error::{ApiError, Problem},
    scheduling::{Rule, ScheduleDetails, ScheduleRequest, ScheduleService},
    store::{ListId, ScheduleTarget, SegmentId},
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            put_list_schedule,
            get_list_schedule,
            delete_list_schedule
        ))
        .routes(routes!(
            put_segment_schedule,
            get_segment_schedule,
            delete_segment_schedule
        ))
}

/// A schedule as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleView {
    /// The list or segment it syncs.
    pub target: ScheduleTarget,
    /// When it runs.
    #[serde(flatten)]
    pub rule: Rule,
    /// Switched on; an enabled schedule counts toward the limit of ten.
    pub enabled: bool,
    /// Paused because the CRM connector was reset; *Reconfirm Login* resumes it.
    pub paused: bool,
    /// The next three runs (UTC); empty while disabled or paused.
    pub next_runs: Vec<DateTime<Utc>>,
    /// The last slot that fired (UTC).
    pub last_slot_at: Option<DateTime<Utc>>,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<ScheduleDetails> for ScheduleView {
    fn from(d: ScheduleDetails) -> Self {
        ScheduleView {
            target: d.schedule.target,
            rule: d.rule,
            enabled: d.schedule.enabled,
            paused: d.schedule.paused,
            next_runs: d.next_runs,
            last_slot_at: d.schedule.last_slot_at,
            created_at: d.schedule.created_at,
            updated_at: d.schedule.updated_at,
        }
    }
}

async fn put(
    state: &AppState,
    auth: &AuthedAccount,
    target: ScheduleTarget,
    body: ScheduleRequest,
) -> Result<Json<ScheduleView>, ApiError> {
    let details = ScheduleService::new(state)
        .put(auth.0.id, target, body)
        .await?;
    Ok(Json(details.into()))
}

async fn get(
    state: &AppState,
    auth: &AuthedAccount,
    target: ScheduleTarget,
) -> Result<Json<ScheduleView>, ApiError> {
    let details = ScheduleService::new(state).get(auth.0.id, target).await?;
    Ok(Json(details.into()))
}

async fn delete(
    state: &AppState,
    auth: &AuthedAccount,
    target: ScheduleTarget,
) -> Result<StatusCode, ApiError> {
    ScheduleService::new(state)
        .delete(auth.0.id, target)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the list's schedule (creating or replacing it). The next run is computed at once.
#[utoipa::path(put, path = "/v1/lists/{id}/schedule", tag = "schedules",
    params(("id" = uuid::Uuid, Path, description = "List id")), request_body = ScheduleRequest,
    responses(
        (status = 200, description = "Saved, with the next three runs", body = ScheduleView),
        (status = 422, description = "A field is refused (named in `details.field`): a time zone that does not exist, a field the frequency needs, a value out of range", body = Problem),
        (status = 404, description = "No such list in this account", body = Problem),
        (status = 409, description = "Ten lists and segments are already scheduled (named in the message and `details.scheduled`)", body = Problem)))]
pub async fn put_list_schedule(
    State(state): State<AppState>,
    auth: AuthedAccount,
    Path(id): Path<ListId>,
    JsonObject(body): JsonObject<ScheduleRequest>,
) -> Result<Json<ScheduleView>, ApiError> {
    put(&state, &auth, ScheduleTarget::List(id), body).await
}

/// The list's schedule with its next three runs.
#[utoipa::path(get, path = "/v1/lists/{id}/schedule", tag = "schedules",
    params(("id" = uuid::Uuid, Path, description = "List id")),
    responses(
        (status = 200, description = "The schedule", body = ScheduleView),
        (status = 404, description = "No such list, or it has no schedule", body = Problem)))]
pub async fn get_list_schedule(
    State(state): State<AppState>,
    auth: AuthedAccount,
    Path(id): Path<ListId>,
) -> Result<Json<ScheduleView>, ApiError> {
    get(&state, &auth, ScheduleTarget::List(id)).await
}

/// Removes the list's schedule, freeing its place among the ten.
#[utoipa::path(delete, path = "/v1/lists/{id}/schedule", tag = "schedules",
    params(("id" = uuid::Uuid, Path, description = "List id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such list, or it has no schedule", body = Problem)))]
pub async fn delete_list_schedule(
    State(state): State<AppState>,
    auth: AuthedAccount,
    Path(id): Path<ListId>,
) -> Result<StatusCode, ApiError> {
    delete(&state, &auth, ScheduleTarget::List(id)).await
}

/// Sets the segment's schedule (creating or replacing it).
#[utoipa::path(put, path = "/v1/segments/{id}/schedule", tag = "schedules",
    params(("id" = uuid::Uuid, Path, description = "Segment id")), request_body = ScheduleRequest,
    responses(
        (status = 200, description = "Saved, with the next three runs", body = ScheduleView),
        (status = 422, description = "A field is refused (named in `details.field`): a time zone that does not exist, a field the frequency needs, a value out of range", body = Problem),
        (status = 404, description = "No such segment in this account", body = Problem),
        (status = 409, description = "Ten lists and segments are already scheduled (named in the message and `details.scheduled`)", body = Problem)))]
pub async fn put_segment_schedule(
    State(state): State<AppState>,
    auth: AuthedAccount,
    Path(id): Path<SegmentId>,
    JsonObject(body): JsonObject<ScheduleRequest>,
) -> Result<Json<ScheduleView>, ApiError> {
    put(&state, &auth, ScheduleTarget::Segment(id), body).await
}

/// The segment's schedule with its next three runs.
#[utoipa::path(get, path = "/v1/segments/{id}/schedule", tag = "schedules",
    params(("id" = uuid::Uuid, Path, description = "Segment id")),
    responses(
        (status = 200, description = "The schedule", body = ScheduleView),
        (status = 404, description = "No such segment, or it has no schedule", body = Problem)))]
pub async fn get_segment_schedule(
    State(state): State<AppState>,
    auth: AuthedAccount,
    Path(id): Path<SegmentId>,
) -> Result<Json<ScheduleView>, ApiError> {
    get(&state, &auth, ScheduleTarget::Segment(id)).await
}

/// Removes the segment's schedule, freeing its place among the ten.
#[utoipa::path(delete, path = "/v1/segments/{id}/schedule", tag = "schedules",
    params(("id" = uuid::Uuid, Path, description = "Segment id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such segment, or it has no schedule", body = Problem)))]
pub async fn delete_segment_schedule(
    State(state): State<AppState>,
    auth: AuthedAccount,
    Path(id): Path<SegmentId>,
) -> Result<StatusCode, ApiError> {
    delete(&state, &auth, ScheduleTarget::Segment(id)).await
}
