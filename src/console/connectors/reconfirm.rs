//! *Reconfirm Login*: a new password (and, if they changed, the login name or the CRM's
//! address) for a connector, verified by logging in before it replaces the stored one (the same
//! [`ConnectorService::reconfirm`] as the API); a refused login changes nothing.
//!
//! [`ConnectorService::reconfirm`]: crate::connectors::ConnectorService::reconfirm

use secrecy::SecretString;
use serde::Deserialize;

use super::{errors::refusal, owned, view::ConnectorRow};
use crate::console::prelude::*;
use crate::{connectors::ReconfirmRequest, error::ApiError, scheduling::ScheduleService};

/// The controls of the Reconfirm Login form.
const CONTROLS: &[&str] = &["base_url", "username", "password"];

/// The Reconfirm Login page.
#[derive(Template)]
#[template(path = "console/connectors_reconfirm.html")]
struct ReconfirmPage {
    layout: Layout,
    connector: ConnectorRow,
    base_url: String,
    username: String,
    errors: FieldErrors,
}

/// The submitted Reconfirm Login form.
#[derive(Deserialize)]
pub struct ReconfirmForm {
    #[serde(default)]
    base_url: String,
    #[serde(default)]
    username: String,
    /// Absent counts as empty, like a blank field.
    #[serde(default)]
    password: SecretString,
}

/// `GET /connectors/{id}/reconfirm`: the form, with the stored address and login name.
pub async fn show(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let record = owned(&state, viewer.account_id(), &id).await?;
    let connector = ConnectorRow::of(&state, &record);
    let typed = Typed {
        base_url: connector.base_url.clone(),
        username: connector.username.clone(),
    };
    page(
        &viewer,
        connector,
        typed,
        FieldErrors::none(),
        StatusCode::OK,
    )
}

/// `POST /connectors/{id}/reconfirm`: verifies and saves, then back to the list.
pub async fn submit(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
    Form(form): Form<ReconfirmForm>,
) -> Result<Response, ConsoleError> {
    let record = owned(&state, viewer.account_id(), &id).await?;
    let request = ReconfirmRequest {
        base_url: Some(form.base_url.clone()),
        username: Some(form.username.clone()),
        password: form.password,
    };
    match state
        .connectors()
        .reconfirm(viewer.account_id(), record.id, request)
        .await
    {
        Ok(done) => {
            ScheduleService::new(&state)
                .resume_for_connector(viewer.account_id(), done.id)
                .await
                .map_err(ApiError::from)?;
            Ok(Redirect::to(&format!(
                "/connectors?done=reconfirmed&connector={}",
                done.id
            ))
            .into_response())
        }
        Err(err) => {
            let refused = refusal(err, CONTROLS)?;
            let connector = ConnectorRow::of(&state, &record);
            let typed = Typed {
                base_url: form.base_url,
                username: form.username,
            };
            page(&viewer, connector, typed, refused.errors, refused.status)
        }
    }
}

/// What the form shows in its text fields: the stored values, or what was typed.
struct Typed {
    base_url: String,
    username: String,
}

fn page(
    viewer: &Viewer,
    connector: ConnectorRow,
    typed: Typed,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    ReconfirmPage {
        layout: Layout::new(viewer, Section::Connectors),
        connector,
        base_url: typed.base_url,
        username: typed.username,
        errors,
    }
    .respond(status)
}
