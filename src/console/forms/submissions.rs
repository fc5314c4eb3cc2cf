//! `/forms/{id}/submissions`: a form's submissions, newest first, filtered by status,
//! paged by keyset like `GET /v1/forms/{id}/submissions`, with *Retry* on a rejected or
//! failed one ([`crate::forms::retry_submission`], as `POST …/retry`).

use serde::Deserialize;

use super::{owned, page_error};
use crate::console::prelude::*;
use crate::store::{Submission, SubmissionAction, SubmissionId, SubmissionStatus};

/// Submissions per page.
const PAGE: u64 = 50;

/// `?status=…&before=…&done=…`.
#[derive(Deserialize)]
pub struct SubmissionsQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    before: String,
    #[serde(default)]
    done: String,
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct SubmissionRow {
    /// Submission id.
    pub id: String,
    /// Accepted at, in words.
    pub when: String,
    /// The email.
    pub email: String,
    /// `queued`, `delivered`, `rejected`, `failed`.
    pub status: &'static str,
    /// The badge's class.
    pub badge: &'static str,
    /// What happened, in words (`created`, `updated`, …), or "".
    pub outcome: String,
    /// The CRM key reached, or "".
    pub crm_key: String,
    /// The CRM's words for a rejection or the last failure, or "".
    pub error: String,
    /// *Retry* is offered.
    pub retryable: bool,
}

impl SubmissionRow {
    fn of(s: &Submission) -> Self {
        let (badge, retryable) = match s.status {
            SubmissionStatus::Queued => ("warn", false),
            SubmissionStatus::Delivered => ("ok", false),
            SubmissionStatus::Rejected | SubmissionStatus::Failed => ("bad", true),
        };
        let outcome = match s.action {
            Some(SubmissionAction::Created) => "created",
            Some(SubmissionAction::Updated) => "updated",
            Some(SubmissionAction::Unchanged) => "unchanged",
            Some(SubmissionAction::NotCreated) => {
                "not created (no such lead; the form does not create leads)"
            }
            None => "",
        };
        SubmissionRow {
            id: s.id.to_string(),
            when: words::when(s.created_at),
            email: s.email.clone(),
            status: s.status.as_str(),
            badge,
            outcome: outcome.to_string(),
            crm_key: s
                .crm
                .as_ref()
                .map(|c| format!("{} {}", c.entity.as_str(), c.key))
                .unwrap_or_default(),
            error: s.error.clone().unwrap_or_default(),
            retryable,
        }
    }
}

#[derive(Template)]
#[template(path = "console/form_submissions.html")]
struct SubmissionsPage {
    layout: Layout,
    form_id: String,
    form_name: String,
    status: String,
    statuses: Vec<&'static str>,
    rows: Vec<SubmissionRow>,
    next: Option<String>,
    first: Option<String>,
    csv: String,
    notice: &'static str,
}

/// The status filter of a query (`""` or unknown: all).
fn status_of(raw: &str) -> Option<SubmissionStatus> {
    SubmissionStatus::parse(raw.trim())
}

/// `GET /forms/{id}/submissions`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Query(q): Query<SubmissionsQuery>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let form = owned(&state, account, &raw).await?;
    let status = status_of(&q.status);
    let before = SubmissionId::from_db(q.before.trim());
    let subs = crate::forms::list_submissions(&state, account, form.id, status, before, PAGE)
        .await
        .map_err(page_error)?;
    let filter = status.map_or("", SubmissionStatus::as_str);
    let base = format!("/forms/{}/submissions?status={filter}", form.id);
    let next = (subs.len() as u64 == PAGE)
        .then(|| subs.last().map(|s| format!("{base}&before={}", s.id)))
        .flatten();
    let notice = match q.done.as_str() {
        "retried" => "The submission is queued again and will be delivered shortly.",
        _ => "",
    };
    let page = SubmissionsPage {
        layout: Layout::new(&viewer, Section::Forms),
        form_id: form.id.to_string(),
        form_name: form.settings.name.clone(),
        status: filter.to_string(),
        statuses: vec!["queued", "delivered", "rejected", "failed"],
        rows: subs.iter().map(SubmissionRow::of).collect(),
        next,
        first: before.map(|_| base.clone()),
        csv: format!("/forms/{}/submissions.csv?status={filter}", form.id),
        notice,
    };
    page.respond(StatusCode::OK)
}

/// `POST /forms/{id}/submissions/{sid}/retry`: queues it again, back to the table.
pub async fn retry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((raw, sid)): Path<(String, String)>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let form = owned(&state, account, &raw).await?;
    let id = SubmissionId::from_db(&sid).ok_or_else(super::not_found)?;
    crate::forms::retry_submission(&state, account, form.id, id)
        .await
        .map_err(page_error)?;
    Ok(Redirect::to(&format!("/forms/{}/submissions?done=retried", form.id)).into_response())
}
