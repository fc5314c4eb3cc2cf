//! `/v1/lists`: import from the CRM, upload a CSV, read, rename and delete lists, add
//! columns and *Optimize for Infor CRM* (members: [`super::members`]). Thin: parse, call
//! [`crate::lists`], shape the answer.

use std::collections::BTreeMap;

use axum::{
    Json,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
};
use listbridge_connector::EntityKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::json_body::JsonObject;
use crate::{
    app::AppState,
    auth::AuthedAccount,
    domain::field_usage::FieldUsage,
    error::{ApiError, Problem},
    lists::{
        ListError, columns,
        import::{self, ImportRequest},
        manage, optimize,
        upload::{self, MAX_UPLOAD_BYTES, UploadRequest, parse::RejectedRow},
    },
    store::{ConnectorId, List, ListColumn, ListId, RunId},
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_list))
        .routes(routes!(upload_list))
        .routes(routes!(list_lists))
        .routes(routes!(get_list, rename_list, delete_list))
        .routes(routes!(add_columns))
        .routes(routes!(optimize_for_infor_crm))
}

/// A column as the API shows it, with its Standard Field Name.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ColumnView {
    /// Column name, unique in the list.
    pub name: String,
    /// The CRM field it mirrors (CRM lists).
    pub crm_field: Option<String>,
    /// Added but not filled yet: the next sync fills it.
    pub pending: bool,
    /// Its system usage in the account's Standard Field Names, if mapped.
    pub usage: Option<String>,
}

/// A list with its columns.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListDetailView {
    /// The list: name, kind, status, member count.
    #[serde(flatten)]
    pub list: List,
    /// Its columns in order (Email is the member key, not a column).
    pub columns: Vec<ColumnView>,
}

impl From<manage::ListDetail> for ListDetailView {
    fn from(detail: manage::ListDetail) -> Self {
        ListDetailView {
            list: detail.list,
            columns: column_views(detail.columns),
        }
    }
}

fn column_views(columns: Vec<(ListColumn, Option<String>)>) -> Vec<ColumnView> {
    columns
        .into_iter()
        .map(|(c, usage)| ColumnView {
            name: c.name,
            crm_field: c.crm_field,
            pending: c.pending,
            usage,
        })
        .collect()
}

/// *Import Leads / Contacts*.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    /// The CRM connector to read from.
    pub connector: ConnectorId,
    /// `lead` or `contact`.
    #[schema(value_type = super::connectors::EntityKindSchema)]
    pub entity: EntityKind,
    /// The list name; "All Infor CRM Leads" / "All Infor CRM Contacts" when absent.
    pub name: Option<String>,
    /// Extra standard or custom CRM fields (Email, FirstName, LastName always come).
    #[serde(default)]
    pub fields: Vec<String>,
}

/// An import that was queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportAccepted {
    /// The new list (status `importing` until the run ends).
    pub list: ListDetailView,
    /// The import run; its progress is at `GET /v1/runs/{id}`.
    pub run_id: RunId,
}

/// A new name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameBody {
    /// The new name, unique in the account.
    pub name: String,
}

/// *Add List Columns*.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddColumnsBody {
    /// CRM field names for a CRM list; plain column names for an uploaded list.
    pub fields: Vec<String>,
}

/// The upload's options (the CSV itself is the request body).
#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadQuery {
    /// The new list's name.
    pub name: String,
    /// The header of the email column; Email / E-mail / Email Address when absent.
    pub email_column: Option<String>,
    /// A JSON object header → system usage, e.g. `{"Town":"business_city"}`, saved to
    /// the account's Standard Field Names.
    pub mapping: Option<String>,
}

/// What an upload produced.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadReport {
    /// The new list.
    pub list: ListDetailView,
    /// Rows that became members.
    pub accepted: u64,
    /// Rejected rows by line (at most 1,000 listed).
    pub rejected: Vec<RejectedRow>,
    /// All rejected rows, listed or not.
    pub rejected_total: u64,
}

/// What *Optimize for Infor CRM* changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptimizeReport {
    /// Existing columns newly mapped to an address usage.
    pub mapped: Vec<FieldUsage>,
    /// Address columns that already had a usage (left unchanged).
    pub already_mapped: Vec<FieldUsage>,
    /// Standard address columns added and mapped.
    pub added: Vec<ListColumn>,
}

/// *Import Leads / Contacts*: creates the list and queues its import run.
#[utoipa::path(post, path = "/v1/lists/import", tag = "lists", request_body = ImportBody,
    responses(
        (status = 202, description = "List created; the import runs in the background", body = ImportAccepted),
        (status = 404, description = "No such connector in this account", body = Problem),
        (status = 409, description = "A list with this name exists, or the connector was reset", body = Problem),
        (status = 422, description = "A field the CRM does not have, or the CRM refused", body = Problem)))]
pub async fn import_list(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    JsonObject(body): JsonObject<ImportBody>,
) -> Result<(StatusCode, Json<ImportAccepted>), ApiError> {
    let request = ImportRequest {
        connector: body.connector,
        entity: body.entity,
        name: body.name,
        fields: body.fields,
    };
    let started = import::start_import(&state, account.id, request).await?;
    let detail = manage::detail_of(&state, account.id, started.list, started.columns).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ImportAccepted {
            list: detail.into(),
            run_id: started.run.id,
        }),
    ))
}

