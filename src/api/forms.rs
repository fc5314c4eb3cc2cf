//! `/v1/forms`: web form definitions (field mapping, update rules, thank-you URL, public
//! key), their submissions with status and CRM key, and retrying a submission.

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
    forms,
    store::{
        ConnectorId, Form, FormField, FormId, FormPage, FormSettings, Submission, SubmissionId,
        SubmissionStatus,
    },
};

/// Submissions per page: 100 unless the caller says, at most 500.
const SUBMISSION_PAGES: PageBounds = PageBounds {
    default: 100,
    max: 500,
};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_form, list_forms))
        .routes(routes!(get_form, update_form, delete_form))
        .routes(routes!(list_submissions))
        .routes(routes!(retry_submission))
}

fn yes() -> bool {
    true
}

/// A form definition as the marketer writes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormBody {
    /// Name, unique in the account.
    pub name: String,
    /// The connector to deliver through; the account's first when absent.
    #[serde(default)]
    pub connector_id: Option<ConnectorId>,
    /// The form's fields and where each goes: a system usage or a CRM field. Address
    /// fields must be mapped.
    pub fields: Vec<FormField>,
    /// CRM fields a submission may change on an existing lead or contact (none by default).
    #[serde(default)]
    pub update_fields: Vec<String>,
    /// Create a lead when no CRM record has the email (default true).
    #[serde(default = "yes")]
    pub create_new_leads: bool,
    /// Keep submitted fields the form does not declare (default false: dropped).
    #[serde(default)]
    pub keep_unknown_fields: bool,
    /// Where a browser goes after submitting (an absolute http(s) URL, stored in its
    /// normal form: what the URL parser makes of it, e.g. without pasted tabs or line
    /// breaks); a small thank-you page when absent.
    #[serde(default)]
    pub thank_you_url: Option<String>,
    /// The hosted page's heading (`GET /f/{form_key}`); the form's name when absent.
    #[serde(default)]
    pub title: Option<String>,
    /// A paragraph under the hosted page's heading.
    #[serde(default)]
    pub intro: Option<String>,
    /// Shown after submitting when there is no thank-you URL.
    #[serde(default)]
    pub thank_you_message: Option<String>,
}

/// Trimmed text, absent when blank.
fn text(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl FormBody {
    fn split(self) -> (Option<ConnectorId>, FormSettings) {
        let connector = self.connector_id;
        let settings = FormSettings {
            name: self.name.trim().to_string(),
            // Replaced by the service with the named or default connector.
            connector_id: connector.unwrap_or(ConnectorId(uuid::Uuid::nil())),
            fields: self.fields,
            update_fields: self
                .update_fields
                .into_iter()
                .map(|f| f.trim().to_string())
                .collect(),
            create_new_leads: self.create_new_leads,
            keep_unknown_fields: self.keep_unknown_fields,
            thank_you_url: text(self.thank_you_url),
            page: FormPage {
                title: text(self.title),
                intro: text(self.intro),
                thank_you_message: text(self.thank_you_message),
            },
        };
        (connector, settings)
    }
}

/// A form as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FormView {
    /// Form id.
    pub id: FormId,
    /// Name.
    pub name: String,
    /// The connector submissions go through.
    pub connector_id: ConnectorId,
    /// The public key.
    pub form_key: String,
    /// Where an HTML form posts: `/f/{form_key}` on this service.
    pub submit_path: String,
    /// The fields and their mapping.
    pub fields: Vec<FormField>,
    /// CRM fields that may update an existing record.
    pub update_fields: Vec<String>,
    /// Whether a lead is created when no record has the email.
    pub create_new_leads: bool,
    /// Whether undeclared fields are kept.
    pub keep_unknown_fields: bool,
    /// Where a browser goes after submitting.
    pub thank_you_url: Option<String>,
    /// The hosted page's heading, intro and thank-you message.
    #[serde(flatten)]
    pub page: FormPage,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<Form> for FormView {
    fn from(f: Form) -> Self {
        FormView {
            id: f.id,
            submit_path: format!("/f/{}", f.form_key),
            form_key: f.form_key,
            name: f.settings.name,
            connector_id: f.settings.connector_id,
            fields: f.settings.fields,
            update_fields: f.settings.update_fields,
            create_new_leads: f.settings.create_new_leads,
            keep_unknown_fields: f.settings.keep_unknown_fields,
            thank_you_url: f.settings.thank_you_url,
            page: f.settings.page,
            created_at: f.created_at,
            updated_at: f.updated_at,
        }
    }
}

/// Creates a form with a new public key; refused with the field names when its mapping
/// cannot work (unmapped address fields, unknown CRM fields, no email field…).
#[utoipa::path(post, path = "/v1/forms", tag = "forms", request_body = FormBody,
    responses(
        (status = 201, description = "Saved", body = FormView),
        (status = 404, description = "No such connector in this account", body = Problem),
        (status = 409, description = "A form with this name exists, or the connector was reset", body = Problem),
        (status = 422, description = "The definition cannot work; `details.names` lists the fields", body = Problem)))]
