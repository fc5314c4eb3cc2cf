//! *Standard Field Names*, `GET/POST /lists/{id}/fields`: each column of the list with
//! its system usage as a select, saved through `crate::field_usages::set` / `remove`
//! (as `PUT/DELETE /v1/field-usages`); and *Optimize for Infor CRM*
//! (`POST /lists/{id}/optimize`), whose result (mapped, already mapped, added) comes
//! back as a notice.

use axum::extract::RawQuery;
use serde::Deserialize;

use super::head::{ListHead, ListPath, Tab, fail, form_error, notice};
use crate::console::prelude::*;
use crate::{
    console::error::urlencode,
    domain::field_usage::SystemUsage,
    field_usages,
    lists::{
        manage::{self, ListDetail},
        optimize,
    },
    store::ListId,
};

/// One choice of a usage select.
#[derive(Debug, Clone)]
pub struct UsageOption {
    /// The usage's name (`business_city`), or "" for none.
    pub value: String,
    /// In words ("Business City").
    pub label: String,
    /// The column's current (or chosen) usage.
    pub selected: bool,
}

/// One column's row.
#[derive(Debug, Clone)]
pub struct UsageRow {
    /// The select's id.
    pub id: String,
    /// The column's name.
    pub column: String,
    /// The CRM field it mirrors, or "".
    pub crm_field: String,
    /// Not filled until the next sync.
    pub pending: bool,
    /// The select's choices.
    pub options: Vec<UsageOption>,
    /// The message beside the select, or "".
    pub error: String,
}

#[derive(Template)]
#[template(path = "console/list_page_fields.html")]
struct FieldsPage {
    layout: Layout,
    head: ListHead,
    notice: String,
    rows: Vec<UsageRow>,
}

impl FieldsPage {
    /// The tab with each column's saved usage, or after a refusal the `chosen` one
    /// (column, usage) with the messages beside the selects.
    async fn load(
        state: &AppState,
        viewer: &Viewer,
        detail: &ListDetail,
        notice: String,
        chosen: Option<(&str, &str)>,
        errors: &FieldErrors,
    ) -> Result<Self, ConsoleError> {
        Ok(FieldsPage {
            layout: Layout::new(viewer, Section::Lists),
            head: ListHead::load(state, viewer.account_id(), &detail.list, Tab::Fields).await?,
            notice,
            rows: rows(detail, chosen, errors),
        })
    }
}

/// A column's usage to save ("" removes it).
#[derive(Debug, Deserialize)]
pub struct UsageForm {
    column: String,
    #[serde(default)]
    usage: String,
}

/// A usage name in words.
fn usage_label(usage: &str) -> String {
    SystemUsage::parse(usage)
        .map(|u| u.standard_column().to_string())
        .unwrap_or_else(|| usage.to_string())
}

fn rows(detail: &ListDetail, chosen: Option<(&str, &str)>, errors: &FieldErrors) -> Vec<UsageRow> {
    let valid = SystemUsage::names();
    detail
        .columns
        .iter()
        .enumerate()
        .map(|(i, (column, usage))| {
            let shown = match chosen {
                Some((c, u)) if c == column.name => u.to_string(),
                _ => usage.clone().unwrap_or_default(),
            };
            let mut options = vec![UsageOption {
                value: String::new(),
                label: "— none —".to_string(),
                selected: shown.is_empty(),
            }];
            options.extend(valid.iter().map(|u| UsageOption {
                value: (*u).to_string(),
                label: usage_label(u),
                selected: shown.eq_ignore_ascii_case(u),
            }));
            UsageRow {
                id: format!("usage-{}", i + 1),
                column: column.name.clone(),
                crm_field: column.crm_field.clone().unwrap_or_default(),
                pending: column.pending,
                options,
                error: errors.get(&column.name).to_string(),
            }
        })
        .collect()
}

