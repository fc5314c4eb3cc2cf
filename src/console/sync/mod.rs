//! *Sync* of a list or a segment: the sync setup (Push, Pull, the conflict rule) as a
//! form, and *Run Now* / *Preview (dry run)*. The setup is saved through
//! `crate::sync::save_setup` and runs start through `crate::runs::run_now`, exactly as
//! `PUT /v1/lists/{id}/sync` and `POST /v1/lists/{id}/runs` do; every refusal is shown
//! in words beside the control it concerns, with what the marketer chose kept.

mod form;
mod run;
mod setup;
mod target;

use axum::{
    Router,
    routing::{get, post},
};

use crate::app::AppState;

/// `GET/POST /lists/{id}/sync`, `GET/POST /segments/{id}/sync`, and Run Now:
/// `POST /lists/{id}/run`, `POST /segments/{id}/run` (`mode=run|preview`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/lists/{id}/sync",
            get(setup::show_list).post(setup::save_list),
        )
        .route(
            "/segments/{id}/sync",
            get(setup::show_segment).post(setup::save_segment),
        )
        .route("/lists/{id}/run", post(run::run_list))
        .route("/segments/{id}/run", post(run::run_segment))
}
