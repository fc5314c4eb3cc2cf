//! `/v1/connectors`: Connect, Reconfirm Login, Reset Connector, and the CRM's fields.
//! Thin: parse, call [`crate::connectors::ConnectorService`], map errors.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use listbridge_connector::{FieldDef, FieldType, SourceKind};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::json_body::JsonObject;
use crate::{
    app::AppState,
    auth::AuthedAccount,
    connectors::{ConnectRequest, ReconfirmRequest},
    error::{ApiError, Problem},
    scheduling::ScheduleService,
    store::{ConnectorId, ConnectorRateLimit, ConnectorRecord, ConnectorStatus},
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_connector, list_connectors))
        .routes(routes!(get_connector, delete_connector))
        .routes(routes!(reconfirm_connector))
        .routes(routes!(reset_connector))
        .routes(routes!(connector_fields))
}

/// *Connect*: the CRM connection to verify and save.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectBody {
    /// Connector kind, e.g. `infor-crm`.
    #[schema(example = "infor-crm", pattern = r"\S")]
    pub kind: String,
    /// The CRM's address, e.g. `https://acme.saleslogixcloud.com`.
    #[schema(example = "https://acme.saleslogixcloud.com", pattern = r"\S")]
    pub base_url: String,
    /// CRM login name; for a CRM that logs in with an OAuth client (Salesforce), the
    /// connected app's consumer key, also accepted as `client_id`.
    #[schema(pattern = r"\S")]
    #[serde(alias = "client_id")]
    pub username: String,
    /// CRM password, or the OAuth client's secret (also accepted as `client_secret`);
    /// stored encrypted, never returned.
    #[schema(value_type = String, format = Password, min_length = 1)]
    #[serde(alias = "client_secret")]
    pub password: SecretString,
    /// This connector's own request budget; the service's defaults
    /// (`LISTBRIDGE_CRM_REQUESTS_PER_SECOND`, `LISTBRIDGE_CRM_CONCURRENCY`) where absent.
    #[serde(default)]
    pub rate_limit: Option<RateLimitBody>,
}

/// A connector's own request budget, for a CRM that allows more or needs less than
/// the service's defaults.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitBody {
    /// Sustained requests per second, 1 to 1000.
    #[schema(minimum = 1, maximum = 1000)]
    pub requests_per_second: Option<u32>,
    /// Requests in flight at once, 1 to 64.
    #[schema(minimum = 1, maximum = 64)]
    pub concurrency: Option<u32>,
}

/// The request budget a connector works under.
#[derive(Debug, Serialize, ToSchema)]
pub struct RateLimitView {
    /// Sustained requests per second.
    pub requests_per_second: u32,
    /// Requests that may start at once after a quiet spell.
    pub burst: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
}

/// *Reconfirm Login*: new credentials for an existing connector.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconfirmBody {
    /// New base URL, for a CRM that moved; verified by logging in there before it is
    /// saved. Unchanged when absent.
    #[schema(pattern = r"\S")]
    pub base_url: Option<String>,
    /// New login name; unchanged when absent.
    #[schema(pattern = r"\S")]
    pub username: Option<String>,
    /// The password to verify and store.
    #[schema(value_type = String, format = Password, min_length = 1)]
    pub password: SecretString,
}

/// The CRM user a connector logs in as.
#[derive(Debug, Serialize, ToSchema)]
pub struct CrmUserView {
    /// The CRM's user id.
    pub id: String,
    /// The user's name.
    pub name: String,
}

/// A connector as the API shows it: never its password.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorView {
    /// Connector id.
    pub id: ConnectorId,
    /// Connector kind.
    pub kind: String,
    /// The CRM's address.
    pub base_url: String,
    /// CRM login name.
    pub username: String,
    /// `connected`, or `reset` after *Reset Connector*.
    pub status: ConnectorStatus,
    /// The CRM user at the last successful login.
    pub crm_user: Option<CrmUserView>,
    /// When the login was last verified (UTC).
    pub last_verified_at: Option<DateTime<Utc>>,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
    /// The request budget in force: the connector's own values, else the service's.
    pub rate_limit: RateLimitView,
}