/// `GET /lists/{id}/fields`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
    RawQuery(query): RawQuery,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let detail = manage::detail(&state, account, id).await.map_err(fail)?;
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let done = params
        .iter()
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.as_str());
    let notice = if done == Some("optimized") {
        optimized_notice(&detail, &params)
    } else {
        notice(done, &detail.list)
    };
    FieldsPage::load(&state, &viewer, &detail, notice, None, &FieldErrors::none())
        .await?
        .respond(StatusCode::OK)
}

/// `POST /lists/{id}/fields`: one column's Standard Field Name.
pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
    Form(form): Form<UsageForm>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let detail = manage::detail(&state, account, id).await.map_err(fail)?;
    let current = detail
        .columns
        .iter()
        .find(|(c, _)| c.name == form.column)
        .and_then(|(_, u)| u.clone());
    let outcome = if form.usage.trim().is_empty() {
        if current.is_none() {
            return Ok(done(id, "usage_unchanged"));
        }
        field_usages::remove(&state, account, &form.column)
            .await
            .map(|()| "usage_removed")
    } else {
        field_usages::set(&state, account, &form.column, &form.usage)
            .await
            .map(|_| "usage_saved")
    };
    let api = match outcome {
        Ok(code) => return Ok(done(id, code)),
        Err(err) => form_error(err)?,
    };
    let errors = FieldErrors::on(&form.column, api.message());
    let chosen = Some((form.column.as_str(), form.usage.as_str()));
    FieldsPage::load(&state, &viewer, &detail, String::new(), chosen, &errors)
        .await?
        .respond(api.status())
}

/// `POST /lists/{id}/optimize`: *Optimize for Infor CRM*.
pub async fn optimize(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
) -> Result<Response, ConsoleError> {
    let done = optimize::optimize_for_crm(&state, viewer.account_id(), id)
        .await
        .map_err(fail)?;
    let mut url = format!("/lists/{id}/fields?done=optimized");
    let params = done
        .mapped
        .iter()
        .map(|u| ("mapped", &u.column))
        .chain(done.already_mapped.iter().map(|u| ("already", &u.column)))
        .chain(done.added.iter().map(|c| ("added", &c.name)));
    for (key, name) in params {
        url.push_str(&format!("&{key}={}", urlencode(name)));
    }
    Ok(Redirect::to(&url).into_response())
}

fn done(id: ListId, code: &str) -> Response {
    Redirect::to(&format!("/lists/{id}/fields?done={code}")).into_response()
}

/// What *Optimize for Infor CRM* did, in one sentence per outcome. Only names that are
/// columns of the list are repeated, so a crafted link cannot make the page say more.
fn optimized_notice(detail: &ListDetail, params: &[(String, String)]) -> String {
    let named = |key: &str| -> Vec<String> {
        params
            .iter()
            .filter(|(k, _)| k == key)
            .filter_map(|(_, name)| {
                detail
                    .columns
                    .iter()
                    .find(|(c, _)| &c.name == name)
                    .map(|(c, usage)| match usage {
                        Some(u) => format!("{} → {}", c.name, usage_label(u)),
                        None => c.name.clone(),
                    })
            })
            .collect()
    };
    let (mapped, already, added) = (named("mapped"), named("already"), named("added"));
    let mut sentences = vec!["Optimized for Infor CRM.".to_string()];
    if !mapped.is_empty() {
        sentences.push(format!("Mapped: {}.", mapped.join(", ")));
    }
    if !already.is_empty() {
        sentences.push(format!("Already mapped: {}.", already.join(", ")));
    }
    if !added.is_empty() {
        let filled = if super::head::is_crm(&detail.list) {
            " (filled from the CRM on the next sync)"
        } else {
            ""
        };
        sentences.push(format!("Added: {}{filled}.", added.join(", ")));
    }
    if mapped.is_empty() && added.is_empty() {
        sentences.push("Every address column was already in place; nothing changed.".into());
    }
    sentences.join(" ")
}
