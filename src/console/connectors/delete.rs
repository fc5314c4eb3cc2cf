//! *Delete connector*, behind a confirmation page that names whatever still uses the
//! connector (lists, forms, scheduled syncs, notes waiting to be written): while
//! anything does, the page says what to change first and offers no button. The same
//! [`ConnectorService::delete`] as the API decides, so a list imported between the
//! page and the click still stops it.
//!
//! [`ConnectorService::delete`]: crate::connectors::ConnectorService::delete

use super::{owned, page_error, view::ConnectorRow};
use crate::console::prelude::*;
use crate::{
    connectors::ConnectError,
    store::{ConnectorRecord, ConnectorUsers},
};

/// The confirmation page.
#[derive(Template)]
#[template(path = "console/connectors_delete.html")]
struct DeletePage {
    layout: Layout,
    connector: ConnectorRow,
    users: ConnectorUsers,
    /// The refusal of a delete that found the connector in use after all, or "".
    refused: String,
}

/// `GET /connectors/{id}/delete`: what uses the connector, or the button that deletes it.
pub async fn show(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let record = owned(&state, viewer.account_id(), &id).await?;
    let users = state
        .connectors()
        .users(viewer.account_id(), record.id)
        .await
        .map_err(page_error)?;
    page(
        &state,
        &viewer,
        &record,
        users,
        String::new(),
        StatusCode::OK,
    )
}

/// `POST /connectors/{id}/delete`: deletes, then back to the list with a notice; in
/// use after all, the page again with the refusal.
pub async fn submit(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let record = owned(&state, viewer.account_id(), &id).await?;
    match state
        .connectors()
        .delete(viewer.account_id(), record.id)
        .await
    {
        Ok(_) => Ok(Redirect::to("/connectors?done=deleted").into_response()),
        Err(ref err @ ConnectError::InUse { ref users, .. }) => page(
            &state,
            &viewer,
            &record,
            users.as_ref().clone(),
            err.to_string(),
            StatusCode::CONFLICT,
        ),
        Err(other) => Err(page_error(other)),
    }
}

fn page(
    state: &AppState,
    viewer: &Viewer,
    record: &ConnectorRecord,
    users: ConnectorUsers,
    refused: String,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    DeletePage {
        layout: Layout::new(viewer, Section::Connectors),
        connector: ConnectorRow::of(state, record),
        users,
        refused,
    }
    .respond(status)
}
