//! `/v1/conversion-exports`: offline conversions sent back to a call-tracking platform.
//! Set-up, *Run Now*, run reports, the conversions ledger (with the platform's words
//! for refused rows) and *Download CSV*. Thin: parse, call
//! [`crate::conversions::ConversionExports`]; errors as [`super::problems`] says. The
//! platform's token is write-only (`token_set`).

use axum::{
    Json,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{json_body::JsonObject, paging::PageBounds};
use crate::{
    app::AppState,
    auth::AuthedAccount,
    conversions::{
        ConversionExports, ExportInput,
        exports::{ConversionView, Export, ExportRun, HostKeyQuery, HostKeyView, RunQueued},
        ledger::RowStatus,
    },
    error::{ApiError, Problem},
    store::{ConversionExportId, ConversionRunId, LedgerFilter},
};

/// Page sizes of the conversions listing.
const PAGES: PageBounds = PageBounds {
    default: 100,
    max: 1000,
};
/// Runs listed per export.
const RUNS_LISTED: u64 = 50;

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_export, list_exports))
        .routes(routes!(get_export, replace_export, delete_export))
        .routes(routes!(run_export, list_runs))
        .routes(routes!(get_run))
        .routes(routes!(list_conversions))
        .routes(routes!(download_csv))
        .routes(routes!(host_key))
}

/// Asks an SFTP server for its host key, to confirm it with the platform before an SFTP
/// destination pins it (as `ssh` asks on first contact). Nothing is logged in.
#[utoipa::path(post, path = "/v1/conversion-exports/host-key", tag = "conversions", request_body = HostKeyQuery,
    responses(
        (status = 200, description = "The server's host key", body = HostKeyView),
        (status = 422, description = "The address is not allowed or the server could not be reached; the message says which", body = Problem),
        (status = 429, description = "Too many attempts to reach an address from this account (shared with Connect and Reconfirm Login)", body = Problem)))]
pub async fn host_key(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    JsonObject(body): JsonObject<HostKeyQuery>,
) -> Result<Json<HostKeyView>, ApiError> {
    Ok(Json(
        ConversionExports::from_state(&state)
            .host_key(account.id, body)
            .await?,
    ))
}

/// Saves an export: the rule is checked against the CRM's fields (so the connector must
/// be connected), the destination against the outbound policy.
#[utoipa::path(post, path = "/v1/conversion-exports", tag = "conversions", request_body = ExportInput,
    responses(
        (status = 201, description = "Saved", body = Export),
        (status = 404, description = "No such connector in this account", body = Problem),
        (status = 409, description = "An export of that name exists", body = Problem),
        (status = 422, description = "A setting is invalid or names a field the CRM does not have; the message names it", body = Problem),
        (status = 502, description = "The CRM could not describe its fields", body = Problem)))]
pub async fn create_export(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    JsonObject(body): JsonObject<ExportInput>,
) -> Result<(StatusCode, Json<Export>), ApiError> {
    let saved = ConversionExports::from_state(&state)
        .create(account.id, body)
        .await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// The account's exports.
#[utoipa::path(get, path = "/v1/conversion-exports", tag = "conversions",
    responses((status = 200, description = "The account's conversion exports, by name", body = Vec<Export>)))]
pub async fn list_exports(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
) -> Result<Json<Vec<Export>>, ApiError> {
    Ok(Json(
        ConversionExports::from_state(&state)
            .list(account.id)
            .await?,
    ))
}

/// One export.
#[utoipa::path(get, path = "/v1/conversion-exports/{id}", tag = "conversions",
    params(("id" = uuid::Uuid, Path, description = "Conversion export id")),
    responses(
        (status = 200, description = "The export", body = Export),
        (status = 404, description = "No such export in this account", body = Problem)))]
pub async fn get_export(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ConversionExportId>,
) -> Result<Json<Export>, ApiError> {
    Ok(Json(
        ConversionExports::from_state(&state)
            .get(account.id, id)
            .await?,
    ))
}

/// Replaces an export's settings (the destination's secret given again, as it is never
/// shown), keeping its read position, runs and ledger: a new token or schedule sends
/// nothing twice. Its connector and source stay (another needs a new export).
#[utoipa::path(put, path = "/v1/conversion-exports/{id}", tag = "conversions", request_body = ExportInput,
    params(("id" = uuid::Uuid, Path, description = "Conversion export id")),
    responses(
        (status = 200, description = "Saved", body = Export),
        (status = 404, description = "No such export, or no such connector, in this account", body = Problem),
        (status = 409, description = "Another export has that name", body = Problem),
        (status = 422, description = "A setting is invalid, names a field the CRM does not have, or changes the connector or source; the message names it", body = Problem),
        (status = 502, description = "The CRM could not describe its fields", body = Problem)))]
pub async fn replace_export(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ConversionExportId>,
    JsonObject(body): JsonObject<ExportInput>,
) -> Result<Json<Export>, ApiError> {
    Ok(Json(
        ConversionExports::from_state(&state)
            .replace(account.id, id, body)
            .await?,
    ))
}

/// Deletes an export with its runs and its ledger (a new export would send again what
/// this one sent: the platform's idempotency keys are per export).
#[utoipa::path(delete, path = "/v1/conversion-exports/{id}", tag = "conversions",
    params(("id" = uuid::Uuid, Path, description = "Conversion export id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such export in this account", body = Problem)))]
