//! *Import Leads* / *Import Contacts*: the list name (the API's default to start with),
//! the CRM connector, and the CRM field picker; then
//! [`crate::lists::import::start_import`], exactly as `POST /v1/lists/import`, and on to
//! the run's live progress. A refusal is shown beside the field it is about, with every
//! choice kept.

use axum::{Router, extract::RawForm, routing::get};
use listbridge_connector::{EntityKind, Vocabulary};
use serde::Deserialize;

use crate::console::prelude::*;
use crate::{
    console::field_picker::{FieldChoice, choices},
    error::ApiError,
    lists::import::{ImportRequest, default_name, start_import},
    store::{AccountId, ConnectorId, ConnectorRecord, ConnectorStatus},
};

/// `GET/POST /lists/import`, and the picker alone for another connector.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lists/import", get(show).post(submit))
        .route("/lists/import/fields", get(fields_fragment))
}

/// The import form.
#[derive(Template)]
#[template(path = "console/import.html")]
struct ImportPage {
    layout: Layout,
    /// "Import Leads" / "Import Contacts".
    title: &'static str,
    /// `lead` / `contact`, posted back.
    entity: &'static str,
    /// "lead" / "contact", in sentences.
    singular: &'static str,
    connectors: Vec<ConnectorOption>,
    name: String,
    fields: Vec<FieldChoice>,
    load_error: String,
    kept: Vec<String>,
    errors: FieldErrors,
}

/// The field picker for one connector (when the connector select changes).
#[derive(Template)]
#[template(path = "console/import_fields.html")]
struct FieldsFragment {
    fields: Vec<FieldChoice>,
    load_error: String,
    kept: Vec<String>,
}

/// One choice of the connector select.
struct ConnectorOption {
    id: String,
    label: String,
    selected: bool,
}

#[derive(Debug, Deserialize)]
struct ImportQuery {
    entity: Option<String>,
    connector: Option<String>,
}

/// What the form sent.
#[derive(Debug, Default)]
struct Submitted {
    entity: Option<String>,
    connector: Option<String>,
    name: Option<String>,
    fields: Vec<String>,
}

/// Reads the url-encoded form; `fields` repeats, one value per ticked box.
fn parse_form(body: &[u8]) -> Submitted {
    let mut form = Submitted::default();
    for (key, value) in url::form_urlencoded::parse(body) {
        match key.as_ref() {
            "entity" => form.entity = Some(value.into_owned()),
            "connector" => form.connector = Some(value.into_owned()),
            "name" => form.name = Some(value.into_owned()),
            "fields" if !value.trim().is_empty() => form.fields.push(value.into_owned()),
            _ => {}
        }
    }
    form
}

/// Leads unless the address says contacts; anything else is refused.
fn parse_entity(raw: Option<&str>) -> Result<EntityKind, ConsoleError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(EntityKind::Lead),
        Some(raw) => raw
            .parse()
            .map_err(|e: String| ConsoleError::Api(ApiError::bad_request("invalid_entity", e))),
    }
}

/// The fields shown ticked and locked: the member key and the always-imported names,
/// as the connector's CRM names them.
fn locked(vocab: &dyn Vocabulary, entity: EntityKind) -> Vec<&'static str> {
    let mut locked = vec![vocab.email_field(entity)];
    locked.extend(vocab.always_imported(entity));
    locked
}

/// The picker's checkboxes for a connector, or why the CRM's fields could not be read.
async fn load_fields(
    state: &AppState,
    account: AccountId,
    connector: Option<ConnectorId>,
    entity: EntityKind,
    ticked: &[String],
) -> (Vec<FieldChoice>, String) {
    let Some(connector) = connector else {
        return (Vec::new(), String::new());
    };
    let connectors = state.connectors();
    let described = match connectors.vocabulary(account, connector).await {
        Ok(vocab) => connectors
            .fields(account, connector, entity)
            .await
            .map(|defs| (vocab, defs)),
        Err(err) => Err(err),
    };
    match described {
        Ok((vocab, defs)) => (
            choices(defs, &locked(vocab, entity), ticked, &[]),
            String::new(),
        ),
        Err(err) => {
            let api: ApiError = err.into();
            (Vec::new(), api.message().to_string())
        }
    }
}

/// The account's connectors, or the error page.
async fn connectors_of(
    state: &AppState,
    account: AccountId,
) -> Result<Vec<ConnectorRecord>, ConsoleError> {
    state
        .connectors()
        .list(account)
        .await
        .map_err(ConsoleError::service)
}

/// The connector to preselect: the one asked for, else the first connected one.
fn pick(connectors: &[ConnectorRecord], asked: Option<ConnectorId>) -> Option<&ConnectorRecord> {
    asked
        .and_then(|id| connectors.iter().find(|c| c.id == id))
        .or_else(|| {
            connectors
                .iter()
                .find(|c| c.status == ConnectorStatus::Connected)
        })
        .or_else(|| connectors.first())
}

