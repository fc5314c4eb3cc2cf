//! `/v1/alert-channels`: where the account's alerts go (email over SMTP, signed
//! webhooks), and *Send a test alert*. Thin: parse, call
//! [`crate::alerts::AlertChannels`]; its errors are answered as [`super::problems`] says.
//! Passwords and signing secrets are write-only (`password_set`, `secret_set`).

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::json_body::JsonObject;
use crate::{
    alerts::{AlertChannel, AlertChannels, ChannelInput, ChannelPatch},
    app::AppState,
    auth::AuthedAccount,
    error::{ApiError, Problem},
    store::AlertChannelId,
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_channel, list_channels))
        .routes(routes!(get_channel, update_channel, delete_channel))
        .routes(routes!(test_channel))
}

/// What *Send a test alert* did.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestResult {
    /// Always true in a 200 answer.
    pub sent: bool,
    /// What the server answered.
    pub detail: String,
}

/// Saves a channel: exactly one of `email` or `webhook`.
#[utoipa::path(post, path = "/v1/alert-channels", tag = "alerts", request_body = ChannelInput,
    responses(
        (status = 201, description = "Saved", body = AlertChannel),
        (status = 422, description = "A field is invalid or an address is not allowed; the message names it", body = Problem)))]
pub async fn create_channel(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    JsonObject(body): JsonObject<ChannelInput>,
) -> Result<(StatusCode, Json<AlertChannel>), ApiError> {
    let saved = AlertChannels::from_state(&state)
        .create(account.id, body)
        .await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// The account's channels.
#[utoipa::path(get, path = "/v1/alert-channels", tag = "alerts",
    responses((status = 200, description = "The account's alert channels", body = Vec<AlertChannel>)))]
pub async fn list_channels(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
) -> Result<Json<Vec<AlertChannel>>, ApiError> {
    Ok(Json(
        AlertChannels::from_state(&state).list(account.id).await?,
    ))
}

/// One channel.
#[utoipa::path(get, path = "/v1/alert-channels/{id}", tag = "alerts",
    params(("id" = uuid::Uuid, Path, description = "Alert channel id")),
    responses(
        (status = 200, description = "The channel", body = AlertChannel),
        (status = 404, description = "No such channel in this account", body = Problem)))]
pub async fn get_channel(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<AlertChannelId>,
) -> Result<Json<AlertChannel>, ApiError> {
    Ok(Json(
        AlertChannels::from_state(&state)
            .get(account.id, id)
            .await?,
    ))
}

/// Changes a channel; a password or secret left out is kept.
#[utoipa::path(patch, path = "/v1/alert-channels/{id}", tag = "alerts",
    params(("id" = uuid::Uuid, Path, description = "Alert channel id")), request_body = ChannelPatch,
    responses(
        (status = 200, description = "Saved", body = AlertChannel),
        (status = 404, description = "No such channel in this account", body = Problem),
        (status = 422, description = "A field is invalid or an address is not allowed; the message names it", body = Problem)))]
pub async fn update_channel(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<AlertChannelId>,
    JsonObject(body): JsonObject<ChannelPatch>,
) -> Result<Json<AlertChannel>, ApiError> {
    Ok(Json(
        AlertChannels::from_state(&state)
            .update(account.id, id, body)
            .await?,
    ))
}

/// Deletes a channel; alerts queued for it are dropped.
#[utoipa::path(delete, path = "/v1/alert-channels/{id}", tag = "alerts",
    params(("id" = uuid::Uuid, Path, description = "Alert channel id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such channel in this account", body = Problem)))]
pub async fn delete_channel(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<AlertChannelId>,
) -> Result<StatusCode, ApiError> {
    AlertChannels::from_state(&state)
        .delete(account.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// *Send a test alert*: sends now (waiting at most 5 s) and answers what the server said:
/// 200 when it took the alert, 502 in its words when it refused, 422 when it could not
/// be reached.
#[utoipa::path(post, path = "/v1/alert-channels/{id}/test", tag = "alerts",
    params(("id" = uuid::Uuid, Path, description = "Alert channel id")),
    responses(
        (status = 200, description = "Sent", body = TestResult),
        (status = 404, description = "No such channel in this account", body = Problem),
        (status = 422, description = "The channel's address is not allowed (any more), or its server could not be reached", body = Problem),
        (status = 502, description = "The server answered and did not take the alert; in its words", body = Problem)))]
pub async fn test_channel(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<AlertChannelId>,
) -> Result<Json<TestResult>, ApiError> {
    let detail = AlertChannels::from_state(&state)
        .test(account.id, id)
        .await?;
    Ok(Json(TestResult { sent: true, detail }))
}
