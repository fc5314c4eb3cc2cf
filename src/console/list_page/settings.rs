//! Rename and delete, `/lists/{id}/settings`: *Rename* through
//! `crate::lists::manage::rename` (a name another list has is refused beside the
//! field, the typed name kept); *Delete list* behind a confirmation page that says
//! exactly what goes (members, columns, segments, runs, schedule) and that nothing is
//! deleted in the CRM, then `crate::lists::manage::delete`.

use serde::Deserialize;

use super::head::{DoneQuery, ListHead, ListPath, Tab, fail, form_error, notice};
use crate::console::prelude::*;
use crate::console::words::count;
use crate::{
    error::ApiError,
    lists::{manage, segments},
    scheduling::{ScheduleError, ScheduleService},
    store::{List, ListKind, ScheduleTarget},
};

#[derive(Template)]
#[template(path = "console/list_page_settings.html")]
struct SettingsPage {
    layout: Layout,
    head: ListHead,
    notice: String,
    /// The name in the rename field (as typed after a refusal).
    name: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "console/list_page_delete.html")]
struct DeletePage {
    layout: Layout,
    head: ListHead,
    notice: String,
    /// "12,345 members".
    members: String,
    /// "7 columns".
    columns: String,
    /// The segments' names.
    segments: Vec<String>,
    /// Whether the list has a schedule.
    scheduled: bool,
    /// The CRM records the "kept" sentence names.
    crm_records: &'static str,
}

/// The rename form.
#[derive(Debug, Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
}

/// `GET /lists/{id}/settings`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
    Query(query): Query<DoneQuery>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let list = manage::require_list(&state, account, id)
        .await
        .map_err(fail)?;
    let notice = notice(query.done.as_deref(), &list);
    let name = list.name.clone();
    let page = settings_page(&state, &viewer, &list, notice, name, FieldErrors::none()).await?;
    page.respond(StatusCode::OK)
}

/// `POST /lists/{id}/rename`.
pub async fn rename(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
    Form(form): Form<RenameForm>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let api: ApiError = match manage::rename(&state, account, id, &form.name).await {
        Ok(_) => {
            return Ok(Redirect::to(&format!("/lists/{id}/settings?done=renamed")).into_response());
        }
        Err(err) => form_error(err)?,
    };
    let list = manage::require_list(&state, account, id)
        .await
        .map_err(fail)?;
    let errors = FieldErrors::from_api(&api, "name", |_| Some("name"));
    let page = settings_page(&state, &viewer, &list, String::new(), form.name, errors).await?;
    page.respond(api.status())
}

async fn settings_page(
    state: &AppState,
    viewer: &Viewer,
    list: &List,
    notice: String,
    name: String,
    errors: FieldErrors,
) -> Result<SettingsPage, ConsoleError> {
    Ok(SettingsPage {
        layout: Layout::new(viewer, Section::Lists),
        head: ListHead::load(state, viewer.account_id(), list, Tab::Settings).await?,
        notice,
        name,
        errors,
    })
}

/// `GET /lists/{id}/delete`: what deleting removes and keeps, and the button.
pub async fn confirm_delete(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let detail = manage::detail(&state, account, id).await.map_err(fail)?;
    let segments = segments::for_list(&state, account, id)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|s| s.segment.name)
        .collect();
    let scheduled = match ScheduleService::new(&state)
        .get(account, ScheduleTarget::List(id))
        .await
    {
        Ok(_) => true,
        Err(ScheduleError::NotFound(_)) => false,
        Err(err) => return Err(ApiError::from(err).into()),
    };
    let page = DeletePage {
        layout: Layout::new(&viewer, Section::Lists),
        head: ListHead::load(&state, account, &detail.list, Tab::Settings).await?,
        notice: String::new(),
        members: count(detail.list.member_count, "member", "members"),
        columns: count(
            i64::try_from(detail.columns.len()).unwrap_or(i64::MAX),
            "column",
            "columns",
        ),
        segments,
        scheduled,
        crm_records: match detail.list.kind {
            ListKind::CrmLead => "the leads this list was imported from",
            ListKind::CrmContact => "the contacts this list was imported from",
            ListKind::Uploaded => "the CRM records its members were pushed to",
        },
    };
    page.respond(StatusCode::OK)
}

/// `POST /lists/{id}/delete`: deletes the list, then back to the lists.
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
) -> Result<Response, ConsoleError> {
    manage::delete(&state, viewer.account_id(), id)
        .await
        .map_err(fail)?;
    Ok(Redirect::to("/lists?done=deleted").into_response())
}