impl ConnectorView {
    /// The view of a stored connector, with the budget it works under.
    fn of(state: &AppState, record: ConnectorRecord) -> Self {
        let rate = state.connectors().rate_limit(&record);
        let (crm_user, last_verified_at) = match record.verified {
            Some(v) => (
                Some(CrmUserView {
                    id: v.crm_user_id,
                    name: v.crm_user_name,
                }),
                Some(v.verified_at),
            ),
            None => (None, None),
        };
        ConnectorView {
            id: record.id,
            kind: record.kind,
            base_url: record.base_url,
            username: record.username,
            status: record.status,
            crm_user,
            last_verified_at,
            created_at: record.created_at,
            updated_at: record.updated_at,
            rate_limit: RateLimitView {
                requests_per_second: rate.requests_per_second,
                burst: rate.burst,
                concurrency: rate.concurrency,
            },
        }
    }
}

/// One CRM field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldView {
    /// The CRM's field name (dotted for related records: `Address.City`).
    pub name: String,
    /// A label for people.
    pub label: String,
    /// `text`, `integer`, `decimal`, `boolean`, `date_time`, `date` or `reference`.
    #[schema(value_type = String)]
    pub field_type: FieldType,
    /// Longest accepted text, when declared.
    pub max_length: Option<u32>,
    /// A create without it is rejected.
    pub required: bool,
    /// The CRM maintains it.
    pub read_only: bool,
    /// Added by the CRM's customer.
    pub custom: bool,
}

impl From<FieldDef> for FieldView {
    fn from(f: FieldDef) -> Self {
        FieldView {
            name: f.name,
            label: f.label,
            field_type: f.field_type,
            max_length: f.max_length,
            required: f.required,
            read_only: f.read_only,
            custom: f.custom,
        }
    }
}

/// Which entity's fields to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct FieldsQuery {
    /// `lead` or `contact` (what lists and forms hold), or `opportunity` (what a
    /// conversion export may read, with the fields of records linked to it).
    #[param(value_type = SourceKindSchema, inline)]
    pub entity: SourceKind,
}

/// What a connector reads: `lead`, `contact` or `opportunity`.
// The connector SDK's `SourceKind` as the document shows it.
#[derive(Debug, ToSchema)]
#[schema(as = SourceKind, rename_all = "lowercase")]
pub enum SourceKindSchema {
    /// CRM leads.
    Lead,
    /// CRM contacts.
    Contact,
    /// CRM sales opportunities.
    Opportunity,
}

/// A CRM entity: `lead` or `contact`.
// The connector SDK's `EntityKind` as the document shows it (the SDK does not depend on
// utoipa), so the document lists the only values accepted.
#[derive(Debug, ToSchema)]
#[schema(as = EntityKind, rename_all = "lowercase")]
pub enum EntityKindSchema {
    /// A CRM lead.
    Lead,
    /// A CRM contact.
    Contact,
}

/// *Connect*: verifies the login, then saves the connector (nothing is saved on failure).
#[utoipa::path(post, path = "/v1/connectors", tag = "connectors", request_body = ConnectBody,
    responses(
        (status = 201, description = "Verified and saved", body = ConnectorView),
        (status = 400, description = "A missing field, a rate limit out of range", body = Problem),
        (status = 409, description = "The account is already connected to this CRM (same kind and address)", body = Problem),
        (status = 422, description = "Login refused, host unreachable, not a CRM endpoint, an address the outbound policy refuses, not an http(s) URL (`invalid_url`), plain http:// to a host it does not allow (`insecure_url`), or a kind this service has no connector for (`unknown_kind`)", body = Problem),
        (status = 429, description = "Too many Connect and Reconfirm attempts by this account; see `details.retry_after_seconds`", body = Problem)))]
pub async fn create_connector(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    JsonObject(body): JsonObject<ConnectBody>,
) -> Result<(StatusCode, Json<ConnectorView>), ApiError> {
    let rate_limit = body.rate_limit.unwrap_or_default();
    let request = ConnectRequest {
        kind: body.kind,
        base_url: body.base_url,
        username: body.username,
        password: body.password,
        rate_limit: ConnectorRateLimit {
            requests_per_second: rate_limit.requests_per_second,
            concurrency: rate_limit.concurrency,
        },
    };
    let record = state.connectors().connect(account.id, request).await?;
    Ok((StatusCode::CREATED, Json(ConnectorView::of(&state, record))))
}

/// The account's connectors.
#[utoipa::path(get, path = "/v1/connectors", tag = "connectors",
    responses((status = 200, description = "All connectors of the account", body = Vec<ConnectorView>)))]
