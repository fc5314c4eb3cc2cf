//! `/v1/routing-rules`: the account's routing rule sets (a field, ordered rows, a
//! default destination) that `/crm-lookup/{lookup_key}/route/{rule_set_id}` evaluates.
//! Thin: parse, call [`crate::callers::routing::RoutingRules`]; its errors are answered
//! as [`super::problems`] says.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::json_body::JsonObject;
use crate::{
    app::AppState,
    auth::AuthedAccount,
    callers::routing::{RoutingRules, RuleSet, RuleSetInput},
    error::{ApiError, Problem},
    store::RuleSetId,
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_rule_set, list_rule_sets))
        .routes(routes!(get_rule_set, update_rule_set, delete_rule_set))
}

/// Saves a rule set; rows are tried in order, the first match wins.
#[utoipa::path(post, path = "/v1/routing-rules", tag = "callers", request_body = RuleSetInput,
    responses(
        (status = 201, description = "Saved", body = RuleSet),
        (status = 409, description = "The account has a rule set with this name", body = Problem),
        (status = 422, description = "A part or row is invalid; the message names it", body = Problem)))]
pub async fn create_rule_set(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    JsonObject(body): JsonObject<RuleSetInput>,
) -> Result<(StatusCode, Json<RuleSet>), ApiError> {
    let saved = RoutingRules::from_state(&state)
        .create(account.id, &body)
        .await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// The account's rule sets by name.
#[utoipa::path(get, path = "/v1/routing-rules", tag = "callers",
    responses((status = 200, description = "The account's rule sets", body = Vec<RuleSet>)))]
pub async fn list_rule_sets(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
) -> Result<Json<Vec<RuleSet>>, ApiError> {
    Ok(Json(
        RoutingRules::from_state(&state).list(account.id).await?,
    ))
}

/// One rule set.
#[utoipa::path(get, path = "/v1/routing-rules/{id}", tag = "callers",
    params(("id" = uuid::Uuid, Path, description = "Rule set id")),
    responses(
        (status = 200, description = "The rule set", body = RuleSet),
        (status = 404, description = "No such rule set in this account", body = Problem)))]
pub async fn get_rule_set(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<RuleSetId>,
) -> Result<Json<RuleSet>, ApiError> {
    Ok(Json(
        RoutingRules::from_state(&state)
            .require(account.id, id)
            .await?,
    ))
}

/// Replaces a rule set whole.
#[utoipa::path(put, path = "/v1/routing-rules/{id}", tag = "callers",
    params(("id" = uuid::Uuid, Path, description = "Rule set id")), request_body = RuleSetInput,
    responses(
        (status = 200, description = "Saved", body = RuleSet),
        (status = 404, description = "No such rule set in this account", body = Problem),
        (status = 409, description = "The account has another rule set with this name", body = Problem),
        (status = 422, description = "A part or row is invalid; the message names it", body = Problem)))]
pub async fn update_rule_set(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<RuleSetId>,
    JsonObject(body): JsonObject<RuleSetInput>,
) -> Result<Json<RuleSet>, ApiError> {
    Ok(Json(
        RoutingRules::from_state(&state)
            .update(account.id, id, &body)
            .await?,
    ))
}

/// Deletes a rule set; its route URL then answers 404.
#[utoipa::path(delete, path = "/v1/routing-rules/{id}", tag = "callers",
    params(("id" = uuid::Uuid, Path, description = "Rule set id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such rule set in this account", body = Problem)))]
pub async fn delete_rule_set(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<RuleSetId>,
) -> Result<StatusCode, ApiError> {
    RoutingRules::from_state(&state)
        .delete(account.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
