//! Carries out a fault decision around the normal request handling.

use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, to_bytes};
use axum::response::Response;
use futures::stream;
use http::{HeaderValue, StatusCode, header};

use crate::diagnose::{Diagnosis, SdataCode};
use crate::faults::Fault;
use crate::routes::Req;
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

fn status_response(req: &Req, status: u16, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let message = match status.as_u16() {
        429 => "Too many requests; slow down.".to_string(),
        503 => "The service is temporarily unavailable.".to_string(),
        _ => format!("Injected server error {}.", status.as_u16()),
    };
    let mut resp =
        Diagnosis::new(status, SdataCode::ApplicationDiagnosis, message).respond(req.format);
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
    kind: &str,
    req: Req,
    handle: fn(&FakeState, &Req) -> Response,
) -> Response {
    let decision = state.faults_mut().decide(
        req.method.as_str(),
        kind,
        req.params.get("where"),
        Instant::now(),
    );
    if !decision.delay.is_zero() {
        wait(state, decision.delay).await;
    }
    if let Some(status) = decision.over_cap {
        return status_response(&req, status, Some(1));
    }
    match decision.fault {
        None | Some(Fault::Latency { .. }) => handle(state, &req),
        Some(Fault::Status {
            status,
            retry_after,
        }) => status_response(&req, status, retry_after),
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
        Some(Fault::Truncate) => truncate(handle(state, &req), conn.clone()).await,
        Some(Fault::Malformed) => malformed(handle(state, &req)).await,
        Some(Fault::Oversized { bytes, announce }) => oversized(state, &req, bytes, announce),
        Some(Fault::NextLoop) => {
            let mut req = req;
            req.next_loops_back = true;
            handle(state, &req)
        }
    }
}

/// A 200 of `bytes` bytes of whitespace, made chunk by chunk only as the client reads,
/// each counted in [`crate::Stats::filler_bytes_sent`]: a client that stops at its cap
/// leaves most of it unsent.
fn oversized(state: &FakeState, req: &Req, bytes: u64, announce: bool) -> Response {
    const CHUNK: u64 = 64 * 1024;
    let filler = Bytes::from(vec![b' '; CHUNK as usize]);
    let counter = state.clone();
    let chunks = stream::unfold(0u64, move |sent| {
        let filler = filler.clone();
        let counter = counter.clone();
        async move {
            if sent >= bytes {
                return None;
            }
            let n = CHUNK.min(bytes - sent);
            counter.stats_mut().filler_bytes_sent += n;
            Some((
                Ok::<Bytes, std::io::Error>(filler.slice(..n as usize)),
                sent + n,
            ))
        }
    });
    let mut resp = Response::new(Body::from_stream(chunks));
    let ctype = match req.format {
        crate::params::Format::Json => crate::routes::ctype::JSON,
        crate::params::Format::Atom => crate::routes::ctype::FEED,
    };
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if announce {
        resp.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes));
    }
    resp
}

async fn body_bytes(resp: Response) -> (http::response::Parts, Bytes) {
    let (parts, body) = resp.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    (parts, bytes)
}

/// Announces the full length, sends half, then cuts the connection.
async fn truncate(resp: Response, conn: ConnHandle) -> Response {
    let (mut parts, bytes) = body_bytes(resp).await;
    let full = bytes.len();
    let half = bytes.slice(..full / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(full));
    let chunks = stream::unfold(0u8, move |step| {
        let half = half.clone();
        let conn = conn.clone();
        async move {
            match step {
                0 => Some((Ok::<Bytes, std::io::Error>(half), 1)),
                1 => {
                    // Let the first half reach the socket before cutting.
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    conn.cut();
                    Some((
                        Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "truncated by fault injection",
                        )),
                        2,
                    ))
                }
                _ => None,
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(chunks))
}

/// Keeps the status and length framing but breaks the document's syntax.
async fn malformed(resp: Response) -> Response {
    let (mut parts, bytes) = body_bytes(resp).await;
    let cut = bytes.len() / 2;
    let mut broken = bytes.slice(..cut).to_vec();
    broken.extend_from_slice(b"<<{\"\x00 not a valid document");
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.status = StatusCode::OK;
    Response::from_parts(parts, Body::from(broken))
}