fn options(
    state: &AppState,
    connectors: &[ConnectorRecord],
    selected: Option<ConnectorId>,
) -> Vec<ConnectorOption> {
    connectors
        .iter()
        .map(|c| {
            let crm = state
                .registry
                .get(&c.kind)
                .map_or(c.kind.as_str(), |f| f.display_name());
            let mut label = format!("{crm} · {} ({})", c.base_url, c.username);
            if c.status == ConnectorStatus::Reset {
                label.push_str(" · reset: an admin must reconfirm its login");
            }
            ConnectorOption {
                id: c.id.to_string(),
                label,
                selected: Some(c.id) == selected,
            }
        })
        .collect()
}

/// What the form shows: the entity's words, the choices and any messages.
struct FormState {
    entity: EntityKind,
    connector: Option<ConnectorId>,
    name: Option<String>,
    fields: Vec<String>,
    errors: FieldErrors,
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    form: FormState,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let connectors = connectors_of(state, account).await?;
    let selected = pick(&connectors, form.connector);
    let name = match (&form.name, selected) {
        (Some(name), _) => name.clone(),
        (None, Some(c)) => default_name(state, c, &connectors, form.entity),
        (None, None) => String::new(),
    };
    let selected_id = selected.map(|c| c.id);
    let (fields, load_error) =
        load_fields(state, account, selected_id, form.entity, &form.fields).await;
    let (title, entity, singular) = match form.entity {
        EntityKind::Lead => ("Import Leads", "lead", "lead"),
        EntityKind::Contact => ("Import Contacts", "contact", "contact"),
    };
    let page = ImportPage {
        layout: Layout::new(viewer, Section::Lists),
        title,
        entity,
        singular,
        connectors: options(state, &connectors, selected_id),
        name,
        fields,
        load_error,
        kept: form.fields,
        errors: form.errors,
    };
    page.respond(status)
}

async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ImportQuery>,
) -> Result<Response, ConsoleError> {
    let form = FormState {
        entity: parse_entity(query.entity.as_deref())?,
        connector: query.connector.as_deref().and_then(ConnectorId::from_db),
        name: None,
        fields: Vec::new(),
        errors: FieldErrors::none(),
    };
    render(&state, &viewer, form, StatusCode::OK).await
}

async fn fields_fragment(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ImportQuery>,
) -> Result<Response, ConsoleError> {
    let entity = parse_entity(query.entity.as_deref())?;
    let connector = query.connector.as_deref().and_then(ConnectorId::from_db);
    let (fields, load_error) =
        load_fields(&state, viewer.account_id(), connector, entity, &[]).await;
    FieldsFragment {
        fields,
        load_error,
        kept: Vec::new(),
    }
    .respond(StatusCode::OK)
}

/// The form field a refusal of the import service is about.
fn field_of_refusal(api: &ApiError) -> &'static str {
    match api.code() {
        "already_exists" | "invalid_value" => "name",
        "unknown_fields" => "fields",
        _ => "connector",
    }
}

async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    RawForm(body): RawForm,
) -> Result<Response, ConsoleError> {
    let sent = parse_form(&body);
    let entity = parse_entity(sent.entity.as_deref())?;
    let connector = sent.connector.as_deref().and_then(ConnectorId::from_db);
    let mut form = FormState {
        entity,
        connector,
        name: sent.name.clone(),
        fields: sent.fields.clone(),
        errors: FieldErrors::none(),
    };
    let Some(connector) = connector else {
        form.errors = FieldErrors::on("connector", "Choose the CRM connector to import from.");
        return render(&state, &viewer, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let request = ImportRequest {
        connector,
        entity,
        name: sent.name,
        fields: sent.fields,
    };
    match start_import(&state, viewer.account_id(), request).await {
        Ok(started) => Ok(Redirect::to(&format!("/runs/{}", started.run.id)).into_response()),
        Err(err) => {
            let api: ApiError = err.into();
            // Our own failures get the error page; the CRM's (502/503) are the marketer's
            // to read beside the connector.
            if matches!(api.code(), "internal" | "database_unavailable") {
                return Err(ConsoleError::from(api));
            }
            form.errors = FieldErrors::from_api(&api, field_of_refusal(&api), |f| match f {
                "name" => Some("name"),
                "fields" => Some("fields"),
                _ => None,
            });
            render(&state, &viewer, form, api.status()).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_are_all_kept() {
        let form =
            parse_form(b"csrf=t&entity=lead&name=Q3+leads&fields=LeadScore&fields=Region&fields=");
        assert_eq!(form.entity.as_deref(), Some("lead"));
        assert_eq!(form.name.as_deref(), Some("Q3 leads"));
        assert_eq!(form.fields, ["LeadScore", "Region"]);
        assert_eq!(form.connector, None);
    }

    #[test]
    fn entities_are_leads_or_contacts() {
        assert!(matches!(parse_entity(None), Ok(EntityKind::Lead)));
        assert!(matches!(
            parse_entity(Some("contact")),
            Ok(EntityKind::Contact)
        ));
        assert!(parse_entity(Some("accounts")).is_err());
    }
}
