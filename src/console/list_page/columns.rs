//! *Add List Columns*, `GET/POST /lists/{id}/columns`: for a CRM list the CRM's fields
//! of the list's entity (those already in the list left out) in the field picker,
//! added as pending columns the next sync fills; for an uploaded list plain column
//! names. Saved through `crate::lists::columns::add_columns`, as
//! `POST /v1/lists/{id}/columns`.

use listbridge_connector::EntityKind;

use super::head::{DoneQuery, ListHead, ListPath, Tab, fail, form_error, is_crm, notice};
use crate::console::prelude::*;
use crate::{
    console::field_picker::{self, FieldChoice},
    error::ApiError,
    lists::{
        columns,
        manage::{self, ListDetail},
    },
    store::AccountId,
};

/// A column of the list as the tab lists it.
#[derive(Debug, Clone)]
pub struct ColumnRow {
    /// Its name.
    pub name: String,
    /// The CRM field it mirrors, or "".
    pub crm_field: String,
    /// Added, not filled until the next sync.
    pub pending: bool,
}

#[derive(Template)]
#[template(path = "console/columns.html")]
struct ColumnsPage {
    layout: Layout,
    head: ListHead,
    notice: String,
    columns: Vec<ColumnRow>,
    /// The picker's checkboxes (CRM lists).
    fields: Vec<FieldChoice>,
    /// Why the CRM's fields could not be read, or "".
    picker_error: String,
    /// The names typed (uploaded lists).
    names: String,
    errors: FieldErrors,
}

/// `GET /lists/{id}/columns`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
    Query(query): Query<DoneQuery>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let detail = manage::detail(&state, account, id).await.map_err(fail)?;
    let notice = notice(query.done.as_deref(), &detail.list);
    let page = page(
        &state,
        &viewer,
        detail,
        notice,
        &[],
        String::new(),
        FieldErrors::none(),
    )
    .await?;
    page.respond(StatusCode::OK)
}

/// `POST /lists/{id}/columns`: `fields` (ticked CRM fields) or `names` (one per line
/// or comma-separated).
pub async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let ticked: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "fields")
        .map(|(_, v)| v.clone())
        .collect();
    let typed = form
        .iter()
        .find(|(k, _)| k == "names")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut wanted = ticked.clone();
    wanted.extend(
        typed
            .split(['\n', ','])
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(String::from),
    );
    let api: ApiError = match columns::add_columns(&state, account, id, &wanted).await {
        Ok(_) => {
            return Ok(
                Redirect::to(&format!("/lists/{id}/columns?done=columns_added")).into_response(),
            );
        }
        Err(err) => form_error(err)?,
    };
    let detail = manage::detail(&state, account, id).await.map_err(fail)?;
    let errors = FieldErrors::on("fields", api.message());
    let page = page(
        &state,
        &viewer,
        detail,
        String::new(),
        &ticked,
        typed,
        errors,
    )
    .await?;
    page.respond(api.status())
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    detail: ListDetail,
    notice: String,
    ticked: &[String],
    names: String,
    errors: FieldErrors,
) -> Result<ColumnsPage, ConsoleError> {
    let account = viewer.account_id();
    let (fields, picker_error) = if is_crm(&detail.list) {
        match picker(state, account, &detail, ticked).await {
            Ok(fields) => (fields, String::new()),
            Err(message) => (Vec::new(), message),
        }
    } else {
        (Vec::new(), String::new())
    };
    Ok(ColumnsPage {
        layout: Layout::new(viewer, Section::Lists),
        head: ListHead::load(state, account, &detail.list, Tab::Columns).await?,
        notice,
        columns: detail
            .columns
            .iter()
            .map(|(c, _)| ColumnRow {
                name: c.name.clone(),
                crm_field: c.crm_field.clone().unwrap_or_default(),
                pending: c.pending,
            })
            .collect(),
        fields,
        picker_error,
        names,
        errors,
    })
}

/// The CRM's fields of the list's entity not yet in the list (Email is the member key,
/// never a column), or why they cannot be read.
async fn picker(
    state: &AppState,
    account: AccountId,
    detail: &ListDetail,
    ticked: &[String],
) -> Result<Vec<FieldChoice>, String> {
    let Some(connector) = detail.list.connector_id else {
        return Err(format!(
            "List “{}” is not linked to a CRM connector, so CRM fields cannot be added.",
            detail.list.name
        ));
    };
    let entity = detail.list.entity.unwrap_or(EntityKind::Lead);
    let refused = |e| ApiError::from(e).message().to_string();
    let connectors = state.connectors();
    let defs = connectors
        .fields(account, connector, entity)
        .await
        .map_err(refused)?;
    let vocab = connectors
        .vocabulary(account, connector)
        .await
        .map_err(refused)?;
    let mut exclude: Vec<String> = vec![vocab.email_field(entity).to_string()];
    for (column, _) in &detail.columns {
        exclude.push(column.name.clone());
        if let Some(field) = &column.crm_field {
            exclude.push(field.clone());
        }
    }
    Ok(field_picker::choices(defs, &[], ticked, &exclude))
}
