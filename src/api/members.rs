//! `/v1/lists/{id}/members`: page through a list's members, add one, change its values,
//! remove it. Thin: parse, call [`crate::lists`], shape the answer.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::json_body::JsonObject;
use crate::{
    app::AppState,
    auth::AuthedAccount,
    domain::values::Values,
    error::{ApiError, Problem},
    lists::{manage, members},
    store::{ListId, Member, MemberId},
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members, add_member))
        .routes(routes!(edit_member, remove_member))
}

/// Which members to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct MembersQuery {
    /// Only emails containing this text (case-insensitive).
    pub search: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Members per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

/// A page of members: a list's, paged by email (`C` is `String`), or a segment's, paged
/// by member id (`C` is [`MemberId`]).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberPageView<C> {
    /// The page's members, in the order the cursor follows.
    pub members: Vec<Member>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<C>,
}

/// A person to add to a list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberBody {
    /// Their email (normalised: trimmed, lower-cased).
    pub email: String,
    /// Column values by column name; every name must be a column of the list.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub values: Values,
}

/// Values to change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditMemberBody {
    /// Column values by column name; `null` blanks a value (a blank is never pushed
    /// over the CRM's value). Columns not named keep their values.
    #[schema(value_type = Object)]
    pub values: Values,
}

/// The list's members in email order, optionally searched by email.
#[utoipa::path(get, path = "/v1/lists/{id}/members", tag = "lists",
    params(("id" = uuid::Uuid, Path, description = "List id"), MembersQuery),
    responses(
        (status = 200, description = "A page of members", body = MemberPageView<String>),
        (status = 404, description = "No such list in this account", body = Problem),
        (status = 422, description = "Limit out of range", body = Problem)))]
pub async fn list_members(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ListId>,
    Query(query): Query<MembersQuery>,
) -> Result<Json<MemberPageView<String>>, ApiError> {
    let page = manage::members(
        &state,
        account.id,
        id,
        query.search.as_deref(),
        query.after.as_deref(),
        query.limit,
    )
    .await?;
    Ok(Json(MemberPageView {
        members: page.members,
        next: page.next,
    }))
}

/// Adds a person to the list; the next push sends them (as a lead when adding is on).
#[utoipa::path(post, path = "/v1/lists/{id}/members", tag = "lists",
    params(("id" = uuid::Uuid, Path, description = "List id")),
    request_body = AddMemberBody,
    responses(
        (status = 201, description = "The new member", body = Member),
        (status = 404, description = "No such list in this account", body = Problem),
        (status = 409, description = "The list already has this email", body = Problem),
        (status = 422, description = "Invalid email, unknown column or oversize value", body = Problem)))]
pub async fn add_member(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ListId>,
    JsonObject(body): JsonObject<AddMemberBody>,
) -> Result<(StatusCode, Json<Member>), ApiError> {
    let member = members::add(&state, account.id, id, &body.email, body.values).await?;
    Ok((StatusCode::CREATED, Json(member)))
}

/// Changes some of a member's values; the next push sends the push-update fields.
#[utoipa::path(patch, path = "/v1/lists/{id}/members/{member_id}", tag = "lists",
    params(("id" = uuid::Uuid, Path, description = "List id"),
           ("member_id" = uuid::Uuid, Path, description = "Member id")),
    request_body = EditMemberBody,
    responses(
        (status = 200, description = "The member as saved", body = Member),
        (status = 404, description = "No such list or member", body = Problem),
        (status = 422, description = "Unknown column or oversize value", body = Problem)))]
pub async fn edit_member(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path((id, member_id)): Path<(ListId, MemberId)>,
    JsonObject(body): JsonObject<EditMemberBody>,
) -> Result<Json<Member>, ApiError> {
    Ok(Json(
        members::edit(&state, account.id, id, member_id, body.values).await?,
    ))
}

/// Removes a member from the list; nothing is deleted in the CRM.
#[utoipa::path(delete, path = "/v1/lists/{id}/members/{member_id}", tag = "lists",
    params(("id" = uuid::Uuid, Path, description = "List id"),
           ("member_id" = uuid::Uuid, Path, description = "Member id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such list or member", body = Problem)))]
pub async fn remove_member(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path((id, member_id)): Path<(ListId, MemberId)>,
) -> Result<StatusCode, ApiError> {
    members::remove(&state, account.id, id, member_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
