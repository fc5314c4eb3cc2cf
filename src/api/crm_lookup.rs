//! `GET|POST /crm-lookup/{lookup_key}` and `/crm-lookup/{lookup_key}/route/{rule_set_id}`:
//! the "Custom CRM URL" a phone system (PBXware, IPVoice) calls with a caller's number.
//! Public: the lookup key in the path (plus `X-Lookup-Secret` when the key has one) is
//! the credential, not a bearer API key. The caller is `caller` (or `callerid`, `cli`,
//! `from`, `phone`, `number`), with `field_name` and `dtmf`, in the query or a JSON
//! body. The four operations are in the OpenAPI document without bearer security.
//!
//! The answer is `text/plain` by default (the value, or `TYPE OPTION` for a route; empty
//! when no record matches, so the phone system takes its default destination), or JSON
//! with `Accept: application/json`. A refused key or secret is 401 (challenging for the
//! lookup key, not a bearer key), an unknown rule set 404, each with a message and before
//! any CRM request. A body that is not JSON is 400, JSON that is not an object (or a
//! parameter in it that is neither text nor a number) 422, one over 16 KiB 413; the
//! content type is not checked, as phone systems label their bodies loosely.

use std::collections::HashMap;

use axum::{
    Json,
    body::{Bytes, to_bytes},
    extract::{Path, Query, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::Value;
use utoipa::{
    ToSchema,
    openapi::{
        RefOr, Schema,
        schema::{ObjectBuilder, SchemaType, Type},
    },
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::AppState,
    callers::{
        keys::{self, LookupKeyAuth, SECRET_HEADER},
        lookup::{CallerLookup, LookupAnswer, LookupRequest, RouteAnswer},
        phones::{CALLER_PARAMS, caller_of},
    },
    error::{ApiError, Problem},
    store::RuleSetId,
};

/// The largest JSON body read.
const MAX_BODY: usize = 16 * 1024;
/// The challenge of a refused lookup: the key in the path (and its secret header) is
/// the credential here, not a bearer API key.
const CHALLENGE: &str = "LookupKey";
/// The body members read besides the caller parameters.
const OTHER_PARAMS: [&str; 2] = ["field_name", "dtmf"];

/// The public lookup routes (not under `/v1`: authenticated by the lookup key), with
/// their documentation (no bearer security).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(lookup_get, lookup_post))
        .routes(routes!(route_get, route_post))
}

/// The lookup parameters as a JSON object body: each member present replaces the query
/// parameter of the same name (names compared case-insensitively); other members are
/// ignored, as phone systems send more than these. Only describes the body in the
/// document: the handlers read it as a map.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LookupBody {
    /// The caller's number, in any usual written form.
    #[schema(schema_with = text_or_number)]
    caller: Option<()>,
    /// The caller's number (another name phone systems use).
    #[schema(schema_with = text_or_number)]
    callerid: Option<()>,
    /// The caller's number (another name phone systems use).
    #[schema(schema_with = text_or_number)]
    cli: Option<()>,
    /// The caller's number (another name phone systems use).
    #[schema(schema_with = text_or_number)]
    from: Option<()>,
    /// The caller's number (another name phone systems use).
    #[schema(schema_with = text_or_number)]
    phone: Option<()>,
    /// The caller's number (another name phone systems use).
    #[schema(schema_with = text_or_number)]
    number: Option<()>,
    /// The field whose value is answered: a CRM field, a Standard Field Name or `owner`
    /// (default: the record's key).
    #[schema(schema_with = text_or_number)]
    field_name: Option<()>,
    /// Digits the caller typed, matched against the key's `dtmf_field` instead of the
    /// number.
    #[schema(schema_with = text_or_number)]
    dtmf: Option<()>,
}

/// A body member: text, a number (read as its digits), or null (as if left out).
fn text_or_number() -> impl Into<RefOr<Schema>> {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([
        Type::String,
        Type::Number,
        Type::Null,
    ]))
}

/// The answer's description, shared by the four operations.
const ANSWER_TEXT: &str = "The answer: `text/plain` by default (the value, empty when no record \
    matched or the field is blank), JSON with `Accept: application/json`";
/// Why a lookup is refused with 401.
const REFUSED_TEXT: &str = "The lookup key is unknown or revoked, or the key requires the \
    `X-Lookup-Secret` header and it is missing or wrong (no bearer API key is involved)";

