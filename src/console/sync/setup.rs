//! `GET/POST /lists/{id}/sync` and `GET/POST /segments/{id}/sync`: the sync setup
//! form, saved through `crate::sync::save_setup` (as `PUT /v1/lists/{id}/sync`), its
//! refusals beside the control they concern, and the Run Now / Preview buttons.

use serde::Deserialize;

use super::{
    form::{self, SetupView},
    target::Loaded,
};
use crate::console::prelude::*;
use crate::{
    console::{
        list_page::head::{ListHead, ListPath, form_error},
        segments::{SegmentHead, SegmentPath},
    },
    engine::SyncSetup,
    error::ApiError,
    sync::{self, SyncTarget},
};

/// The sync page of a list or a segment.
#[derive(Template)]
#[template(path = "console/sync.html")]
pub struct SyncPage {
    layout: Layout,
    /// The list's header and tabs (a list's page).
    list_head: Option<ListHead>,
    /// The segment's header and tabs (a segment's page).
    segment_head: Option<SegmentHead>,
    /// The `?done=` sentence, or "".
    notice: String,
    /// `/lists/{id}` or `/segments/{id}`.
    base: String,
    /// The list's Standard Field Names tab.
    fields_url: String,
    /// The form's controls.
    view: SetupView,
    /// Why pull is not offered, or "".
    why_no_pull: &'static str,
    /// Why Run Now cannot start yet, or "".
    run_blocked: &'static str,
    /// Messages beside the controls.
    errors: FieldErrors,
    /// The CRM refused the saved login: point to *Reconfirm Login*.
    reconfirm: bool,
    /// The CRMs an uploaded list may push to, when the account has several (empty
    /// otherwise: a list imported from a CRM syncs with it, and one CRM needs no choice).
    crms: Vec<CrmChoice>,
}

/// One option of the *CRM to push to* select.
#[derive(Debug, Clone)]
pub struct CrmChoice {
    /// The connector id (the option value).
    id: String,
    /// The CRM's kind and address, for people.
    label: String,
    /// The list pushes there (saved, or as submitted).
    selected: bool,
}

/// The *CRM to push to* choices of `loaded`'s list with `setup`'s choice selected.
async fn crm_choices(
    state: &AppState,
    viewer: &Viewer,
    loaded: &Loaded,
    setup: &SyncSetup,
) -> Result<Vec<CrmChoice>, ConsoleError> {
    if loaded.rows.list.connector_id.is_some() {
        return Ok(Vec::new());
    }
    let records = state
        .connectors()
        .list(viewer.account_id())
        .await
        .map_err(ConsoleError::service)?;
    if records.len() < 2 {
        return Ok(Vec::new());
    }
    Ok(records
        .iter()
        .map(|r| CrmChoice {
            id: r.id.as_db(),
            label: format!(
                "{} at {}",
                crate::console::connectors::kind_name(state, &r.kind),
                r.base_url
            ),
            selected: setup.connector_id == Some(r.id),
        })
        .collect())
}

/// `?done=` after a save.
#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /lists/{id}/sync`.
pub async fn show_list(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
    Query(query): Query<DoneQuery>,
) -> Result<Response, ConsoleError> {
    show(&state, &viewer, SyncTarget::List(id), query).await
}

/// `GET /segments/{id}/sync`.
pub async fn show_segment(
    State(state): State<AppState>,
    viewer: Viewer,
    SegmentPath(id): SegmentPath,
    Query(query): Query<DoneQuery>,
) -> Result<Response, ConsoleError> {
    show(&state, &viewer, SyncTarget::Segment(id), query).await
}

/// `POST /lists/{id}/sync`.
pub async fn save_list(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    save(&state, &viewer, SyncTarget::List(id), &form).await
}

