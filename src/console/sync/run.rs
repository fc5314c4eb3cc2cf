//! *Run Now* and *Preview (dry run)*: `POST /lists/{id}/run` and
//! `POST /segments/{id}/run` with `mode=run|preview`, through `crate::runs::run_now`
//! as `POST /v1/lists/{id}/runs`. Answers 303 to the new run's page, or to the run
//! already active with `?done=already_running`; a refusal (still importing, no setup
//! saved) is the sync page again with the reason beside the buttons.

use serde::Deserialize;

use super::{setup::render, target::Loaded};
use crate::console::prelude::*;
use crate::{
    console::{list_page::head::ListPath, segments::SegmentPath},
    error::ApiError,
    runs::{self, RunError, RunRequest},
    store::Queued,
    sync::{self, SyncTarget},
};

/// The buttons' form.
#[derive(Debug, Deserialize)]
pub struct RunForm {
    /// `run` (Run Now) or `preview` (a dry run).
    mode: Option<String>,
}

/// `POST /lists/{id}/run`.
pub async fn run_list(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
    Form(form): Form<RunForm>,
) -> Result<Response, ConsoleError> {
    run(&state, &viewer, SyncTarget::List(id), form).await
}

/// `POST /segments/{id}/run`.
pub async fn run_segment(
    State(state): State<AppState>,
    viewer: Viewer,
    SegmentPath(id): SegmentPath,
    Form(form): Form<RunForm>,
) -> Result<Response, ConsoleError> {
    run(&state, &viewer, SyncTarget::Segment(id), form).await
}

async fn run(
    state: &AppState,
    viewer: &Viewer,
    target: SyncTarget,
    form: RunForm,
) -> Result<Response, ConsoleError> {
    let dry_run = match form.mode.as_deref().unwrap_or("run") {
        "run" => false,
        "preview" => true,
        _ => {
            return Err(ConsoleError::Api(ApiError::bad_request(
                "invalid_mode",
                "Choose Run Now or Preview.",
            )));
        }
    };
    let account = viewer.account_id();
    let refused = match runs::run_now(state, account, target, RunRequest { dry_run }).await {
        Ok(Queued::New(run)) => {
            return Ok(Redirect::to(&format!("/runs/{}", run.id)).into_response());
        }
        Ok(Queued::AlreadyActive(run)) => {
            let url = format!("/runs/{}?done=already_running", run.id);
            return Ok(Redirect::to(&url).into_response());
        }
        Err(RunError::NotReady(message)) => message,
        Err(err) => return Err(ApiError::from(err).into()),
    };
    let loaded = Loaded::load(state, account, target).await?;
    // The page's own words when it can tell why; the service's otherwise.
    let reason = match loaded.run_blocked() {
        "" => words::sentence(&refused),
        own => own.to_string(),
    };
    let setup = sync::load_setup(state, account, target)
        .await
        .map_err(ConsoleError::service)?;
    render(
        state,
        viewer,
        &loaded,
        &setup,
        "",
        FieldErrors::on("run", reason),
    )
    .await?
    .respond(StatusCode::CONFLICT)
}
