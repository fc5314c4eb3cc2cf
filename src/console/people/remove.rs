//! *Remove* a person, behind a confirmation page that says what it does: they can no
//! longer sign in and every session of theirs ends at once (the same
//! [`People::remove`] rule: an admin cannot remove themselves).

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};

use super::{people_refusal, user_id};
use crate::{
    app::AppState,
    console::{
        error::ConsoleError,
        layout::{Layout, Section},
        session::Viewer,
    },
    people::People,
};

/// The confirmation page.
#[derive(Template)]
#[template(path = "console/people_remove.html")]
struct RemovePage {
    layout: Layout,
    id: String,
    email: String,
    is_me: bool,
    error: String,
}

/// `GET /people/{id}/remove`: what removing does, and the button that does it.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    viewer.require_admin()?;
    let id = user_id(&id)?;
    let person =
        People::of(&state)
            .get(&viewer.0.user, id)
            .await
            .map_err(|e| match people_refusal(e, |_| "remove") {
                Err(page) => page,
                Ok(_) => ConsoleError::Internal,
            })?;
    page(&viewer, &person, String::new(), StatusCode::OK)
}

/// `POST /people/{id}/remove`: removes, then back to the list with a notice.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    viewer.require_admin()?;
    let id = user_id(&id)?;
    let people = People::of(&state);
    match people.remove(&viewer.0.user, id).await {
        Ok(removed) => {
            tracing::info!(user = %removed.id, account = %removed.account_id, "removed a person from the console");
            Ok(Redirect::to("/people?done=removed").into_response())
        }
        Err(err) => {
            let (errors, status) = people_refusal(err, |_| "remove")?;
            let person = people
                .get(&viewer.0.user, id)
                .await
                .map_err(|e| ConsoleError::internal(&e))?;
            page(&viewer, &person, errors.get("remove").to_string(), status)
        }
    }
}

fn page(
    viewer: &Viewer,
    person: &crate::store::User,
    error: String,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let html = RemovePage {
        layout: Layout::new(viewer, Section::People),
        id: person.id.to_string(),
        email: person.email.clone(),
        is_me: person.id == viewer.0.user.id,
        error,
    }
    .render()?;
    Ok((status, Html(html)).into_response())
}