/// *Upload*: the CSV body (UTF-8, with or without BOM; comma, semicolon or tab) becomes
/// a new list. Streamed: the file is never held in memory. Bad rows are reported by line.
#[utoipa::path(post, path = "/v1/lists/upload", tag = "lists", params(UploadQuery),
    request_body(content = String, content_type = "text/csv", description = "The CSV file"),
    responses(
        (status = 201, description = "List created; rejected rows listed", body = UploadReport),
        (status = 409, description = "A list with this name exists", body = Problem),
        (status = 413, description = "Larger than 512 MiB", body = Problem),
        (status = 422, description = "No email column, bad header or mapping, more than 500 columns (`too_many_columns`)", body = Problem)))]
pub async fn upload_list(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<UploadReport>), ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_UPLOAD_BYTES) {
        return Err(ListError::TooLarge {
            limit_mib: MAX_UPLOAD_BYTES / (1024 * 1024),
        }
        .into());
    }
    let mapping: BTreeMap<String, String> = match query.mapping.as_deref() {
        None | Some("") => BTreeMap::new(),
        Some(raw) => serde_json::from_str(raw).map_err(|e| ListError::Invalid {
            field: "mapping",
            message: format!("must be a JSON object of header to usage: {e}"),
        })?,
    };
    let request = UploadRequest {
        name: query.name,
        email_column: query.email_column,
        mapping,
    };
    let outcome = upload::upload(&state, account.id, request, body.into_data_stream()).await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadReport {
            list: ListDetailView {
                list: outcome.list,
                columns: column_views(outcome.columns),
            },
            accepted: outcome.accepted,
            rejected: outcome.rejected,
            rejected_total: outcome.rejected_total,
        }),
    ))
}

/// The account's lists, newest first, with member counts.
#[utoipa::path(get, path = "/v1/lists", tag = "lists",
    responses((status = 200, description = "All lists", body = Vec<List>)))]
pub async fn list_lists(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
) -> Result<Json<Vec<List>>, ApiError> {
    Ok(Json(manage::all(&state, account.id).await?))
}

/// One list with its columns, member count, status and kind.
#[utoipa::path(get, path = "/v1/lists/{id}", tag = "lists",
    params(("id" = uuid::Uuid, Path, description = "List id")),
    responses(
        (status = 200, description = "The list", body = ListDetailView),
        (status = 404, description = "No such list in this account", body = Problem)))]
pub async fn get_list(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ListId>,
) -> Result<Json<ListDetailView>, ApiError> {
    Ok(Json(manage::detail(&state, account.id, id).await?.into()))
}

/// Renames a list.
#[utoipa::path(patch, path = "/v1/lists/{id}", tag = "lists",
    params(("id" = uuid::Uuid, Path, description = "List id")), request_body = RenameBody,
    responses(
        (status = 200, description = "Renamed", body = List),
        (status = 404, description = "No such list in this account", body = Problem),
        (status = 409, description = "Another list has this name", body = Problem)))]
pub async fn rename_list(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ListId>,
    JsonObject(body): JsonObject<RenameBody>,
) -> Result<Json<List>, ApiError> {
    Ok(Json(
        manage::rename(&state, account.id, id, &body.name).await?,
    ))
}

/// Deletes a list with its members, columns, segments and runs.
#[utoipa::path(delete, path = "/v1/lists/{id}", tag = "lists",
    params(("id" = uuid::Uuid, Path, description = "List id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such list in this account", body = Problem)))]
pub async fn delete_list(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ListId>,
) -> Result<StatusCode, ApiError> {
    manage::delete(&state, account.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// *Add List Columns*: CRM fields (filled on the next sync) or plain columns.
#[utoipa::path(post, path = "/v1/lists/{id}/columns", tag = "lists",
    params(("id" = uuid::Uuid, Path, description = "List id")), request_body = AddColumnsBody,
    responses(
        (status = 200, description = "The list with its columns", body = ListDetailView),
        (status = 404, description = "No such list in this account", body = Problem),
        (status = 409, description = "The list already has such a column", body = Problem),
        (status = 422, description = "A field the CRM does not have", body = Problem)))]
pub async fn add_columns(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ListId>,
    JsonObject(body): JsonObject<AddColumnsBody>,
) -> Result<Json<ListDetailView>, ApiError> {
    columns::add_columns(&state, account.id, id, &body.fields).await?;
    Ok(Json(manage::detail(&state, account.id, id).await?.into()))
}

/// *Optimize for Infor CRM*: maps the list's address columns to their usages and adds
/// the standard address columns it lacks, in one step.
#[utoipa::path(post, path = "/v1/lists/{id}/optimize-for-infor-crm", tag = "lists",
    params(("id" = uuid::Uuid, Path, description = "List id")),
    responses(
        (status = 200, description = "What was mapped and added", body = OptimizeReport),
        (status = 404, description = "No such list in this account", body = Problem)))]
pub async fn optimize_for_infor_crm(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ListId>,
) -> Result<Json<OptimizeReport>, ApiError> {
    let done = optimize::optimize_for_crm(&state, account.id, id).await?;
    Ok(Json(OptimizeReport {
        mapped: done.mapped,
        already_mapped: done.already_mapped,
        added: done.added,
    }))
}
