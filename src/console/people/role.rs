//! `POST /people/{id}/role`: gives a person of the account another role (the same
//! [`People::change_role`] rule for everyone: an admin cannot change their own role,
//! so the account always keeps an admin).

use serde::Deserialize;

use super::{index, people_refusal, user_id};
use crate::console::prelude::*;
use crate::{people::People, store::Role};

/// The submitted role form.
#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// Changes the role, then back to the page with a notice; a refusal shows the page
/// again with the message beside the row's control.
pub async fn submit(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> Result<Response, ConsoleError> {
    let id = user_id(&id)?;
    let field = format!("role-{id}");
    let refused = |errors: FieldErrors, status| {
        index::render(
            &state,
            &viewer,
            index::PeopleForm::default(),
            errors,
            "",
            status,
        )
    };
    let role: Role = match form.role.parse() {
        Ok(role) => role,
        Err(_) => {
            return refused(
                FieldErrors::on(&field, "Choose admin or marketer."),
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match People::of(&state)
        .change_role(&viewer.0.user, id, role)
        .await
    {
        Ok(_) => Ok(Redirect::to("/people?done=role").into_response()),
        Err(err) => {
            let (errors, status) = people_refusal(err, |_| "role")?;
            let message = errors.get("role").to_string();
            refused(FieldErrors::on(&field, message), status).await
        }
    }
}
