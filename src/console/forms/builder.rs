//! The form builder (`/forms/new`, `/forms/{id}`): name, connector, the hosted page's
//! texts, thank-you, *Create new leads*, *Update these fields on an existing lead or
//! contact*, and the field rows. Saved through [`crate::forms::create_form`] and
//! [`crate::forms::update_form`], like `/v1/forms`; a refusal shows the form again with
//! the message beside the row or control it is about and everything typed kept.

use axum::{
    Form as Posted,
    http::{HeaderMap, header},
};
use listbridge_connector::EntityKind;
use serde::Deserialize;

use super::{builder_values::BuilderValues, owned};
use crate::console::prelude::*;
use crate::{
    api::public_forms::page::{EmbedSnippet, field_views},
    console::{
        field_picker::{FieldChoice, choices},
        session,
    },
    domain::field_usage::SystemUsage,
    error::ApiError,
    forms::{FormError, HONEYPOT_FIELD},
    store::{ConnectorId, Form, FormFieldKind, FormSettings},
};

/// One choice of a select control.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The value posted.
    pub value: String,
    /// What the marketer reads.
    pub label: String,
}

/// What the form's own page shows beside the builder (saved forms only).
#[derive(Debug, Clone)]
pub struct Published {
    /// The form id.
    pub id: String,
    /// The hosted page's path.
    pub hosted: String,
    /// The embed snippet's HTML (shown as text).
    pub snippet: String,
}

/// The builder page.
#[derive(Template)]
#[template(path = "console/form_builder.html")]
struct BuilderPage {
    layout: Layout,
    values: BuilderValues,
    errors: FieldErrors,
    action: String,
    connectors: Vec<Choice>,
    kinds: Vec<Choice>,
    mappings: Vec<Choice>,
    update_choices: Vec<FieldChoice>,
    crm_problem: String,
    published: Option<Published>,
    notice: &'static str,
}

impl BuilderPage {
    fn row_error(&self, index: &usize) -> &str {
        self.errors.get(&format!("f{index}"))
    }
}

/// `?done=` on the form's page.
#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /forms/new`: an empty builder.
pub async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, ConsoleError> {
    page(
        &state,
        &viewer,
        BuilderValues::blank(),
        FieldErrors::none(),
        None,
        "",
        StatusCode::OK,
    )
    .await
}

/// `GET /forms/{id}`: a saved form's builder, hosted page link and embed snippet.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, ConsoleError> {
    let form = owned(&state, viewer.account_id(), &raw).await?;
    let published = published(&state, &headers, &form)?;
    let notice = match done.done.as_deref() {
        Some("created") => "The form is saved. Its hosted page and embed snippet are ready.",
        Some("saved") => "The form is saved.",
        _ => "",
    };
    page(
        &state,
        &viewer,
        BuilderValues::of(&form),
        FieldErrors::none(),
        Some(published),
        notice,
        StatusCode::OK,
    )
    .await
}

/// `POST /forms`: creates the form (or shows more blank rows).
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let values = BuilderValues::parse(&pairs);
    let account = viewer.account_id();
    submit(
        &state,
        &viewer,
        values,
        None,
        "created",
        |connector, settings| crate::forms::create_form(&state, account, connector, settings),
    )
    .await
}

/// `POST /forms/{id}`: saves the form (or shows more blank rows).
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let form = owned(&state, viewer.account_id(), &raw).await?;
    let mut values = BuilderValues::parse(&pairs);
    values.keep_unknown_fields = form.settings.keep_unknown_fields;
    let published = Some(published(&state, &headers, &form)?);
    let account = viewer.account_id();
    submit(
        &state,
        &viewer,
        values,
        published,
        "saved",
        |connector, settings| {
            crate::forms::update_form(&state, account, form.id, connector, settings)
        },
    )
    .await
}

/// A posted builder: *Add rows* shows it again with more blank rows; else `save`
/// stores it and the browser goes to the form's page with `?done=<done>`, or the
/// builder comes back with everything typed and the refusal beside its row or control.
async fn submit<Fut>(
    state: &AppState,
    viewer: &Viewer,
    values: BuilderValues,
    published: Option<Published>,
    done: &str,
    save: impl FnOnce(Option<ConnectorId>, FormSettings) -> Fut,
) -> Result<Response, ConsoleError>
where
    Fut: Future<Output = Result<Form, FormError>>,
{
    if values.action == "more" {
        let errors = FieldErrors::none();
        return page(state, viewer, values, errors, published, "", StatusCode::OK).await;
    }
    let (connector, settings) = values.settings();
    let api = match save(connector, settings).await {
        Ok(form) => {
            return Ok(Redirect::to(&format!("/forms/{}?done={done}", form.id)).into_response());
        }
        Err(err) => ApiError::from(err),
    };
    if api.status().is_server_error() {
        return Err(ConsoleError::from(api));
    }
    let errors = values.errors_for(&api);
    page(state, viewer, values, errors, published, "", api.status()).await
}

