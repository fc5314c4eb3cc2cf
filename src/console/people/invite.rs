//! `POST /people/invite`: *Invite a person* by email and role, with a one-time
//! sign-in link (valid 72 hours) or a generated password. The page that answers shows
//! the link or the password once: only its hash (link) or its argon2 hash (password)
//! is kept.

use axum::http::{HeaderMap, header};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::{index, people_refusal};
use crate::console::prelude::*;
use crate::{
    console::session,
    people::{InviteBy, Invited, People},
    store::Role,
};

/// The submitted invitation form.
#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    by: String,
}

/// The page that shows the link or the password, once.
#[derive(Template)]
#[template(path = "console/invite_created.html")]
struct InviteCreatedPage {
    layout: Layout,
    email: String,
    role: &'static str,
    /// The sign-in link, or "" when a password was generated.
    link: String,
    /// The generated password, or "" when a link was made.
    password: String,
}

/// Invites, then shows the secret once; a refusal shows the People page again with
/// the message beside the control.
pub async fn submit(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    headers: HeaderMap,
    Form(form): Form<InviteForm>,
) -> Result<Response, ConsoleError> {
    let typed = index::PeopleForm {
        email: form.email.clone(),
        role: form.role.clone(),
        by: form.by.clone(),
        ..index::PeopleForm::default()
    };
    let role: Result<Role, _> = form.role.parse();
    let by = match form.by.as_str() {
        "password" => Some(InviteBy::Password),
        "link" => Some(InviteBy::Link),
        _ => None,
    };
    let (role, by) = match (role, by) {
        (Ok(role), Some(by)) => (role, by),
        (Err(_), _) => {
            return refused(
                &state,
                &viewer,
                typed,
                FieldErrors::on("role", "Choose admin or marketer."),
            )
            .await;
        }
        (_, None) => {
            return refused(
                &state,
                &viewer,
                typed,
                FieldErrors::on("by", "Choose a sign-in link or a generated password."),
            )
            .await;
        }
    };
    let invited = match People::of(&state)
        .invite(viewer.account_id(), &form.email, role, by)
        .await
    {
        Ok(invited) => invited,
        Err(err) => {
            // Every refusal of an invitation is about its email (malformed or taken).
            let (errors, status) = people_refusal(err, |_| "email")?;
            return index::render(&state, &viewer, typed, errors, "", status).await;
        }
    };
    let (user, link, password) = match invited {
        Invited::Link { user, token } => {
            let link = link(&state, &headers, token.expose_secret());
            (user, link, String::new())
        }
        Invited::Password { user, password } => {
            (user, String::new(), password.expose_secret().to_string())
        }
    };
    tracing::info!(user = %user.id, account = %user.account_id, by = ?by, "invited a person to the console");
    InviteCreatedPage {
        layout: Layout::new(&viewer, Section::People),
        email: user.email,
        role: user.role.as_str(),
        link,
        password,
    }
    .respond_no_store(StatusCode::OK)
}

async fn refused(
    state: &AppState,
    viewer: &Viewer,
    typed: index::PeopleForm,
    errors: FieldErrors,
) -> Result<Response, ConsoleError> {
    index::render(
        state,
        viewer,
        typed,
        errors,
        "",
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// The absolute sign-in link of an invitation's token, on the address the admin
/// reached this page at.
fn link(state: &AppState, headers: &HeaderMap, token: &str) -> String {
    let scheme = if session::secure(state, headers) {
        "https"
    } else {
        "http"
    };
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("{scheme}://{host}/invite/{token}"),
        None => format!("/invite/{token}"),
    }
}
