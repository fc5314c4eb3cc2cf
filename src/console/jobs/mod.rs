//! *Jobs*: the account's background jobs — imports and sync runs, form deliveries and
//! note batches — by status (queued, running, failed and waiting to retry, dead), with
//! their attempts, next attempt and last error in the CRM's own words, and *Retry* for a
//! dead one (the same service as `POST /v1/jobs/{id}/retry`). Every signed-in user may
//! open it; only the account's own jobs are read (`JobRepo` filters by account).

mod list;
mod retry;

use axum::{
    Router,
    routing::{get, post},
};

use crate::app::AppState;

/// `/jobs` and `/jobs/{id}/retry`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(list::show))
        .route("/jobs/{id}/retry", post(retry::retry))
}
