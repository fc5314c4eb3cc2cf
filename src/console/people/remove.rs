//! *Remove* a person, behind a confirmation page that says what it does: they can no
//! longer sign in and every session of theirs ends at once (the same
//! [`People::remove`] rule: an admin cannot remove themselves).

use super::{people_refusal, user_id};
use crate::console::prelude::*;
use crate::{people::People, store::UserId};

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
    Admin(viewer): Admin,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    page(
        &state,
        &viewer,
        user_id(&id)?,
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /people/{id}/remove`: removes, then back to the list with a notice.
pub async fn submit(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let id = user_id(&id)?;
    match People::of(&state).remove(&viewer.0.user, id).await {
        Ok(removed) => {
            tracing::info!(user = %removed.id, account = %removed.account_id, "removed a person from the console");
            Ok(Redirect::to("/people?done=removed").into_response())
        }
        Err(err) => {
            let (errors, status) = people_refusal(err, |_| "remove")?;
            let error = errors.get("remove").to_string();
            page(&state, &viewer, id, error, status).await
        }
    }
}

/// The confirmation page of person `id`, with `error` when removing was refused.
async fn page(
    state: &AppState,
    viewer: &Viewer,
    id: UserId,
    error: String,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let person =
        People::of(state)
            .get(&viewer.0.user, id)
            .await
            .map_err(|e| match people_refusal(e, |_| "remove") {
                Err(page) => page,
                Ok(_) => ConsoleError::Internal,
            })?;
    RemovePage {
        layout: Layout::new(viewer, Section::People),
        id: person.id.to_string(),
        email: person.email.clone(),
        is_me: person.id == viewer.0.user.id,
        error,
    }
    .respond(status)
}
