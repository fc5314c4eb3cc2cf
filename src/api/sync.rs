//! `/v1/lists/{id}/sync` and `/v1/segments/{id}/sync`: the sync setup. Thin: parse,
//! call [`crate::sync`], answer. Running a setup is in [`super::runs`].

use axum::{
    Json,
    extract::{Path, State},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::json_body::JsonObject;
use crate::{
    app::AppState,
    auth::AuthedAccount,
    engine::SyncSetup,
    error::{ApiError, Problem},
    store::{ListId, SegmentId},
    sync::{self, SyncTarget},
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_list_sync, put_list_sync))
        .routes(routes!(get_segment_sync, put_segment_sync))
}

/// A list's sync setup (defaults when none was saved).
#[utoipa::path(get, path = "/v1/lists/{id}/sync", tag = "sync",
    params(("id" = uuid::Uuid, Path, description = "List id")),
    responses((status = 200, description = "The setup", body = SyncSetup),
        (status = 404, description = "No such list in this account", body = Problem)))]
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
    params(("id" = uuid::Uuid, Path, description = "List id")), request_body = SyncSetup,
    responses((status = 200, description = "Saved", body = SyncSetup),
        (status = 404, description = "No such list in this account", body = Problem),
        (status = 409, description = "The list's connector was reset; reconfirm its login first", body = Problem),
        (status = 422, description = "The setup cannot work; `details.names` lists the fields or columns", body = Problem)))]
pub async fn put_list_sync(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ListId>,
    JsonObject(setup): JsonObject<SyncSetup>,
) -> Result<Json<SyncSetup>, ApiError> {
    Ok(Json(
        sync::save_setup(&state, account.id, SyncTarget::List(id), setup).await?,
    ))
}

/// A segment's push setup.
#[utoipa::path(get, path = "/v1/segments/{id}/sync", tag = "sync",
    params(("id" = uuid::Uuid, Path, description = "Segment id")),
    responses((status = 200, description = "The setup", body = SyncSetup),
        (status = 404, description = "No such segment in this account", body = Problem)))]
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
    params(("id" = uuid::Uuid, Path, description = "Segment id")), request_body = SyncSetup,
    responses((status = 200, description = "Saved", body = SyncSetup),
        (status = 404, description = "No such segment in this account", body = Problem),
        (status = 409, description = "The list's connector was reset; reconfirm its login first", body = Problem),
        (status = 422, description = "The setup cannot work; `details.names` lists the fields", body = Problem)))]
pub async fn put_segment_sync(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<SegmentId>,
    JsonObject(setup): JsonObject<SyncSetup>,
) -> Result<Json<SyncSetup>, ApiError> {
    Ok(Json(
        sync::save_setup(&state, account.id, SyncTarget::Segment(id), setup).await?,
    ))
}
