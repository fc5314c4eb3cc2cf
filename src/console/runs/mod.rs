//! Runs seen after the fact: a list's or a segment's run history, the report of an
//! ended run (`/runs/{id}` once it is over: counts, every record to look at in the
//! CRM's own words, filterable by outcome, and what a failed run asks of the
//! marketer), a dry run's preview (what a sync would do, record by record, with *Run
//! it for real*), and the report's CSV. The live progress of a run in progress is
//! `console::progress`, which hands an ended run's page to [`report::page`]. Every
//! read goes through `crate::runs`, as the JSON API's.

mod advice;
mod csv;
mod history;
mod outcomes;
mod record;
pub mod report;

use axum::{Router, routing::get};

use crate::app::AppState;

/// `GET /lists/{id}/runs`, `GET /segments/{id}/runs` and `GET /runs/{id}/records.csv`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lists/{id}/runs", get(history::list))
        .route("/segments/{id}/runs", get(history::segment))
        .route("/runs/{id}/records.csv", get(csv::download))
}
