//! The entry point of every `/services` request: read it, count it, apply faults, then
//! route it: OAuth, the version list, or the REST API (bearer check, API limit, then the
//! resource).

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, Request, StatusCode};
use serde_json::{Value as Json, json};

use crate::errors::ApiError;
use crate::id::SfId;
use crate::req::{Req, parse_query};
use crate::schema::SObject;
use crate::state::FakeState;
use fake_kit::ConnHandle;

/// The newest API version served (Winter '25).
pub const LATEST_VERSION: u32 = 62;
/// The oldest API version served.
pub const OLDEST_VERSION: u32 = 31;

/// The largest request body read.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// The fallback handler for everything outside `/_admin`.
pub(crate) async fn entry(
    State(state): State<FakeState>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    request: Request<Body>,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "REQUEST_TOO_LARGE",
            "request body too large",
        )
        .into_response();
    };
    let req = Req {
        method: parts.method,
        path: parts.uri.path().to_string(),
        params: parse_query(parts.uri.query()),
        headers: parts.headers,
        body,
    };
    let sobject = resource_kind(&state, &req);
    state.stats_mut().count(req.method.as_str(), &sobject);
    crate::fault_apply::run(&state, &conn, &sobject, req, dispatch).await
}

fn dispatch(state: &FakeState, req: &Req) -> Response {
    let segs = req.segments();
    match segs.as_slice() {
        ["services", "oauth2", "token"] => {
            if req.method == Method::POST {
                crate::auth::token(state, req)
            } else {
                method_not_allowed(&req.method, "POST")
            }
        }
        ["services", "data"] => versions(),
        ["services", "data", version, rest @ ..] => rest_api(state, req, version, rest),
        _ => ApiError::not_found().into_response(),
    }
}

/// `GET /services/data/`: every served version.
fn versions() -> Response {
    let list: Vec<Json> = (OLDEST_VERSION..=LATEST_VERSION)
        .map(|v| {
            json!({
                "label": release_label(v),
                "url": format!("/services/data/v{v}.0"),
                "version": format!("{v}.0"),
            })
        })
        .collect();
    axum::Json(list).into_response()
}

/// Salesforce's release name of an API version (v60.0 is Spring '24).
fn release_label(v: u32) -> String {
    let k = i64::from(v) - 60;
    let season = ["Spring", "Summer", "Winter"][k.rem_euclid(3) as usize];
    let mut year = 24 + k.div_euclid(3);
    if season == "Winter" {
        year += 1;
    }
    format!("{season} '{year:02}")
}

/// Whether `segment` is a served version (`v62.0`).
fn served(segment: &str) -> bool {
    segment
        .strip_prefix('v')
        .and_then(|v| v.strip_suffix(".0"))
        .and_then(|v| v.parse::<u32>().ok())
        .is_some_and(|v| (OLDEST_VERSION..=LATEST_VERSION).contains(&v))
}

fn rest_api(state: &FakeState, req: &Req, version: &str, rest: &[&str]) -> Response {
    if !served(version) {
        return ApiError::not_found().into_response();
    }
    if !crate::auth::check(state, req) {
        return crate::auth::unauthorized();
    }
    let allowed = state.limits_mut().take();
    let mut resp = if allowed {
        match crate::api::handle(state, req, version, rest) {
            Ok(r) => r,
            Err(e) => e.into_response(),
        }
    } else {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
        )
        .into_response()
    };
    // Read after the request ran: a Composite Batch spends one more per subrequest.
    let usage = state.limits_mut().header();
    if let Ok(v) = HeaderValue::from_str(&usage) {
        resp.headers_mut().insert("sforce-limit-info", v);
    }
    resp
}

/// 405 `METHOD_NOT_ALLOWED`.
pub(crate) fn method_not_allowed(method: &Method, allowed: &str) -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("HTTP Method '{method}' not allowed. Allowed are {allowed}"),
    )
    .into_response()
}

/// The sObject a request concerns (or its resource name), for statistics and fault
/// rules.
fn resource_kind(state: &FakeState, req: &Req) -> String {
    let segs = req.segments();
    let from_query = |q: &str| {
        crate::soql::parse(q)
            .map(|q| q.object.name().to_string())
            .unwrap_or_else(|_| "query".to_string())
    };
    match segs.as_slice() {
        ["services", "oauth2", rest @ ..] => format!("oauth2/{}", rest.join("/")),
        ["services", "data"] => "versions".into(),
        ["services", "data", _, "sobjects", name, ..] => {
            SObject::from_name(name).map_or_else(|| (*name).to_string(), |o| o.name().to_string())
        }
        ["services", "data", _, "query" | "queryAll"] => from_query(req.param("q").unwrap_or("")),
        ["services", "data", _, "query" | "queryAll", locator] => locator
            .rsplit_once('-')
            .and_then(|(id, _)| SfId::parse(id))
            .and_then(|id| state.cursors().get(id))
            .map_or_else(|| "query".to_string(), |c| c.object.name().to_string()),
        ["services", "data", _, "composite", "sobjects", name] => {
            SObject::from_name(name).map_or_else(|| (*name).to_string(), |o| o.name().to_string())
        }
        ["services", "data", _, "composite", "batch"] => "composite/batch".into(),
        ["services", "data", _, "composite", "sobjects", ..] => {
            serde_json::from_slice::<Json>(&req.body)
                .ok()
                .and_then(|b| {
                    b["records"][0]["attributes"]["type"]
                        .as_str()
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "composite".into())
        }
        ["services", "data", _, "jobs", "query"] => serde_json::from_slice::<Json>(&req.body)
            .ok()
            .and_then(|b| b["query"].as_str().map(from_query))
            .unwrap_or_else(|| "jobs/query".into()),
        ["services", "data", _, "jobs", "query", id, ..] => SfId::parse(id)
            .and_then(|id| state.jobs().object_of(id))
            .map_or_else(|| "jobs/query".to_string(), |o| o.name().to_string()),
        ["services", "data", _, first, ..] => (*first).to_string(),
        _ => req.path.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_labels_follow_salesforce() {
        assert_eq!(release_label(62), "Winter '25");
        assert_eq!(release_label(61), "Summer '24");
        assert_eq!(release_label(60), "Spring '24");
        assert_eq!(release_label(59), "Winter '24");
        assert!(served("v62.0") && served("v31.0"));
        assert!(!served("v63.0") && !served("62.0") && !served("v62.1"));
    }
}
