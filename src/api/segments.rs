//! Segments: `/v1/lists/{id}/segments` and `/v1/segments/{id}`. Thin: parse, call
//! [`crate::lists::segments`], shape the answer.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::json_body::JsonObject;
use super::members::MemberPageView;
use crate::{
    app::AppState,
    auth::AuthedAccount,
    domain::segment_filter::SegmentFilter,
    error::{ApiError, Problem},
    lists::segments::{self, SegmentDetail},
    store::{ListId, MemberId, SegmentId},
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_segment, list_segments))
        .routes(routes!(get_segment, update_segment, delete_segment))
        .routes(routes!(segment_members))
}

/// A segment to save.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentBody {
    /// Name, unique within the list.
    pub name: String,
    /// The conditions and how they combine.
    pub filter: SegmentFilter,
}

/// A segment as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentView {
    /// Segment id.
    pub id: SegmentId,
    /// The list it filters.
    pub list_id: ListId,
    /// Name.
    pub name: String,
    /// The filter.
    pub filter: SegmentFilter,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<SegmentDetail> for SegmentView {
    fn from(d: SegmentDetail) -> Self {
        SegmentView {
            id: d.segment.id,
            list_id: d.segment.list_id,
            name: d.segment.name,
            filter: d.filter,
            created_at: d.segment.created_at,
        }
    }
}

/// Which page of a segment's members.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SegmentMembersQuery {
    /// The `next` cursor of the previous page.
    #[param(value_type = Option<uuid::Uuid>)]
    pub after: Option<MemberId>,
    /// Members per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

/// Saves a segment of a list; the filter is checked against the list's columns.
#[utoipa::path(post, path = "/v1/lists/{id}/segments", tag = "segments",
    params(("id" = uuid::Uuid, Path, description = "List id")), request_body = SegmentBody,
    responses(
        (status = 201, description = "Saved", body = SegmentView),
        (status = 404, description = "No such list in this account", body = Problem),
        (status = 409, description = "The list has a segment with this name", body = Problem),
        (status = 422, description = "The filter names an unknown column or lacks a value", body = Problem)))]
pub async fn create_segment(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(list): Path<ListId>,
    JsonObject(body): JsonObject<SegmentBody>,
) -> Result<(StatusCode, Json<SegmentView>), ApiError> {
    let saved = segments::create(&state, account.id, list, &body.name, &body.filter).await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// The segments of a list.
#[utoipa::path(get, path = "/v1/lists/{id}/segments", tag = "segments",
    params(("id" = uuid::Uuid, Path, description = "List id")),
    responses(
        (status = 200, description = "The list's segments", body = Vec<SegmentView>),
        (status = 404, description = "No such list in this account", body = Problem)))]
pub async fn list_segments(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(list): Path<ListId>,
) -> Result<Json<Vec<SegmentView>>, ApiError> {
    let all = segments::for_list(&state, account.id, list).await?;
    Ok(Json(all.into_iter().map(SegmentView::from).collect()))
}

/// One segment.
#[utoipa::path(get, path = "/v1/segments/{id}", tag = "segments",
    params(("id" = uuid::Uuid, Path, description = "Segment id")),
    responses(
        (status = 200, description = "The segment", body = SegmentView),
        (status = 404, description = "No such segment in this account", body = Problem)))]
pub async fn get_segment(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<SegmentId>,
) -> Result<Json<SegmentView>, ApiError> {
    Ok(Json(segments::get(&state, account.id, id).await?.into()))
}

/// Replaces a segment's name and filter.
#[utoipa::path(put, path = "/v1/segments/{id}", tag = "segments",
    params(("id" = uuid::Uuid, Path, description = "Segment id")), request_body = SegmentBody,
    responses(
        (status = 200, description = "Saved", body = SegmentView),
        (status = 404, description = "No such segment in this account", body = Problem),
        (status = 409, description = "The list has another segment with this name", body = Problem),
        (status = 422, description = "The filter names an unknown column or lacks a value", body = Problem)))]
pub async fn update_segment(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<SegmentId>,
    JsonObject(body): JsonObject<SegmentBody>,
) -> Result<Json<SegmentView>, ApiError> {
    let saved = segments::update(&state, account.id, id, &body.name, &body.filter).await?;
    Ok(Json(saved.into()))
}

/// Deletes a segment (its list and members stay).
#[utoipa::path(delete, path = "/v1/segments/{id}", tag = "segments",
    params(("id" = uuid::Uuid, Path, description = "Segment id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such segment in this account", body = Problem)))]
pub async fn delete_segment(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<SegmentId>,
) -> Result<StatusCode, ApiError> {
    segments::delete(&state, account.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The segment's members, computed from its list now.
#[utoipa::path(get, path = "/v1/segments/{id}/members", tag = "segments",
    params(("id" = uuid::Uuid, Path, description = "Segment id"), SegmentMembersQuery),
    responses(
        (status = 200, description = "A page of matching members", body = MemberPageView<MemberId>),
        (status = 404, description = "No such segment in this account", body = Problem),
        (status = 422, description = "Limit out of range", body = Problem)))]
pub async fn segment_members(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<SegmentId>,
    Query(query): Query<SegmentMembersQuery>,
) -> Result<Json<MemberPageView<MemberId>>, ApiError> {
    let page = segments::members(&state, account.id, id, query.after, query.limit).await?;
    Ok(Json(MemberPageView {
        members: page.members,
        next: page.next,
    }))
}
