//! API keys from the People page: *Create API key* with a name (the key is shown once,
//! only its SHA-256 is kept) and *Revoke* behind a confirmation (the next request with
//! the key is refused). Both go through [`crate::accounts::AccountAdmin`].

use serde::Deserialize;

use super::{account_admin, account_failure, index, key_id};
use crate::accounts::AccountError;
use crate::console::prelude::*;

/// The submitted *Create API key* form.
#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    label: String,
}

/// The page that shows a new key, once.
#[derive(Template)]
#[template(path = "console/people_key_created.html")]
struct KeyCreatedPage {
    layout: Layout,
    label: String,
    key: String,
}

/// The revoke confirmation page.
#[derive(Template)]
#[template(path = "console/people_key_revoke.html")]
struct RevokePage {
    layout: Layout,
    id: String,
    label: String,
    prefix: String,
    last_used: String,
}

/// `POST /people/keys`: creates the key and shows it once; a refusal shows the People
/// page again with the message beside the name.
pub async fn create(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Form(form): Form<KeyForm>,
) -> Result<Response, ConsoleError> {
    match account_admin(&state)
        .create_key_in(viewer.account_id(), &form.label)
        .await
    {
        Ok((key, label)) => {
            tracing::info!(account = %viewer.account_id(), prefix = %key.display_prefix(), "created an API key in the console");
            KeyCreatedPage {
                layout: Layout::new(&viewer, Section::People),
                label,
                key: key.expose().to_string(),
            }
            .respond_no_store(StatusCode::OK)
        }
        Err(err @ AccountError::InvalidLabel(_)) => {
            let typed = index::PeopleForm {
                key_label: form.label,
                ..index::PeopleForm::default()
            };
            index::render(
                &state,
                &viewer,
                typed,
                FieldErrors::on("key_label", words::sentence(&err.to_string())),
                "",
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(account_failure(other)),
    }
}

/// `GET /people/keys/{id}/revoke`: what revoking does, and the button that does it.
pub async fn show_revoke(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let key = account_admin(&state)
        .key(viewer.account_id(), key_id(&id)?)
        .await
        .map_err(account_failure)?;
    RevokePage {
        layout: Layout::new(&viewer, Section::People),
        id: key.id.to_string(),
        label: key.label,
        prefix: key.prefix,
        last_used: key
            .last_used_at
            .map_or_else(|| "never".to_string(), words::when),
    }
    .respond(StatusCode::OK)
}

/// `POST /people/keys/{id}/revoke`: revokes, then back to the page with a notice.
pub async fn revoke(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let key = account_admin(&state)
        .revoke_key(viewer.account_id(), key_id(&id)?)
        .await
        .map_err(account_failure)?;
    tracing::info!(account = %viewer.account_id(), prefix = %key.prefix, "revoked an API key in the console");
    Ok(Redirect::to("/people?done=revoked").into_response())
}
