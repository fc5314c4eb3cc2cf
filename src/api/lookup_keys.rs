//! `/v1/lookup-keys`: create, list and revoke the keys a phone system uses in the
//! public lookup URL `/crm-lookup/{lookup_key}`. Thin: parse, call
//! [`crate::callers::keys::LookupKeys`]; its errors are answered as
//! [`super::problems`] says. The key (and secret) appear once, in the create answer.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::json_body::JsonObject;
use crate::{
    app::AppState,
    auth::AuthedAccount,
    callers::keys::{KeySummary, LookupKeys, NewKey},
    error::{ApiError, Problem},
    store::LookupKeyId,
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_lookup_key, list_lookup_keys))
        .routes(routes!(revoke_lookup_key))
}

/// A lookup key to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupKeyBody {
    /// What the key is for, e.g. the phone system it goes into.
    pub name: String,
    /// Also require the header `X-Lookup-Secret` (its value is in the answer, once).
    #[serde(default)]
    pub require_secret: bool,
    /// The CRM field a caller's typed digits (`dtmf`) are matched against.
    #[serde(default)]
    pub dtmf_field: Option<String>,
}

/// A created key: `lookup_key` and `secret` are shown only in this answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedLookupKeyView {
    /// Key id (for revoking).
    pub id: LookupKeyId,
    /// What the key is for.
    pub name: String,
    /// The key, for the lookup URL `/crm-lookup/{lookup_key}`.
    pub lookup_key: String,
    /// The `X-Lookup-Secret` value, when the key requires one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The field typed digits are matched against.
    pub dtmf_field: Option<String>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
}

/// A key as listed: never the key or its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct LookupKeyView {
    /// Key id.
    pub id: LookupKeyId,
    /// What the key is for.
    pub name: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    /// Whether lookups need the `X-Lookup-Secret` header.
    pub requires_secret: bool,
    /// The field typed digits are matched against.
    pub dtmf_field: Option<String>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<KeySummary> for LookupKeyView {
    fn from(k: KeySummary) -> Self {
        LookupKeyView {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            requires_secret: k.requires_secret,
            dtmf_field: k.dtmf_field,
            created_at: k.created_at,
        }
    }
}

/// Creates a lookup key; the key (and secret) are shown in this answer only.
#[utoipa::path(post, path = "/v1/lookup-keys", tag = "callers", request_body = LookupKeyBody,
    responses(
        (status = 201, description = "Created; keep the key, it is not shown again", body = CreatedLookupKeyView),
        (status = 422, description = "The name or dtmf_field is invalid", body = Problem)))]
pub async fn create_lookup_key(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    JsonObject(body): JsonObject<LookupKeyBody>,
) -> Result<(StatusCode, Json<CreatedLookupKeyView>), ApiError> {
    let created = LookupKeys::from_state(&state)
        .create(
            account.id,
            &NewKey {
                name: body.name,
                require_secret: body.require_secret,
                dtmf_field: body.dtmf_field,
            },
        )
        .await?;
    let view = CreatedLookupKeyView {
        id: created.record.id,
        name: created.record.name.clone(),
        lookup_key: created.key().to_string(),
        secret: created.secret().map(str::to_string),
        dtmf_field: created.record.dtmf_field.clone(),
        created_at: created.record.created_at,
    };
    Ok((StatusCode::CREATED, Json(view)))
}

/// The account's unrevoked lookup keys, newest first (no key material).
#[utoipa::path(get, path = "/v1/lookup-keys", tag = "callers",
    responses((status = 200, description = "The account's lookup keys", body = Vec<LookupKeyView>)))]
pub async fn list_lookup_keys(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
) -> Result<Json<Vec<LookupKeyView>>, ApiError> {
    let keys = LookupKeys::from_state(&state).list(account.id).await?;
    Ok(Json(keys.into_iter().map(LookupKeyView::from).collect()))
}

/// Revokes a lookup key: the lookup URL with it answers 401 from now on.
#[utoipa::path(delete, path = "/v1/lookup-keys/{id}", tag = "callers",
    params(("id" = uuid::Uuid, Path, description = "Lookup key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such unrevoked lookup key in this account", body = Problem)))]
pub async fn revoke_lookup_key(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<LookupKeyId>,
) -> Result<StatusCode, ApiError> {
    LookupKeys::from_state(&state)
        .revoke(account.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