/// The hosted page's path and the embed snippet (posting to this service's address).
fn published(
    state: &AppState,
    headers: &HeaderMap,
    form: &Form,
) -> Result<Published, ConsoleError> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if session::secure(state, headers) {
        "https"
    } else {
        "http"
    };
    let hosted = format!("/f/{}", form.form_key);
    let snippet = EmbedSnippet {
        action: format!("{scheme}://{host}{hosted}"),
        fields: field_views(form, &Default::default(), &Default::default()),
        honeypot: HONEYPOT_FIELD,
    }
    .render()?;
    Ok(Published {
        id: form.id.to_string(),
        hosted,
        snippet,
    })
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    mut values: BuilderValues,
    errors: FieldErrors,
    published: Option<Published>,
    notice: &'static str,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let records = state
        .connectors()
        .list(account)
        .await
        .map_err(ConsoleError::service)?;
    if values.connector.is_empty() {
        values.connector = records.first().map(|c| c.id.as_db()).unwrap_or_default();
    }
    let connectors: Vec<Choice> = records
        .iter()
        .map(|c| Choice {
            value: c.id.as_db(),
            label: format!("{} ({})", c.base_url, c.username),
        })
        .collect();
    let mut crm_problem = String::new();
    let defs = match ConnectorId::from_db(&values.connector) {
        Some(id) => match lead_and_contact_fields(state, account, id).await {
            Ok(defs) => defs,
            Err(e) => {
                crm_problem = format!(
                    "The CRM's fields could not be read ({}); mapping to CRM fields is unavailable until it answers.",
                    ApiError::from(e).message()
                );
                Vec::new()
            }
        },
        None => {
            crm_problem = "Connect a CRM before creating a form.".to_string();
            Vec::new()
        }
    };
    let mut mappings = vec![Choice {
        value: String::new(),
        label: "By its name (Standard Field Names)".into(),
    }];
    mappings.extend(SystemUsage::ALL.into_iter().map(|u| Choice {
        value: format!("usage:{}", u.as_str()),
        label: format!("Standard: {}", u.as_str().replace('_', " ")),
    }));
    mappings.extend(defs.iter().filter(|d| !d.read_only).map(|d| Choice {
        value: format!("crm:{}", d.name),
        label: format!("CRM: {} ({})", d.label, d.name),
    }));
    // A mapping typed earlier that is no longer offered stays visible and chosen.
    for row in &values.rows {
        if !row.map.is_empty() && !mappings.iter().any(|m| m.value == row.map) {
            mappings.push(Choice {
                value: row.map.clone(),
                label: row.map.replacen(':', ": ", 1),
            });
        }
    }
    let writable: Vec<_> = defs.into_iter().filter(|d| !d.read_only).collect();
    let update_choices = choices(writable, &[], &values.update_fields, &[]);
    let kinds = FormFieldKind::ALL
        .into_iter()
        .map(|k| Choice {
            value: k.as_str().to_string(),
            label: k.as_str().to_string(),
        })
        .collect();
    for row in &mut values.rows {
        if row.kind.is_empty() {
            row.kind = FormFieldKind::Text.as_str().to_string();
        }
    }
    let action = published
        .as_ref()
        .map_or_else(|| "/forms".to_string(), |p| format!("/forms/{}", p.id));
    BuilderPage {
        layout: Layout::new(viewer, Section::Forms),
        values,
        errors,
        action,
        connectors,
        kinds,
        mappings,
        update_choices,
        crm_problem,
        published,
        notice,
    }
    .respond(status)
}

/// The fields a form may map to: the CRM's lead fields (a form creates leads), then the
/// contact fields leads do not have (a submission may update a contact), as
/// [`crate::forms::check_form`] accepts either.
async fn lead_and_contact_fields(
    state: &AppState,
    account: crate::store::AccountId,
    id: ConnectorId,
) -> Result<Vec<listbridge_connector::FieldDef>, crate::connectors::ConnectError> {
    let connectors = state.connectors();
    let mut defs = connectors.fields(account, id, EntityKind::Lead).await?;
    let contact = connectors.fields(account, id, EntityKind::Contact).await?;
    for def in contact {
        if !defs.iter().any(|d| d.name.eq_ignore_ascii_case(&def.name)) {
            defs.push(def);
        }
    }
    Ok(defs)
}
