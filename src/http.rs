//! The one HTTP router the service serves: the API (`crate::api`) and the web console
//! (`crate::console`) side by side, with the layers every response passes through
//! (request span, panic and problem handling, security headers). Neither the API nor
//! the console knows the other; this module joins them.

use std::time::Duration;

use axum::{
    Router,
    extract::{MatchedPath, Request},
    middleware,
    response::Response,
};
use tower_http::trace::TraceLayer;
use tracing::Span;
use utoipa::openapi::OpenApi;

use crate::{api, app::AppState, console, error, metrics};

/// The complete router (with state applied) and the API's OpenAPI document.
pub fn router(state: AppState) -> (Router, OpenApi) {
    let (api, doc) = api::routes(&state);
    let console = console::routes(&state, std::sync::Arc::default());
    // `/metrics` is on the main port unless it has its own `metrics_bind`.
    let metrics = match state.metrics.bind() {
        Some(_) => Router::new(),
        None => metrics::routes(),
    };
    let router = Router::new()
        .merge(api)
        .merge(console)
        .merge(metrics)
        .fallback(console::not_found)
        .layer(middleware::from_fn(error::panic_layer))
        .layer(middleware::from_fn(error::problem_layer))
        .layer(middleware::from_fn(console::security_headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_response)
                .on_failure(()),
        )
        .with_state(state);
    (router, doc)
}

/// One span per request: method and route template (never headers, so never
/// the Authorization key); status and latency are recorded when it ends.
fn request_span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    tracing::info_span!(
        "request",
        method = %request.method(),
        route = %route,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    )
}

fn log_response(response: &Response, latency: Duration, span: &Span) {
    span.record("status", response.status().as_u16());
    // Microsecond resolution is plenty and keeps the number short.
    span.record("latency_ms", latency.as_micros() as f64 / 1000.0);
    tracing::info!("request finished");
}
