//! The platform's HTTP surface: the conversion intake and the `/_admin/` side.

use std::time::Duration;

use axum::{
    Json, Router,
    extract::{State, rejection::JsonRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    model::{Conversion, SeededReference},
    state::{BatchOutcome, Faults, PlatformState},
};

/// The most rows one batch may hold.
pub const MAX_BATCH: usize = 1_000;

/// A batch of conversions.
#[derive(Debug, Deserialize)]
struct Batch {
    conversions: Vec<Conversion>,
}

/// The answer to a batch: one result per row, in order.
#[derive(Debug, Serialize)]
struct BatchAnswer {
    results: Vec<crate::model::RowResult>,
}

/// Every route of the platform.
pub(crate) fn router(state: PlatformState) -> Router {
    Router::new()
        .route("/v1/conversions", post(conversions))
        .route("/_admin/stats", get(stats))
        .route("/_admin/rows", get(rows))
        .route("/_admin/faults", get(faults).post(set_faults))
        .route("/_admin/references", post(add_references))
        .route("/_admin/reset", post(reset))
        .with_state(state)
}

/// An error answer in the platform's shape: `{"error": "..."}`.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

async fn conversions(
    State(state): State<PlatformState>,
    headers: HeaderMap,
    body: Result<Json<Batch>, JsonRejection>,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !state.token_matches(token) {
        let words = match token {
            Some(_) => "the API token is not valid",
            None => "an API token is required",
        };
        return error(StatusCode::UNAUTHORIZED, words);
    }
    let batch = match body {
        Ok(Json(batch)) => batch,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("the batch is not valid: {e}"),
            );
        }
    };
    if batch.conversions.len() > MAX_BATCH {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "a batch holds at most {MAX_BATCH} conversions, this one {}",
                batch.conversions.len()
            ),
        );
    }
    let delay = state.delay_ms();
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    match state.receive(batch.conversions) {
        BatchOutcome::Answered(results) => Json(BatchAnswer { results }).into_response(),
        BatchOutcome::Refused(status, retry_after) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut answer = error(status, "the platform is busy; try again later");
            if let Some(seconds) = retry_after {
                answer
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            answer
        }
        BatchOutcome::Lost => error(StatusCode::BAD_GATEWAY, "the answer was lost on its way"),
    }
}

async fn stats(State(state): State<PlatformState>) -> Response {
    Json(state.stats()).into_response()
}

async fn rows(State(state): State<PlatformState>) -> Response {
    Json(state.accepted()).into_response()
}

async fn faults(State(state): State<PlatformState>) -> Response {
    Json(state.faults()).into_response()
}

async fn set_faults(
    State(state): State<PlatformState>,
    body: Result<Json<Faults>, JsonRejection>,
) -> Response {
    match body {
        Ok(Json(faults)) => {
            state.set_faults(faults);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, format!("faults not valid: {e}")),
    }
}

async fn add_references(
    State(state): State<PlatformState>,
    body: Result<Json<Vec<SeededReference>>, JsonRejection>,
) -> Response {
    match body {
        Ok(Json(references)) => {
            state.add_references(references);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => error(
            StatusCode::BAD_REQUEST,
            format!("references not valid: {e}"),
        ),
    }
}

async fn reset(State(state): State<PlatformState>) -> Response {
    state.reset();
    StatusCode::NO_CONTENT.into_response()
}
