//! Carries out a fault decision around the normal request handling.

use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::errors::ApiError;
use crate::faults::Fault;
use crate::req::Req;
use crate::state::FakeState;
use fake_kit::ConnHandle;

/// Waits `d`, or less if the server shuts down.
pub(crate) async fn wait(state: &FakeState, d: Duration) {
    let mut shutdown = state.shared.shutdown.clone();
    if *shutdown.borrow() {
        return;
    }
    tokio::select! {
        () = tokio::time::sleep(d) => {}
        _ = shutdown.changed() => {}
    }
}

/// An injected error in Salesforce's error shape.
fn status_response(status: u16, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let (code, message) = match status.as_u16() {
        429 => (
            "TOO_MANY_REQUESTS",
            "Too many requests; slow down.".to_string(),
        ),
        503 => (
            "SERVER_UNAVAILABLE",
            "Server is temporarily unavailable. Please try again later.".to_string(),
        ),
        n => (
            "UNKNOWN_EXCEPTION",
            format!(
                "An unexpected error occurred. Please include this ErrorId if you contact support: {n}-0000 (-1)"
            ),
        ),
    };
    let mut resp = ApiError::new(status, code, message).into_response();
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// Runs `handle` for `req` under the faults configured for this request.
pub(crate) async fn run(
    state: &FakeState,
    conn: &ConnHandle,
    sobject: &str,
    req: Req,
    handle: fn(&FakeState, &Req) -> Response,
) -> Response {
    let decision = state
        .faults_mut()
        .decide(req.method.as_str(), &req.path, sobject);
    if !decision.delay.is_zero() {
        wait(state, decision.delay).await;
    }
    match decision.fault {
        None | Some(Fault::Latency { .. }) => handle(state, &req),
        Some(Fault::Status {
            status,
            retry_after,
        }) => status_response(status, retry_after),
        Some(Fault::ApplyThenStatus { status }) => {
            drop(handle(state, &req));
            status_response(status, None)
        }
        Some(Fault::Hang { ms, apply }) => {
            let early = apply.then(|| handle(state, &req));
            wait(state, Duration::from_millis(ms)).await;
            early.unwrap_or_else(|| handle(state, &req))
        }
        Some(Fault::Drop { apply }) => {
            if apply {
                drop(handle(state, &req));
            }
            conn.cut();
            Response::new(Body::empty())
        }
    }
}
