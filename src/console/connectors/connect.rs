//! *Connect*: the CRM's kind, URL, login and password, verified by logging in before
//! anything is saved (the same [`ConnectorService::connect`] as `POST /v1/connectors`).
//!
//! [`ConnectorService::connect`]: crate::connectors::ConnectorService::connect

use secrecy::SecretString;
use serde::Deserialize;

use super::{
    errors::refusal,
    view::{KindChoice, kind_choices},
};
use crate::console::prelude::*;
use crate::{connectors::ConnectRequest, store::ConnectorRateLimit};

/// The controls of the Connect form.
const CONTROLS: &[&str] = &["kind", "base_url", "username", "password"];

/// What the Connect form shows in its controls (never the password).
#[derive(Debug, Clone, Default)]
pub struct ConnectValues {
    /// The chosen kind code.
    pub kind: String,
    /// The CRM URL as typed.
    pub base_url: String,
    /// The CRM login name as typed.
    pub username: String,
}

/// The Connect page (also shown again, with messages, after a refusal).
#[derive(Template)]
#[template(path = "console/connectors_new.html")]
struct ConnectPage {
    layout: Layout,
    form: ConnectValues,
    errors: FieldErrors,
    kinds: Vec<KindChoice>,
}

/// The submitted Connect form.
#[derive(Deserialize)]
pub struct ConnectForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    base_url: String,
    #[serde(default)]
    username: String,
    /// Absent counts as empty, like a blank field.
    #[serde(default)]
    password: SecretString,
}

/// `GET /connectors/new`: the empty Connect form.
pub async fn show(
    State(state): State<AppState>,
    Admin(viewer): Admin,
) -> Result<Response, ConsoleError> {
    page(
        &state,
        &viewer,
        ConnectValues::default(),
        FieldErrors::none(),
        StatusCode::OK,
    )
}

/// `POST /connectors`: verifies and saves, then back to the list with a notice; a
/// refusal shows the form again with the message beside its control.
pub async fn submit(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Form(form): Form<ConnectForm>,
) -> Result<Response, ConsoleError> {
    let typed = ConnectValues {
        kind: form.kind.clone(),
        base_url: form.base_url.clone(),
        username: form.username.clone(),
    };
    let request = ConnectRequest {
        kind: form.kind,
        base_url: form.base_url,
        username: form.username,
        password: form.password,
        rate_limit: ConnectorRateLimit::default(),
    };
    match state
        .connectors()
        .connect(viewer.account_id(), request)
        .await
    {
        Ok(_) => Ok(Redirect::to("/connectors?done=connected").into_response()),
        Err(err) => {
            let refused = refusal(err, CONTROLS)?;
            page(&state, &viewer, typed, refused.errors, refused.status)
        }
    }
}

fn page(
    state: &AppState,
    viewer: &Viewer,
    mut form: ConnectValues,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let kinds = kind_choices(state);
    if form.kind.is_empty() {
        form.kind = kinds
            .first()
            .map(|k| k.code.to_string())
            .unwrap_or_default();
    }
    ConnectPage {
        layout: Layout::new(viewer, Section::Connectors),
        form,
        errors,
        kinds,
    }
    .respond(status)
}