pub async fn list_connectors(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
) -> Result<Json<Vec<ConnectorView>>, ApiError> {
    let records = state.connectors().list(account.id).await?;
    Ok(Json(
        records
            .into_iter()
            .map(|record| ConnectorView::of(&state, record))
            .collect(),
    ))
}

/// One connector: status, CRM user, last verification.
#[utoipa::path(get, path = "/v1/connectors/{id}", tag = "connectors",
    params(("id" = uuid::Uuid, Path, description = "Connector id")),
    responses(
        (status = 200, description = "The connector", body = ConnectorView),
        (status = 404, description = "No such connector in this account", body = Problem)))]
pub async fn get_connector(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ConnectorId>,
) -> Result<Json<ConnectorView>, ApiError> {
    let record = state.connectors().get(account.id, id).await?;
    Ok(Json(ConnectorView::of(&state, record)))
}

/// *Delete connector*: refused while lists, forms, schedules or waiting notes use it
/// (the message and `details` name them: `lists`, `forms`, `schedules`,
/// `waiting_notes`, `waiting_calls`); nothing else is deleted with it.
#[utoipa::path(delete, path = "/v1/connectors/{id}", tag = "connectors",
    params(("id" = uuid::Uuid, Path, description = "Connector id")),
    responses(
        (status = 204, description = "Deleted, with its stored login"),
        (status = 404, description = "No such connector in this account", body = Problem),
        (status = 409, description = "Still in use; `details` names what uses it", body = Problem)))]
pub async fn delete_connector(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ConnectorId>,
) -> Result<StatusCode, ApiError> {
    state.connectors().delete(account.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// *Reconfirm Login*: verifies new credentials and keeps everything else.
#[utoipa::path(post, path = "/v1/connectors/{id}/reconfirm", tag = "connectors",
    params(("id" = uuid::Uuid, Path, description = "Connector id")), request_body = ReconfirmBody,
    responses(
        (status = 200, description = "Verified and saved", body = ConnectorView),
        (status = 404, description = "No such connector in this account", body = Problem),
        (status = 400, description = "An empty password or login name", body = Problem),
        (status = 422, description = "Login refused, host unreachable, or the stored address is no longer allowed; nothing changed", body = Problem),
        (status = 429, description = "Too many Connect and Reconfirm attempts by this account; see `details.retry_after_seconds`", body = Problem)))]
pub async fn reconfirm_connector(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ConnectorId>,
    JsonObject(body): JsonObject<ReconfirmBody>,
) -> Result<Json<ConnectorView>, ApiError> {
    let request = ReconfirmRequest {
        base_url: body.base_url,
        username: body.username,
        password: body.password,
    };
    let record = state
        .connectors()
        .reconfirm(account.id, id, request)
        .await?;
    ScheduleService::new(&state)
        .resume_for_connector(account.id, id)
        .await?;
    Ok(Json(ConnectorView::of(&state, record)))
}

/// *Reset Connector*: forgets the credentials; lists and their data stay.
#[utoipa::path(post, path = "/v1/connectors/{id}/reset", tag = "connectors",
    params(("id" = uuid::Uuid, Path, description = "Connector id")),
    responses(
        (status = 200, description = "Credentials forgotten", body = ConnectorView),
        (status = 404, description = "No such connector in this account", body = Problem)))]
pub async fn reset_connector(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ConnectorId>,
) -> Result<Json<ConnectorView>, ApiError> {
    let record = state.connectors().reset(account.id, id).await?;
    // Schedules must not fire against a connector without a login.
    ScheduleService::new(&state)
        .pause_for_connector(account.id, id)
        .await?;
    Ok(Json(ConnectorView::of(&state, record)))
}

/// The CRM's standard and custom fields of leads, contacts or opportunities.
#[utoipa::path(get, path = "/v1/connectors/{id}/fields", tag = "connectors",
    params(("id" = uuid::Uuid, Path, description = "Connector id"), FieldsQuery),
    responses(
        (status = 200, description = "Field definitions", body = Vec<FieldView>),
        (status = 404, description = "No such connector in this account", body = Problem),
        (status = 409, description = "The connector has been reset", body = Problem)))]
pub async fn connector_fields(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ConnectorId>,
    Query(query): Query<FieldsQuery>,
) -> Result<Json<Vec<FieldView>>, ApiError> {
    let fields = state
        .connectors()
        .source_fields(account.id, id, query.entity)
        .await?;
    Ok(Json(fields.into_iter().map(FieldView::from).collect()))
}