/// The caller's record's field value (GET: parameters in the query).
#[utoipa::path(get, path = "/crm-lookup/{lookup_key}", tag = "callers",
    params(
        ("lookup_key" = String, Path, description = "The lookup key, from `POST /v1/lookup-keys`"),
        ("caller" = Option<String>, Query, description = "The caller's number (also `callerid`, `cli`, `from`, `phone` or `number`)"),
        ("callerid" = Option<String>, Query, description = "The caller's number"),
        ("cli" = Option<String>, Query, description = "The caller's number"),
        ("from" = Option<String>, Query, description = "The caller's number"),
        ("phone" = Option<String>, Query, description = "The caller's number"),
        ("number" = Option<String>, Query, description = "The caller's number"),
        ("field_name" = Option<String>, Query, description = "The field answered: a CRM field, a Standard Field Name or `owner` (default: the record's key)"),
        ("dtmf" = Option<String>, Query, description = "Digits the caller typed, matched against the key's `dtmf_field` instead of the number"),
        ("X-Lookup-Secret" = Option<String>, Header, description = "The key's secret, when it was created with `require_secret`")),
    responses(
        (status = 200, description = ANSWER_TEXT, content(
            (String = "text/plain"),
            (LookupAnswer = "application/json"))),
        (status = 401, description = REFUSED_TEXT, body = Problem),
        (status = 404, description = "The path names no lookup (an unknown or revoked key is 401, not 404)", body = Problem)))]
pub async fn lookup_get(
    State(state): State<AppState>,
    Path(lookup_key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Request,
) -> Response {
    answer_lookup(&state, &lookup_key, &query, &headers, body)
        .await
        .unwrap_or_else(refused)
}

/// The caller's record's field value (POST: parameters in the query or a JSON body).
#[utoipa::path(post, path = "/crm-lookup/{lookup_key}", tag = "callers",
    params(
        ("lookup_key" = String, Path, description = "The lookup key, from `POST /v1/lookup-keys`"),
        ("caller" = Option<String>, Query, description = "The caller's number (also `callerid`, `cli`, `from`, `phone` or `number`)"),
        ("callerid" = Option<String>, Query, description = "The caller's number"),
        ("cli" = Option<String>, Query, description = "The caller's number"),
        ("from" = Option<String>, Query, description = "The caller's number"),
        ("phone" = Option<String>, Query, description = "The caller's number"),
        ("number" = Option<String>, Query, description = "The caller's number"),
        ("field_name" = Option<String>, Query, description = "The field answered: a CRM field, a Standard Field Name or `owner` (default: the record's key)"),
        ("dtmf" = Option<String>, Query, description = "Digits the caller typed, matched against the key's `dtmf_field` instead of the number"),
        ("X-Lookup-Secret" = Option<String>, Header, description = "The key's secret, when it was created with `require_secret`")),
    request_body(content = Option<LookupBody>, description = "The same parameters as a JSON object (optional; its members win over the query's)"),
    responses(
        (status = 200, description = ANSWER_TEXT, content(
            (String = "text/plain"),
            (LookupAnswer = "application/json"))),
        (status = 400, description = "The body is not JSON", body = Problem),
        (status = 401, description = REFUSED_TEXT, body = Problem),
        (status = 404, description = "The path names no lookup (an unknown or revoked key is 401, not 404)", body = Problem),
        (status = 413, description = "The body is larger than 16 KiB", body = Problem),
        (status = 422, description = "The body is JSON but not an object, or a parameter in it is not text or a number", body = Problem)))]
pub async fn lookup_post(
    State(state): State<AppState>,
    Path(lookup_key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Request,
) -> Response {
    answer_lookup(&state, &lookup_key, &query, &headers, body)
        .await
        .unwrap_or_else(refused)
}

/// The destination a routing rule set gives the caller (GET: parameters in the query).
#[utoipa::path(get, path = "/crm-lookup/{lookup_key}/route/{rule_set_id}", tag = "callers",
    params(
        ("lookup_key" = String, Path, description = "The lookup key, from `POST /v1/lookup-keys`"),
        ("rule_set_id" = uuid::Uuid, Path, description = "Routing rule set id, from `/v1/routing-rules`"),
        ("caller" = Option<String>, Query, description = "The caller's number (also `callerid`, `cli`, `from`, `phone` or `number`)"),
        ("callerid" = Option<String>, Query, description = "The caller's number"),
        ("cli" = Option<String>, Query, description = "The caller's number"),
        ("from" = Option<String>, Query, description = "The caller's number"),
        ("phone" = Option<String>, Query, description = "The caller's number"),
        ("number" = Option<String>, Query, description = "The caller's number"),
        ("dtmf" = Option<String>, Query, description = "Digits the caller typed, matched against the key's `dtmf_field` instead of the number"),
        ("X-Lookup-Secret" = Option<String>, Header, description = "The key's secret, when it was created with `require_secret`")),
    responses(
        (status = 200, description = "The destination: `text/plain` `TYPE OPTION` (e.g. `queue 200`; the rule set's default when no record or row matches), JSON with `Accept: application/json`", content(
            (String = "text/plain"),
            (RouteAnswer = "application/json"))),
        (status = 401, description = REFUSED_TEXT, body = Problem),
        (status = 404, description = "No routing rule set with this id in the key's account", body = Problem)))]