pub async fn delete_export(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ConversionExportId>,
) -> Result<StatusCode, ApiError> {
    ConversionExports::from_state(&state)
        .delete(account.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// *Run Now*: queues a run (202); a run already queued or running is answered instead
/// (`created: false`).
#[utoipa::path(post, path = "/v1/conversion-exports/{id}/runs", tag = "conversions",
    params(("id" = uuid::Uuid, Path, description = "Conversion export id")),
    responses(
        (status = 202, description = "Queued, or already queued or running", body = RunQueued),
        (status = 404, description = "No such export in this account", body = Problem)))]
pub async fn run_export(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ConversionExportId>,
) -> Result<(StatusCode, Json<RunQueued>), ApiError> {
    let queued = ConversionExports::from_state(&state)
        .run_now(account.id, id, "manual")
        .await?;
    Ok((StatusCode::ACCEPTED, Json(queued)))
}

/// The export's latest runs (at most 50), newest first, with their counts.
#[utoipa::path(get, path = "/v1/conversion-exports/{id}/runs", tag = "conversions",
    params(("id" = uuid::Uuid, Path, description = "Conversion export id")),
    responses(
        (status = 200, description = "Runs, newest first", body = Vec<ExportRun>),
        (status = 404, description = "No such export in this account", body = Problem)))]
pub async fn list_runs(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ConversionExportId>,
) -> Result<Json<Vec<ExportRun>>, ApiError> {
    Ok(Json(
        ConversionExports::from_state(&state)
            .runs(account.id, id, RUNS_LISTED)
            .await?,
    ))
}

/// One run's report: its status, counts and duration; its conversions are listed with
/// `GET …/conversions?run_id=`.
#[utoipa::path(get, path = "/v1/conversion-exports/{id}/runs/{run_id}", tag = "conversions",
    params(
        ("id" = uuid::Uuid, Path, description = "Conversion export id"),
        ("run_id" = uuid::Uuid, Path, description = "Run id")),
    responses(
        (status = 200, description = "The run", body = ExportRun),
        (status = 404, description = "No such export or run in this account", body = Problem)))]
pub async fn get_run(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path((id, run_id)): Path<(ConversionExportId, ConversionRunId)>,
) -> Result<Json<ExportRun>, ApiError> {
    Ok(Json(
        ConversionExports::from_state(&state)
            .run(account.id, id, run_id)
            .await?,
    ))
}

/// Which conversions to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ConversionsQuery {
    /// Only conversions in this state.
    #[param(inline)]
    pub status: Option<RowStatus>,
    /// Only conversions the run last changed.
    pub run_id: Option<ConversionRunId>,
    /// Only conversions whose record changed after they were sent.
    pub changed_after_sending: Option<bool>,
    /// The `next_after` of the previous page.
    pub after: Option<String>,
    /// Conversions per page (100 when absent).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

/// A page of conversions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionPage {
    /// This page, oldest first.
    pub conversions: Vec<ConversionView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<String>,
}

/// The export's conversions: what was sent, what the platform refused in its words,
/// what was refused before sending and why, and what changed after sending.
#[utoipa::path(get, path = "/v1/conversion-exports/{id}/conversions", tag = "conversions",
    params(("id" = uuid::Uuid, Path, description = "Conversion export id"), ConversionsQuery),
    responses(
        (status = 200, description = "Conversions, oldest first", body = ConversionPage),
        (status = 404, description = "No such export in this account", body = Problem)))]
pub async fn list_conversions(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ConversionExportId>,
    Query(q): Query<ConversionsQuery>,
) -> Result<Json<ConversionPage>, ApiError> {
    let limit = PAGES.read(q.limit)?;
    let filter = LedgerFilter {
        status: q.status.map(|s| s.as_str().to_string()),
        run: q.run_id,
        changed_after_sending: q.changed_after_sending.unwrap_or(false),
        ..LedgerFilter::default()
    };
    let conversions = ConversionExports::from_state(&state)
        .rows(account.id, id, &filter, q.after.as_deref(), limit)
        .await?;
    let next_after = super::paging::next_cursor(&conversions, limit, |c| c.id.clone());
    Ok(Json(ConversionPage {
        conversions,
        next_after,
    }))
}

/// The period of a download.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DownloadQuery {
    /// Conversions that happened at or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Conversions that happened before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// *Download CSV*: the export's conversions of a period (any state but invalid) as the
/// platforms' CSV file: UTF-8, a header row, RFC 4180 quoting, date-times in UTC.
#[utoipa::path(get, path = "/v1/conversion-exports/{id}/download", tag = "conversions",
    params(("id" = uuid::Uuid, Path, description = "Conversion export id"), DownloadQuery),
    responses(
        (status = 200, description = "The CSV file", content_type = "text/csv", body = String),
        (status = 404, description = "No such export in this account", body = Problem)))]
pub async fn download_csv(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<ConversionExportId>,
    Query(q): Query<DownloadQuery>,
) -> Result<Response, ApiError> {
    let csv = ConversionExports::from_state(&state)
        .csv(account.id, id, q.from, q.to)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"conversions-{id}.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}
