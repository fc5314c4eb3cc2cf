//! Composite Batch: `POST /composite/batch` runs up to 25 independent subrequests in the
//! order given and answers `{"hasErrors", "results": [{"statusCode", "result"}]}`, one
//! result per subrequest, each the body its resource would have answered on its own.
//!
//! As Salesforce documents it: a subrequest's `url` starts at the version
//! (`v62.0/query?q=…`), no later than the batch's own; a PATCH or POST carries its body as
//! `richInput`; a subrequest that fails does not stop the others unless `haltOnError` is
//! set, after which the rest answer 412 `BATCH_PROCESSING_HALTED`; a malformed subrequest
//! fails the whole batch with 400 before any runs; each subrequest counts against the
//! org's API allowance.
//!
//! Guessed (not documented): the error code and message of a batch over 25 subrequests
//! and of a subrequest to a resource batches do not serve, and that the batch request
//! itself also counts once against the allowance.

use axum::Json as Reply;
use axum::body::to_bytes;
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Value as Json, json};

use crate::errors::ApiError;
use crate::req::{Req, parse_query};
use crate::state::FakeState;

/// The most subrequests one batch may carry.
pub const MAX_SUBREQUESTS: usize = 25;

/// The oldest API version a subrequest may name.
const OLDEST_BATCH_VERSION: u32 = 34;

/// One subrequest, read.
struct Sub {
    method: Method,
    version: String,
    path: String,
    query: Option<String>,
    body: Option<Json>,
}

/// Handles `POST /composite/batch` of `version`.
pub(crate) fn run(state: &FakeState, req: &Req, version: &str) -> Result<Response, ApiError> {
    let map = crate::sobjects::json_object(req)?;
    let halt_on_error = map
        .get("haltOnError")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    let Some(Json::Array(items)) = map.get("batchRequests") else {
        return Err(ApiError::json("batchRequests is required"));
    };
    if items.len() > MAX_SUBREQUESTS {
        return Err(ApiError::bad(
            "INVALID_BATCH_REQUEST",
            format!("A batch can contain a maximum of {MAX_SUBREQUESTS} requests"),
        ));
    }
    let subs = items
        .iter()
        .map(|item| read_sub(item, version))
        .collect::<Result<Vec<_>, _>>()?;
    let mut results = Vec::with_capacity(subs.len());
    let mut has_errors = false;
    let mut halted = false;
    for sub in &subs {
        let (status, result) = if halted {
            (
                StatusCode::PRECONDITION_FAILED,
                json!([{"errorCode": "BATCH_PROCESSING_HALTED", "message": "Batch processing halted per request"}]),
            )
        } else {
            run_sub(state, sub)
        };
        if status.is_client_error() || status.is_server_error() {
            has_errors = true;
            halted |= halt_on_error;
        }
        results.push(json!({"statusCode": status.as_u16(), "result": result}));
    }
    state.stats_mut().subrequests += subs.len() as u64;
    Ok(Reply(json!({"hasErrors": has_errors, "results": results})).into_response())
}

/// A subrequest checked: a method Salesforce batches and a URL under a served version no
/// later than the batch's.
fn read_sub(item: &Json, batch_version: &str) -> Result<Sub, ApiError> {
    let invalid = |why: &str| ApiError::json(format!("Invalid batch subrequest: {why}"));
    let method = match item.get("method").and_then(Json::as_str) {
        Some("GET") => Method::GET,
        Some("POST") => Method::POST,
        Some("PATCH") => Method::PATCH,
        Some("DELETE") => Method::DELETE,
        Some("HEAD") => Method::HEAD,
        _ => return Err(invalid("method must be GET, POST, PATCH, DELETE or HEAD")),
    };
    let url = item
        .get("url")
        .and_then(Json::as_str)
        .ok_or_else(|| invalid("url is required"))?;
    let url = url.strip_prefix("/services/data/").unwrap_or(url);
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (url, None),
    };
    let (version, _) = path
        .split_once('/')
        .ok_or_else(|| invalid("url must start with the API version"))?;
    let number = |v: &str| {
        v.strip_prefix('v')
            .and_then(|v| v.strip_suffix(".0"))
            .and_then(|v| v.parse::<u32>().ok())
    };
    match (number(version), number(batch_version)) {
        (Some(n), Some(max)) if (OLDEST_BATCH_VERSION..=max).contains(&n) => {}
        _ => {
            return Err(invalid(&format!(
                "version {version} must be from v{OLDEST_BATCH_VERSION}.0 to {batch_version}"
            )));
        }
    }
    Ok(Sub {
        method,
        version: version.to_string(),
        path: format!("/services/data/{path}"),
        query,
        body: item.get("richInput").cloned(),
    })
}

/// Runs one subrequest as its resource would run on its own, after taking its share of
/// the API allowance.
fn run_sub(state: &FakeState, sub: &Sub) -> (StatusCode, Json) {
    let req = Req {
        method: sub.method.clone(),
        path: sub.path.clone(),
        params: parse_query(sub.query.as_deref()),
        headers: HeaderMap::new(),
        body: sub
            .body
            .as_ref()
            .map(|b| b.to_string().into())
            .unwrap_or_default(),
    };
    let segments = req.segments();
    let rest = segments.get(3..).unwrap_or_default();
    let batched = matches!(
        rest.first().copied(),
        Some("sobjects" | "query" | "queryAll" | "limits")
    );
    if !batched {
        return error_result(ApiError::bad(
            "INVALID_BATCH_REQUEST",
            format!("{} is not supported in a batch", sub.path),
        ));
    }
    if !state.limits_mut().take() {
        return error_result(ApiError::new(
            StatusCode::FORBIDDEN,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
        ));
    }
    let response = match crate::api::handle(state, &req, &sub.version, rest) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    let status = response.status();
    // Every handler answers a body already in memory: reading it does not wait.
    let body = to_bytes(response.into_body(), usize::MAX)
        .now_or_never()
        .and_then(Result::ok)
        .unwrap_or_default();
    let result = if body.is_empty() {
        Json::Null
    } else {
        serde_json::from_slice(&body).unwrap_or(Json::Null)
    };
    (status, result)
}

/// A subrequest's error as its result: Salesforce's error array.
fn error_result(error: ApiError) -> (StatusCode, Json) {
    let mut body = json!({"message": error.message, "errorCode": error.code});
    if !error.fields.is_empty() {
        body["fields"] = json!(error.fields);
    }
    (error.status, json!([body]))
}
