//! `GET|POST /crm-lookup/{lookup_key}` and `/crm-lookup/{lookup_key}/route/{rule_set_id}`:
//! the "Custom CRM URL" a phone system (PBXware, IPVoice) calls with a caller's number.
//! Public: the lookup key in the path (plus `X-Lookup-Secret` when the key has one) is
//! the credential, not a bearer API key. The caller is `caller` (or `callerid`, `cli`,
//! `from`, `phone`), with `field_name` and `dtmf`, in the query or a JSON body.
//!
//! The answer is `text/plain` by default (the value, or `TYPE OPTION` for a route; empty
//! when no record matches, so the phone system takes its default destination), or JSON
//! with `Accept: application/json`. A refused key or secret is 401, an unknown rule set
//! 404, each with a message and before any CRM request.

use std::collections::HashMap;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::{
    app::AppState,
    callers::{
        keys::{self, LookupKeyAuth, SECRET_HEADER},
        lookup::{CallerLookup, LookupRequest},
        phones::caller_of,
    },
    error::ApiError,
    store::RuleSetId,
};

/// The largest JSON body read.
const MAX_BODY: usize = 16 * 1024;

/// The public lookup routes (not under `/v1`: authenticated by the lookup key).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/crm-lookup/{lookup_key}", get(lookup).post(lookup))
        .route(
            "/crm-lookup/{lookup_key}/route/{rule_set_id}",
            get(route).post(route),
        )
}

/// `GET|POST /crm-lookup/{lookup_key}`.
async fn lookup(
    State(state): State<AppState>,
    Path(lookup_key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let auth = authenticate(&state, &lookup_key, &headers).await?;
    let req = request(&query, &body)?;
    let answer = CallerLookup::new(&state).lookup(&auth, &req).await?;
    tracing::info!(key = %auth.key_id, matched = answer.matched, "caller lookup");
    if wants_json(&headers) {
        return Ok(Json(answer).into_response());
    }
    Ok(text(answer.value.unwrap_or_default()))
}

/// `GET|POST /crm-lookup/{lookup_key}/route/{rule_set_id}`.
async fn route(
    State(state): State<AppState>,
    Path((lookup_key, rule_set_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let auth = authenticate(&state, &lookup_key, &headers).await?;
    let rule_set: RuleSetId = rule_set_id
        .parse()
        .map_err(|_| ApiError::not_found(format!("routing rule set '{rule_set_id}'")))?;
    let req = request(&query, &body)?;
    let answer = CallerLookup::new(&state)
        .route(&auth, &req, rule_set)
        .await?;
    tracing::info!(key = %auth.key_id, rule_set = %rule_set, matched = answer.matched, "caller route");
    if wants_json(&headers) {
        return Ok(Json(answer).into_response());
    }
    Ok(text(answer.destination.to_string()))
}

async fn authenticate(
    state: &AppState,
    raw_key: &str,
    headers: &HeaderMap,
) -> Result<LookupKeyAuth, ApiError> {
    let secret = headers.get(SECRET_HEADER).and_then(|v| v.to_str().ok());
    Ok(keys::authenticate(&state.store, raw_key, secret).await?)
}

/// The lookup parameters from the query, overridden by a JSON object body's.
fn request(query: &HashMap<String, String>, body: &Bytes) -> Result<LookupRequest, ApiError> {
    let mut params: HashMap<String, String> = query
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    if !body.iter().all(u8::is_ascii_whitespace) {
        if body.len() > MAX_BODY {
            return Err(ApiError::bad_request(
                "body_too_large",
                "the lookup body is larger than 16 KiB",
            ));
        }
        let json: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request("invalid_json", format!("the body is not JSON: {e}"))
        })?;
        let serde_json::Value::Object(map) = json else {
            return Err(ApiError::bad_request(
                "invalid_json",
                "the body must be a JSON object such as {\"caller\": \"+442079460018\"}",
            ));
        };
        for (k, v) in map {
            let v = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                _ => continue,
            };
            params.insert(k.to_ascii_lowercase(), v);
        }
    }
    let get = |name: &str| {
        params
            .get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    Ok(LookupRequest {
        caller: caller_of(|name| params.get(name).map(String::as_str)).map(str::to_string),
        dtmf: get("dtmf"),
        field_name: get("field_name"),
    })
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("application/json"))
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}
