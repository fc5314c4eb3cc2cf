//! Lookup keys from the Callers page: *Create lookup key* (the key, its secret and the
//! lookup URL are shown once; only SHA-256 hashes are kept) and *Revoke* behind a
//! confirmation (the next lookup with the key answers 401).

use axum::http::HeaderMap;
use serde::Deserialize;

use super::{index, key_id, origin};
use crate::callers::keys::{LookupKeyError, LookupKeys, NewKey, SECRET_HEADER};
use crate::console::prelude::*;

/// The submitted *Create lookup key* form.
#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    require_secret: Option<String>,
    #[serde(default)]
    dtmf_field: String,
}

/// The page that shows a new key, once.
#[derive(Template)]
#[template(path = "console/callers_key_created.html")]
struct KeyCreatedPage {
    layout: Layout,
    name: String,
    key: String,
    secret: String,
    secret_header: &'static str,
    lookup_url: String,
    route_url: String,
}

/// The revoke confirmation page.
#[derive(Template)]
#[template(path = "console/callers_key_revoke.html")]
struct RevokePage {
    layout: Layout,
    id: String,
    name: String,
    prefix: String,
}

/// `POST /callers/keys`: creates the key and shows it once; a refusal shows the page
/// again with the message beside the control.
pub async fn create(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    headers: HeaderMap,
    Form(form): Form<KeyForm>,
) -> Result<Response, ConsoleError> {
    let new = NewKey {
        name: form.name.clone(),
        require_secret: form.require_secret.is_some(),
        dtmf_field: Some(form.dtmf_field.clone()),
    };
    match LookupKeys::from_state(&state)
        .create(viewer.account_id(), &new)
        .await
    {
        Ok(created) => {
            let base = format!("{}/crm-lookup/{}", origin(&state, &headers), created.key());
            KeyCreatedPage {
                layout: Layout::new(&viewer, Section::Callers),
                name: created.record.name.clone(),
                key: created.key().to_string(),
                secret: created.secret().unwrap_or_default().to_string(),
                secret_header: SECRET_HEADER,
                route_url: format!("{base}/route/{{rule_set_id}}"),
                lookup_url: base,
            }
            .respond_no_store(StatusCode::OK)
        }
        Err(err @ (LookupKeyError::InvalidName(_) | LookupKeyError::InvalidDtmfField { .. })) => {
            let field = match err {
                LookupKeyError::InvalidName(_) => "name",
                _ => "dtmf_field",
            };
            let message = crate::error::ApiError::from(err).message().to_string();
            index::render(
                &state,
                &viewer,
                index::KeyFormValues {
                    name: form.name,
                    require_secret: form.require_secret.is_some(),
                    dtmf_field: form.dtmf_field,
                },
                FieldErrors::on(field, words::sentence(&message)),
                "",
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(ConsoleError::service(other)),
    }
}

/// `GET /callers/keys/{id}/revoke`: what revoking does, and the button that does it.
pub async fn show_revoke(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let key = LookupKeys::from_state(&state)
        .get(viewer.account_id(), key_id(&id)?)
        .await
        .map_err(ConsoleError::service)?;
    RevokePage {
        layout: Layout::new(&viewer, Section::Callers),
        id: key.id.to_string(),
        name: key.name,
        prefix: key.prefix,
    }
    .respond(StatusCode::OK)
}

/// `POST /callers/keys/{id}/revoke`: revokes, then back to the page with a notice.
pub async fn revoke(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    LookupKeys::from_state(&state)
        .revoke(viewer.account_id(), key_id(&id)?)
        .await
        .map_err(ConsoleError::service)?;
    Ok(Redirect::to("/callers?done=revoked").into_response())
}
