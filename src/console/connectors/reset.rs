//! *Reset Connector*, behind a confirmation page that says what it does: the stored
//! password is forgotten and the connector's schedules pause; its lists, their
//! members and values, and everything in the CRM stay (the same
//! [`ConnectorService::reset`] as the API).
//!
//! [`ConnectorService::reset`]: crate::connectors::ConnectorService::reset

use super::{owned, page_error, view::ConnectorRow};
use crate::console::prelude::*;
use crate::{error::ApiError, scheduling::ScheduleService};

/// The confirmation page.
#[derive(Template)]
#[template(path = "console/connectors_reset.html")]
struct ResetPage {
    layout: Layout,
    connector: ConnectorRow,
}

/// `GET /connectors/{id}/reset`: what a reset does, and the button that does it.
pub async fn show(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let record = owned(&state, viewer.account_id(), &id).await?;
    ResetPage {
        layout: Layout::new(&viewer, Section::Connectors),
        connector: ConnectorRow::of(&state, &record),
    }
    .respond(StatusCode::OK)
}

/// `POST /connectors/{id}/reset`: resets, then back to the list with a notice.
pub async fn submit(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let record = owned(&state, viewer.account_id(), &id).await?;
    let done = state
        .connectors()
        .reset(viewer.account_id(), record.id)
        .await
        .map_err(page_error)?;
    // Schedules must not fire against a connector without a login.
    ScheduleService::new(&state)
        .pause_for_connector(viewer.account_id(), record.id)
        .await
        .map_err(ApiError::from)?;
    Ok(Redirect::to(&format!("/connectors?done=reset&connector={}", done.id)).into_response())
}