pub async fn create_form(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    JsonObject(body): JsonObject<FormBody>,
) -> Result<(StatusCode, Json<FormView>), ApiError> {
    let (connector, settings) = body.split();
    let form = forms::create_form(&state, account.id, connector, settings).await?;
    Ok((StatusCode::CREATED, Json(form.into())))
}

/// The account's forms.
#[utoipa::path(get, path = "/v1/forms", tag = "forms",
    responses((status = 200, description = "All forms, by name", body = Vec<FormView>)))]
pub async fn list_forms(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
) -> Result<Json<Vec<FormView>>, ApiError> {
    let all = forms::list_forms(&state, account.id).await?;
    Ok(Json(all.into_iter().map(FormView::from).collect()))
}

/// One form.
#[utoipa::path(get, path = "/v1/forms/{id}", tag = "forms",
    params(("id" = uuid::Uuid, Path, description = "Form id")),
    responses(
        (status = 200, description = "The form", body = FormView),
        (status = 404, description = "No such form in this account", body = Problem)))]
pub async fn get_form(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<FormId>,
) -> Result<Json<FormView>, ApiError> {
    Ok(Json(forms::get_form(&state, account.id, id).await?.into()))
}

/// Replaces a form's definition; its id and public key stay.
#[utoipa::path(put, path = "/v1/forms/{id}", tag = "forms", request_body = FormBody,
    params(("id" = uuid::Uuid, Path, description = "Form id")),
    responses(
        (status = 200, description = "Saved", body = FormView),
        (status = 404, description = "No such form or connector in this account", body = Problem),
        (status = 409, description = "Another form has this name, or the connector was reset", body = Problem),
        (status = 422, description = "The definition cannot work; `details.names` lists the fields", body = Problem)))]
pub async fn update_form(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<FormId>,
    JsonObject(body): JsonObject<FormBody>,
) -> Result<Json<FormView>, ApiError> {
    let (connector, settings) = body.split();
    let form = forms::update_form(&state, account.id, id, connector, settings).await?;
    Ok(Json(form.into()))
}

/// Deletes a form and its submissions; its public key stops working.
#[utoipa::path(delete, path = "/v1/forms/{id}", tag = "forms",
    params(("id" = uuid::Uuid, Path, description = "Form id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such form in this account", body = Problem)))]
pub async fn delete_form(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<FormId>,
) -> Result<StatusCode, ApiError> {
    forms::delete_form(&state, account.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which submissions to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SubmissionsQuery {
    /// Only this status.
    #[param(inline)]
    pub status: Option<SubmissionStatus>,
    /// Continue after this submission id (the last one of the previous page).
    #[param(value_type = Option<uuid::Uuid>)]
    pub before: Option<SubmissionId>,
    /// At most this many (default 100, max 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
}

/// A page of submissions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionPage {
    /// The submissions.
    pub submissions: Vec<Submission>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next_before: Option<SubmissionId>,
}

/// A form's submissions: status, what delivery did, the CRM key, and the CRM's message
/// for rejected ones.
#[utoipa::path(get, path = "/v1/forms/{id}/submissions", tag = "forms",
    params(("id" = uuid::Uuid, Path, description = "Form id"), SubmissionsQuery),
    responses(
        (status = 200, description = "Newest first", body = SubmissionPage),
        (status = 404, description = "No such form in this account", body = Problem)))]
pub async fn list_submissions(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path(id): Path<FormId>,
    Query(q): Query<SubmissionsQuery>,
) -> Result<Json<SubmissionPage>, ApiError> {
    let limit = SUBMISSION_PAGES.read(q.limit)?;
    let submissions =
        forms::list_submissions(&state, account.id, id, q.status, q.before, limit).await?;
    let next_before = next_cursor(&submissions, limit, |s| s.id);
    Ok(Json(SubmissionPage {
        submissions,
        next_before,
    }))
}

/// Queues a rejected or failed submission again (after fixing the form or the CRM).
#[utoipa::path(post, path = "/v1/forms/{id}/submissions/{submission_id}/retry", tag = "forms",
    params(("id" = uuid::Uuid, Path, description = "Form id"),
           ("submission_id" = uuid::Uuid, Path, description = "Submission id")),
    responses(
        (status = 202, description = "Queued for delivery", body = Submission),
        (status = 404, description = "No such submission", body = Problem),
        (status = 409, description = "Not rejected or failed", body = Problem)))]
pub async fn retry_submission(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    Path((id, submission_id)): Path<(FormId, SubmissionId)>,
) -> Result<(StatusCode, Json<Submission>), ApiError> {
    let submission = forms::retry_submission(&state, account.id, id, submission_id).await?;
    Ok((StatusCode::ACCEPTED, Json(submission)))
}
