//! `POST /jobs/{id}/retry`: puts a dead job back in the queue through the same service
//! as `POST /v1/jobs/{id}/retry` (a run job's run is reopened with it). Another
//! account's job, or an id that is not one, is the 404 page; a job that is not dead, or
//! whose list has another active run, is refused with the API's words.

use crate::console::prelude::*;
use crate::{store::JobId, workers::retry_dead_job};

/// `POST /jobs/{id}/retry` (the form carries the CSRF token).
pub async fn retry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw_id): Path<String>,
) -> Result<Response, ConsoleError> {
    let not_found = || ConsoleError::NotFound(format!("There is no job {raw_id} in this account."));
    let id: JobId = raw_id.parse().map_err(|_| not_found())?;
    retry_dead_job(&state, viewer.account_id(), id)
        .await
        .map_err(ConsoleError::service)?;
    Ok(Redirect::to("/jobs?done=retried").into_response())
}
