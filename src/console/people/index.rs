//! `GET /people`: the account's people (email, role, since when, whether their
//! invitation is still open) with *Change role* and *Remove*, *Invite a person*, and
//! the account's API keys with *Create API key* and *Revoke*. The forms on the page
//! come back here with their messages when refused.

use serde::Deserialize;

use super::account_admin;
use crate::console::prelude::*;
use crate::{people::People, store::Role};

/// What the page's forms hold: empty at first, what was typed after a refusal.
#[derive(Debug, Clone)]
pub struct PeopleForm {
    /// The invitee's email.
    pub email: String,
    /// The invitee's role (`admin` or `marketer`).
    pub role: String,
    /// `link` or `password`.
    pub by: String,
    /// The new API key's name.
    pub key_label: String,
}

impl Default for PeopleForm {
    fn default() -> Self {
        PeopleForm {
            email: String::new(),
            role: Role::Marketer.as_str().to_string(),
            by: "link".to_string(),
            key_label: String::new(),
        }
    }
}

/// One person in the table.
struct PersonRow {
    id: String,
    email: String,
    role: &'static str,
    created: String,
    invited: bool,
    is_me: bool,
    /// The error key of this row's role control.
    role_field: String,
}

/// One API key in the table.
struct KeyRow {
    id: String,
    label: String,
    prefix: String,
    created: String,
    last_used: String,
}

/// The People page.
#[derive(Template)]
#[template(path = "console/people.html")]
struct PeoplePage {
    layout: Layout,
    people: Vec<PersonRow>,
    keys: Vec<KeyRow>,
    form: PeopleForm,
    errors: FieldErrors,
    notice: &'static str,
}

/// `?done=<action>` after a form succeeded.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The notice sentence of a `?done=` code.
fn notice(done: Option<&str>) -> &'static str {
    match done {
        Some("role") => "The role was changed. It applies from the person's next click.",
        Some("removed") => "The person was removed and signed out everywhere.",
        Some("revoked") => "The API key was revoked. Requests with it are refused from now on.",
        _ => "",
    }
}

/// `GET /people`.
pub async fn show(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Query(done): Query<Done>,
) -> Result<Response, ConsoleError> {
    render(
        &state,
        &viewer,
        PeopleForm::default(),
        FieldErrors::none(),
        notice(done.done.as_deref()),
        StatusCode::OK,
    )
    .await
}

/// The page with `form` in its controls and `errors` beside them.
pub async fn render(
    state: &AppState,
    viewer: &Viewer,
    form: PeopleForm,
    errors: FieldErrors,
    notice: &'static str,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let me = &viewer.0.user;
    let people = People::of(state)
        .list(me)
        .await
        .map_err(|e| ConsoleError::internal(&e))?;
    let keys = account_admin(state)
        .list_keys(viewer.account_id())
        .await
        .map_err(|e| ConsoleError::internal(&e))?;
    PeoplePage {
        layout: Layout::new(viewer, Section::People),
        people: people
            .into_iter()
            .map(|p| PersonRow {
                id: p.user.id.to_string(),
                role_field: format!("role-{}", p.user.id),
                email: p.user.email,
                role: p.user.role.as_str(),
                created: words::when(p.user.created_at),
                invited: p.invited,
                is_me: p.user.id == me.id,
            })
            .collect(),
        keys: keys
            .into_iter()
            .map(|k| KeyRow {
                id: k.id.to_string(),
                label: k.label,
                prefix: k.prefix,
                created: words::when(k.created_at),
                last_used: k
                    .last_used_at
                    .map_or_else(|| "never".to_string(), words::when),
            })
            .collect(),
        form,
        errors,
        notice,
    }
    .respond(status)
}
