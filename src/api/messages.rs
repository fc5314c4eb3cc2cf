//! `/v1/messages`: the email sender reports sent campaigns; each recipient with a CRM
//! lead or contact gets one "message sent" note; outcomes are listed per recipient.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::json_body::JsonObject;
use super::paging::{PageBounds, next_cursor};
use crate::{
    app::AppState,
    auth::AuthedAccount,
    error::{ApiError, Problem},
    notes::{self, Recorded, SentRequest},
    store::{NoteEvent, NoteStatus},
};

/// Outcomes per page: 500 unless the caller says, at most 1000.
const NOTE_PAGES: PageBounds = PageBounds {
    default: 500,
    max: 1000,
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(message_sent))
        .routes(routes!(campaign_notes))
}

/// Records a sent campaign: one note per (campaign, recipient), written to the CRM in the
/// background. Re-posting the same campaign and recipients adds nothing.
#[utoipa::path(post, path = "/v1/messages/sent", tag = "messages", request_body = SentRequest,
    responses(
        (status = 202, description = "Recorded; notes are written in the background", body = Recorded),
        (status = 404, description = "No such connector in this account", body = Problem),
        (status = 409, description = "Notes wanted but no CRM is connected", body = Problem),
        (status = 422, description = "Invalid report; the message names the recipient", body = Problem)))]
pub async fn message_sent(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    JsonObject(body): JsonObject<SentRequest>,
) -> Result<(StatusCode, Json<Recorded>), ApiError> {
    let recorded = notes::record_sent(&state, account.id, body).await?;
    Ok((StatusCode::ACCEPTED, Json(recorded)))
}

/// Which outcomes to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct NotesQuery {
    /// Only this status.
    #[param(inline)]
    pub status: Option<NoteStatus>,
    /// Continue after this email (the last one of the previous page).
    pub after: Option<String>,
    /// At most this many (default 500, max 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

/// The CRM record a note went to.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteRecordView {
    /// `lead` or `contact`.
    pub entity: String,
    /// Its CRM key.
    pub key: String,
}

/// One recipient's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteOutcome {
    /// Normalised recipient email.
    pub email: String,
    /// The sender's recipient id.
    pub recipient_id: Option<String>,
    /// `pending`, `sending`, `delivered`, `skipped` or `failed`.
    pub status: NoteStatus,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// The lead or contact.
    pub crm: Option<NoteRecordView>,
    /// The History record's key.
    pub note_key: Option<String>,
    /// The preview link in the note.
    pub preview_url: Option<String>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<NoteEvent> for NoteOutcome {
    fn from(e: NoteEvent) -> Self {
        NoteOutcome {
            email: e.email,
            recipient_id: e.recipient_id,
            status: e.status,
            reason: e.reason,
            crm: e.crm.map(|t| NoteRecordView {
                entity: t.entity.as_str().to_string(),
                key: t.key,
            }),
            note_key: e.note_key,
            preview_url: e.preview_url,
            updated_at: e.updated_at,
        }
    }
}

/// Recipients per outcome.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct NoteCounts {
    /// Waiting.
    pub pending: i64,
    /// Being written.
    pub sending: i64,
    /// Written.
    pub delivered: i64,
    /// Not written on purpose.
    pub skipped: i64,
    /// Refused by the CRM.
    pub failed: i64,
}

/// A campaign's note outcomes.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignNotes {
    /// The campaign.
    pub campaign_id: String,
    /// Recipients per outcome (whole campaign).
    pub counts: NoteCounts,
    /// This page, by email.
    pub notes: Vec<NoteOutcome>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<String>,
}

/// Per-recipient outcomes of a campaign's notes.
#[utoipa::path(get, path = "/v1/messages/{campaign_id}/notes", tag = "messages",
    params(("campaign_id" = String, Path, description = "The sender's campaign id"), NotesQuery),
    responses(
        (status = 200, description = "Outcomes by email", body = CampaignNotes),
        (status = 404, description = "Nothing was reported for this campaign", body = Problem)))]
pub async fn campaign_notes(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(campaign_id): Path<String>,
    Query(q): Query<NotesQuery>,
) -> Result<Json<CampaignNotes>, ApiError> {
    let limit = NOTE_PAGES.read(q.limit)?;
    let (counts, events) = notes::campaign_notes(
        &state,
        account.id,
        &campaign_id,
        q.status,
        q.after.as_deref(),
        limit,
    )
    .await?;
    if counts.is_empty() {
        return Err(ApiError::not_found(format!("campaign '{campaign_id}'")));
    }
    let mut totals = NoteCounts::default();
    for (status, n) in counts {
        let slot = match status {
            NoteStatus::Pending => &mut totals.pending,
            NoteStatus::Sending => &mut totals.sending,
            NoteStatus::Delivered => &mut totals.delivered,
            NoteStatus::Skipped => &mut totals.skipped,
            NoteStatus::Failed => &mut totals.failed,
        };
        *slot += n;
    }
    let next_after = next_cursor(&events, limit, |e| e.email.clone());
    Ok(Json(CampaignNotes {
        campaign_id,
        counts: totals,
        notes: events.into_iter().map(NoteOutcome::from).collect(),
        next_after,
    }))
}