pub async fn route_get(
    State(state): State<AppState>,
    Path((lookup_key, rule_set_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Request,
) -> Response {
    answer_route(&state, &lookup_key, &rule_set_id, &query, &headers, body)
        .await
        .unwrap_or_else(refused)
}

/// The destination a routing rule set gives the caller (POST: parameters in the query
/// or a JSON body).
#[utoipa::path(post, path = "/crm-lookup/{lookup_key}/route/{rule_set_id}", tag = "callers",
    params(
        ("lookup_key" = String, Path, description = "The lookup key, from `POST /v1/lookup-keys`"),
        ("rule_set_id" = uuid::Uuid, Path, description = "Routing rule set id, from `/v1/routing-rules`"),
        ("caller" = Option<String>, Query, description = "The caller's number (also `callerid`, `cli`, `from`, `phone` or `number`)"),
        ("callerid" = Option<String>, Query, description = "The caller's number"),
        ("cli" = Option<String>, Query, description = "The caller's number"),
        ("from" = Option<String>, Query, description = "The caller's number"),
        ("phone" = Option<String>, Query, description = "The caller's number"),
        ("number" = Option<String>, Query, description = "The caller's number"),
        ("dtmf" = Option<String>, Query, description = "Digits the caller typed, matched against the key's `dtmf_field` instead of the number"),
        ("X-Lookup-Secret" = Option<String>, Header, description = "The key's secret, when it was created with `require_secret`")),
    request_body(content = Option<LookupBody>, description = "The same parameters as a JSON object (optional; its members win over the query's)"),
    responses(
        (status = 200, description = "The destination: `text/plain` `TYPE OPTION` (e.g. `queue 200`; the rule set's default when no record or row matches), JSON with `Accept: application/json`", content(
            (String = "text/plain"),
            (RouteAnswer = "application/json"))),
        (status = 400, description = "The body is not JSON", body = Problem),
        (status = 401, description = REFUSED_TEXT, body = Problem),
        (status = 404, description = "No routing rule set with this id in the key's account", body = Problem),
        (status = 413, description = "The body is larger than 16 KiB", body = Problem),
        (status = 422, description = "The body is JSON but not an object, or a parameter in it is not text or a number", body = Problem)))]
pub async fn route_post(
    State(state): State<AppState>,
    Path((lookup_key, rule_set_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Request,
) -> Response {
    answer_route(&state, &lookup_key, &rule_set_id, &query, &headers, body)
        .await
        .unwrap_or_else(refused)
}

async fn answer_lookup(
    state: &AppState,
    lookup_key: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: Request,
) -> Result<Response, ApiError> {
    let auth = authenticate(state, lookup_key, headers).await?;
    let req = request(query, &read_body(body).await?)?;
    let answer = CallerLookup::new(state).lookup(&auth, &req).await?;
    tracing::info!(key = %auth.key_id, matched = answer.matched, "caller lookup");
    if wants_json(headers) {
        return Ok(Json(answer).into_response());
    }
    Ok(text(answer.value.unwrap_or_default()))
}

async fn answer_route(
    state: &AppState,
    lookup_key: &str,
    rule_set_id: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: Request,
) -> Result<Response, ApiError> {
    // The key first: a refused key is 401 whatever rule set it names.
    let auth = authenticate(state, lookup_key, headers).await?;
    // An id that is no UUID names no rule set.
    let rule_set: RuleSetId = rule_set_id
        .parse()
        .map_err(|_| ApiError::not_found(format!("routing rule set '{rule_set_id}'")))?;
    let req = request(query, &read_body(body).await?)?;
    let answer = CallerLookup::new(state)
        .route(&auth, &req, rule_set)
        .await?;
    tracing::info!(key = %auth.key_id, rule_set = %rule_set, matched = answer.matched, "caller route");
    if wants_json(headers) {
        return Ok(Json(answer).into_response());
    }
    Ok(text(answer.destination.to_string()))
}

/// A refusal as problem JSON; a 401 challenges for the lookup key, not a bearer key.
fn refused(err: ApiError) -> Response {
    let mut response = err.into_response();
    if response.status() == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(CHALLENGE),
        );
    }
    response
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
        let json: Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request("invalid_json", format!("the body is not JSON: {e}"))
        })?;
        let Value::Object(map) = json else {
            return Err(ApiError::unprocessable(
                "invalid_body",
                "the body must be a JSON object such as {\"caller\": \"+442079460018\"}",
            ));
        };
        for (k, v) in map {
            let k = k.to_ascii_lowercase();
            let v = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Null => continue,
                _ if is_param(&k) => {
                    return Err(ApiError::unprocessable(
                        "invalid_body",
                        format!("the body member '{k}' must be text or a number"),
                    )
                    .with_details(serde_json::json!({ "field": k })));
                }
                // Phone systems send more than we read: what we do not read is no error.
                _ => continue,
            };
            params.insert(k, v);
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

/// The body, read up to [`MAX_BODY`] bytes (a GET may carry one too).
async fn read_body(request: Request) -> Result<Bytes, ApiError> {
    to_bytes(request.into_body(), MAX_BODY).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the lookup body is larger than 16 KiB",
        )
    })
}

/// Whether a (lower-cased) body member is one the lookup reads.
fn is_param(name: &str) -> bool {
    CALLER_PARAMS.contains(&name) || OTHER_PARAMS.contains(&name)
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
