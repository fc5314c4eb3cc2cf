//! `GET/POST /account/password` (everyone signed in): *Change password*. The current
//! password is required and the new one typed twice; on success every other session
//! of the person ends and this one stays ([`crate::people::People::change_password`]).

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::console::prelude::*;
use crate::{
    console::people::people_refusal,
    people::{MIN_PASSWORD_CHARS, People, PeopleError},
};

/// The Change password page.
#[derive(Template)]
#[template(path = "console/password.html")]
struct PasswordPage {
    layout: Layout,
    errors: FieldErrors,
    notice: &'static str,
    min_chars: usize,
}

/// `?done=changed` after a change.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The submitted form.
#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: SecretString,
    new_password: SecretString,
    confirm_password: SecretString,
}

/// `GET /account/password`.
pub async fn show(viewer: Viewer, Query(done): Query<Done>) -> Result<Response, ConsoleError> {
    let notice = match done.done.as_deref() {
        Some("changed") => {
            "Your password was changed. You were signed out everywhere else; this browser stays signed in."
        }
        _ => "",
    };
    page(&viewer, FieldErrors::none(), notice, StatusCode::OK)
}

/// `POST /account/password`: changes it, then back with a notice; a refusal shows
/// the form again (empty: passwords are never sent back) with the message beside the
/// field.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<PasswordForm>,
) -> Result<Response, ConsoleError> {
    if form.new_password.expose_secret() != form.confirm_password.expose_secret() {
        return page(
            &viewer,
            FieldErrors::on(
                "confirm_password",
                "The two new passwords are not the same. Type the same password twice.",
            ),
            "",
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match People::of(&state)
        .change_password(
            &viewer.0.user,
            form.current_password,
            form.new_password,
            &viewer.0.token_hash,
        )
        .await
    {
        Ok(ended) => {
            tracing::info!(user = %viewer.0.user.id, other_sessions_ended = ended, "changed a console password");
            Ok(Redirect::to("/account/password?done=changed").into_response())
        }
        Err(err) => {
            let (errors, status) = people_refusal(err, |e| match e {
                PeopleError::WrongPassword => "current_password",
                _ => "new_password",
            })?;
            page(&viewer, errors, "", status)
        }
    }
}

fn page(
    viewer: &Viewer,
    errors: FieldErrors,
    notice: &'static str,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    PasswordPage {
        layout: Layout::new(viewer, Section::Account),
        errors,
        notice,
        min_chars: MIN_PASSWORD_CHARS,
    }
    .respond(status)
}
