//! `/v1/field-usages`: the account's Standard Field Names (list column → system usage).
//! Thin: parse, call [`crate::field_usages`].

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::json_body::JsonObject;
use crate::{
    app::AppState,
    auth::AuthedAccount,
    domain::field_usage::{FieldUsage, SystemUsage},
    error::{ApiError, Problem},
    field_usages,
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_usages, set_usage))
        .routes(routes!(delete_usage))
}

/// The account's mapping and the usages a column may have.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsagesView {
    /// Column → usage, by column name.
    pub usages: Vec<FieldUsage>,
    /// Every valid usage name.
    pub valid_usages: Vec<&'static str>,
}

/// A column's usage to save.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetUsageBody {
    /// Column name (matched case-insensitively across the account's lists).
    pub column: String,
    /// A system usage, e.g. `business_city`.
    pub usage: String,
}

/// The account's Standard Field Names.
#[utoipa::path(get, path = "/v1/field-usages", tag = "field-usages",
    responses((status = 200, description = "The mapping", body = UsagesView)))]
pub async fn list_usages(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
) -> Result<Json<UsagesView>, ApiError> {
    Ok(Json(UsagesView {
        usages: field_usages::all(&state, account.id).await?,
        valid_usages: SystemUsage::names(),
    }))
}

/// Maps a column to a system usage (replacing its previous one).
#[utoipa::path(put, path = "/v1/field-usages", tag = "field-usages", request_body = SetUsageBody,
    responses(
        (status = 200, description = "Saved", body = FieldUsage),
        (status = 422, description = "Not a system usage (the valid ones are listed)", body = Problem)))]
pub async fn set_usage(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    JsonObject(body): JsonObject<SetUsageBody>,
) -> Result<Json<FieldUsage>, ApiError> {
    Ok(Json(
        field_usages::set(&state, account.id, &body.column, &body.usage).await?,
    ))
}

/// Removes a column's usage.
#[utoipa::path(delete, path = "/v1/field-usages/{column}", tag = "field-usages",
    params(("column" = String, Path, description = "Column name")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "The column has no usage", body = Problem)))]
pub async fn delete_usage(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(column): Path<String>,
) -> Result<StatusCode, ApiError> {
    field_usages::remove(&state, account.id, &column).await?;
    Ok(StatusCode::NO_CONTENT)
}
