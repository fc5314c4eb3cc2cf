//! `GET /metrics`: checks the optional token, refreshes the gauges read at scrape time
//! (the job queue, one grouped query; the process, from `/proc/self`) and renders every
//! series in the Prometheus text format. Not part of the `/v1` API nor its OpenAPI
//! document.

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};

use super::{names, process, token};
use crate::{app::AppState, error::ApiError, store::JobRepo};

/// Held from setting the scrape-time gauges to rendering them.
static SCRAPING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The content type of the Prometheus text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `/metrics` route, for the main router or the `metrics_bind` one.
pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

/// Serves one scrape; a 401 problem when a `metrics_token` is set and not presented.
async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refused) = token::check(&headers, state.metrics.token.as_ref()) {
        return ApiError::unauthorized(refused.to_string()).into_response();
    }
    let body = {
        // The gauges are process-wide: one scrape at a time sets them and renders them,
        // so a scrape never shows the queue another one (of another app in the same
        // process, as in the tests) read in between.
        let _one_at_a_time = SCRAPING.lock().await;
        refresh_queue(&state).await;
        process::refresh();
        state.metrics.handle.run_upkeep();
        state.metrics.handle.render()
    };
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_FORMAT))],
        body,
    )
        .into_response()
}

/// Sets the queue gauges from the store; on a database failure they keep their last
/// values (and the scrape still answers, with the rest).
async fn refresh_queue(state: &AppState) {
    let waiting = match JobRepo::on(state.store.conn()).waiting_by_kind().await {
        Ok(waiting) => waiting,
        Err(err) => {
            tracing::warn!(error = %err, "could not read the job queue for /metrics");
            return;
        }
    };
    let now = state.clock.now();
    for kind in waiting {
        let name = kind.kind.as_str();
        ::metrics::gauge!(names::JOBS_WAITING, "kind" => name).set(kind.count as f64);
        let age = kind.oldest_run_at.map_or(0.0, |due| {
            (now - due).num_milliseconds().max(0) as f64 / 1000.0
        });
        ::metrics::gauge!(names::JOBS_OLDEST_WAITING_AGE, "kind" => name).set(age);
    }
}