/// `POST /segments/{id}/sync`.
pub async fn save_segment(
    State(state): State<AppState>,
    viewer: Viewer,
    SegmentPath(id): SegmentPath,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    save(&state, &viewer, SyncTarget::Segment(id), &form).await
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    target: SyncTarget,
    query: DoneQuery,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let loaded = Loaded::load(state, account, target).await?;
    let setup = sync::load_setup(state, account, target)
        .await
        .map_err(ConsoleError::service)?;
    let notice = match query.done.as_deref() {
        Some("sync_saved") => {
            "Sync setup saved. Run Now runs it; Preview shows what it would do first."
        }
        _ => "",
    };
    render(state, viewer, &loaded, &setup, notice, FieldErrors::none())
        .await?
        .respond(StatusCode::OK)
}

async fn save(
    state: &AppState,
    viewer: &Viewer,
    target: SyncTarget,
    form: &[(String, String)],
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let map = sync::field_map(state, account, target)
        .await
        .map_err(ConsoleError::service)?;
    let submitted = form::parse(form, &map);
    let mut reconfirm = false;
    let (status, errors) = if submitted.bad_rule {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            FieldErrors::on("conflict_rule", "Choose one of the three rules."),
        )
    } else {
        match sync::save_setup(state, account, target, submitted.setup.clone()).await {
            Ok(_) => {
                let url = format!("{}/sync?done=sync_saved", super::target::base_url(target));
                return Ok(Redirect::to(&url).into_response());
            }
            Err(err) => {
                let api = form_error(err)?;
                reconfirm = matches!(api.code(), "crm_login_failed" | "connector_reset");
                (api.status(), beside(&api, &submitted.setup))
            }
        }
    };
    let loaded = Loaded::load(state, account, target).await?;
    let mut page = render(state, viewer, &loaded, &submitted.setup, "", errors).await?;
    page.reconfirm = reconfirm;
    page.respond(status)
}

/// The sync page showing `setup` (saved, or as submitted) with `errors`.
pub async fn render(
    state: &AppState,
    viewer: &Viewer,
    loaded: &Loaded,
    setup: &SyncSetup,
    notice: &str,
    errors: FieldErrors,
) -> Result<SyncPage, ConsoleError> {
    let map = sync::field_map(state, viewer.account_id(), loaded.target)
        .await
        .map_err(ConsoleError::service)?;
    let crms = crm_choices(state, viewer, loaded, setup).await?;
    Ok(SyncPage {
        layout: Layout::new(viewer, Section::Lists),
        list_head: loaded.list_head.clone(),
        segment_head: loaded.segment_head.clone(),
        notice: notice.to_string(),
        base: loaded.base_url(),
        fields_url: loaded.fields_url(),
        view: SetupView::new(setup, &map, loaded.can_pull()),
        why_no_pull: loaded.why_no_pull(),
        run_blocked: loaded.run_blocked(),
        errors,
        reconfirm: false,
        crms,
    })
}

/// A refusal of `save_setup` beside the control it concerns (its code says which; its
/// `details.names` say, for unknown fields, whether they were push or pull fields).
fn beside(api: &ApiError, setup: &SyncSetup) -> FieldErrors {
    let names: Vec<String> = api
        .details()
        .and_then(|d| d.get("names"))
        .and_then(|n| n.as_array())
        .map(|n| {
            n.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let pushed = |name: &String| {
        setup
            .push
            .fields
            .iter()
            .any(|f| f.eq_ignore_ascii_case(name))
    };
    let control = match api.code() {
        "pull_not_allowed" => "pull",
        "read_only_fields" | "fields_without_column" => "push_fields",
        "unknown_fields" if names.iter().any(pushed) => "push_fields",
        "unknown_fields" => "pull_fields",
        "address_columns_unmapped" => "push",
        "connector_required" | "unknown_connector" | "connector_not_allowed" => "connector_id",
        _ => return FieldErrors::form(words::sentence(api.message())),
    };
    FieldErrors::on(control, words::sentence(api.message()))
}
