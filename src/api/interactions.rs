//! `/v1/interactions`: the phone system reports calls; the person's CRM lead or contact
//! gets one call note per interaction; outcomes (and unmatched callers with the reason)
//! are listed.

use axum::{
    Json,
    extract::{Query, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::json_body::JsonObject;
use super::paging::PageBounds;
use crate::{
    app::AppState,
    auth::AuthedAccount,
    callers::interactions::{self, InteractionCounts, InteractionsRequest, RecordedInteractions},
    error::{ApiError, Problem},
    store::{CallDirection, Interaction, InteractionStatus},
};

/// Interactions per page: 500 unless the caller says, at most 1000.
const PAGES: PageBounds = PageBounds {
    default: 500,
    max: 1000,
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(report_interactions, list_interactions))
}

/// Records calls: one note per interaction id on the matched CRM record, written in the
/// background. Re-posting an interaction id adds nothing (its receipt says
/// `already_recorded`). A single call is a list of one.
#[utoipa::path(post, path = "/v1/interactions", tag = "interactions",
    request_body = InteractionsRequest,
    responses(
        (status = 202, description = "Recorded; notes are written in the background", body = RecordedInteractions),
        (status = 409, description = "No CRM is connected", body = Problem),
        (status = 422, description = "Invalid report; the message names the interaction and field", body = Problem)))]
pub async fn report_interactions(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    JsonObject(body): JsonObject<InteractionsRequest>,
) -> Result<(StatusCode, Json<RecordedInteractions>), ApiError> {
    let recorded = interactions::record_interactions(&state, account.id, body).await?;
    Ok((StatusCode::ACCEPTED, Json(recorded)))
}

/// Which interactions to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct InteractionsQuery {
    /// Only this status (`unmatched` lists callers no CRM record has, with the reason).
    #[param(inline)]
    pub status: Option<InteractionStatus>,
    /// Continue after this interaction id (the last one of the previous page).
    pub after: Option<String>,
    /// At most this many (default 500, max 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

/// The CRM record a call note went to.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallRecordView {
    /// `lead` or `contact`.
    pub entity: String,
    /// Its CRM key.
    pub key: String,
}

/// One interaction and where its note is.
#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionView {
    /// listbridge's id.
    pub id: String,
    /// The phone system's id.
    pub interaction_id: String,
    /// `inbound` or `outbound`.
    pub direction: CallDirection,
    /// The calling number as reported.
    pub caller: String,
    /// The called number as reported.
    pub callee: String,
    /// When the call started.
    pub started_at: DateTime<Utc>,
    /// `pending`, `sending`, `delivered`, `unmatched` or `failed`.
    pub status: InteractionStatus,
    /// Why it is unmatched or failed.
    pub reason: Option<String>,
    /// The lead or contact the note went to.
    pub crm: Option<CallRecordView>,
    /// The History record's key.
    pub note_key: Option<String>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<Interaction> for InteractionView {
    fn from(i: Interaction) -> Self {
        InteractionView {
            id: i.id,
            interaction_id: i.interaction_id,
            direction: i.direction,
            caller: i.caller,
            callee: i.callee,
            started_at: i.started_at,
            status: i.status,
            reason: i.reason,
            crm: i.crm.map(|t| CallRecordView {
                entity: t.entity.as_str().to_string(),
                key: t.key,
            }),
            note_key: i.note_key,
            updated_at: i.updated_at,
        }
    }
}

/// A page of the account's interactions.
#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionPage {
    /// Interactions per status (all of the account's).
    pub counts: InteractionCounts,
    /// This page, by interaction id.
    pub interactions: Vec<InteractionView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<String>,
}

/// The account's interactions and their notes' outcomes; `status=unmatched` lists the
/// callers no CRM record has, each with the reason.
#[utoipa::path(get, path = "/v1/interactions", tag = "interactions",
    params(InteractionsQuery),
    responses(
        (status = 200, description = "Interactions by interaction id", body = InteractionPage)))]
pub async fn list_interactions(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Query(q): Query<InteractionsQuery>,
) -> Result<Json<InteractionPage>, ApiError> {
    let limit = PAGES.read(q.limit)?;
    let listing =
        interactions::list_interactions(&state, account.id, q.status, q.after.as_deref(), limit)
            .await?;
    Ok(Json(InteractionPage {
        counts: listing.counts,
        interactions: listing
            .interactions
            .into_iter()
            .map(InteractionView::from)
            .collect(),
        next_after: listing.next_after,
    }))
}
