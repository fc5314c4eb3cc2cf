//! `/_admin/…`: statistics, faults, clock, limits, tokens, record dumps and CRM-side
//! changes over HTTP. No authentication: a test and demo tool bound to loopback by
//! default.

use axum::Json as Reply;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use crate::changes::{ConvertSpec, UpdateSpec};
use crate::faults::FaultConfig;
use crate::schema::SObject;
use crate::state::FakeState;

/// The admin routes (nested under `/_admin`).
pub(crate) fn router() -> Router<FakeState> {
    Router::new()
        .route("/stats", get(stats))
        .route("/stats/reset", post(reset_stats))
        .route(
            "/faults",
            get(get_faults).post(set_faults).delete(clear_faults),
        )
        .route("/clock", get(get_clock).post(set_clock))
        .route("/limits", get(get_limits).post(set_limits))
        .route("/expire-tokens", post(expire_tokens))
        .route("/records/{sobject}", get(dump).post(insert))
        .route("/records/{sobject}/{id}", get(one))
        .route("/update", post(update))
        .route("/convert", post(convert))
        .route("/delete", post(delete))
}

fn refused(message: impl Into<String>) -> Response {
    let body = json!({"error": message.into()});
    (StatusCode::BAD_REQUEST, Reply(body)).into_response()
}

fn unknown(name: &str) -> Response {
    let body = json!({"error": format!("unknown sObject '{name}'")});
    (StatusCode::NOT_FOUND, Reply(body)).into_response()
}

async fn stats(State(s): State<FakeState>) -> Response {
    Reply(s.stats()).into_response()
}

async fn reset_stats(State(s): State<FakeState>) -> Response {
    s.reset_stats();
    Reply(s.stats()).into_response()
}

async fn get_faults(State(s): State<FakeState>) -> Response {
    Reply(s.faults()).into_response()
}

async fn set_faults(State(s): State<FakeState>, Reply(config): Reply<FaultConfig>) -> Response {
    s.set_faults(config);
    Reply(s.faults()).into_response()
}

async fn clear_faults(State(s): State<FakeState>) -> Response {
    s.clear_faults();
    Reply(s.faults()).into_response()
}

fn clock_json(s: &FakeState) -> Json {
    json!({"now": crate::time::format_rest(s.clock().now().timestamp_millis())})
}

async fn get_clock(State(s): State<FakeState>) -> Response {
    Reply(clock_json(&s)).into_response()
}

/// Body of `POST /_admin/clock`: pin at `now`, or back to system time with `null`;
/// `advance_secs` moves it on.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    #[serde(default)]
    now: Option<String>,
    #[serde(default)]
    advance_secs: Option<i64>,
}

async fn set_clock(State(s): State<FakeState>, Reply(body): Reply<ClockBody>) -> Response {
    if let Some(secs) = body.advance_secs {
        s.clock().advance(chrono::TimeDelta::seconds(secs));
    } else {
        match body.now.as_deref() {
            None => s.clock().set(None),
            Some(t) => match crate::time::parse_datetime(t)
                .and_then(DateTime::<Utc>::from_timestamp_millis)
            {
                Some(at) => s.clock().set(Some(at)),
                None => return refused(format!("bad time '{t}'")),
            },
        }
    }
    Reply(clock_json(&s)).into_response()
}

fn limits_json(s: &FakeState) -> Json {
    let (used, max) = s.api_usage();
    json!({"used": used, "max": max})
}

async fn get_limits(State(s): State<FakeState>) -> Response {
    Reply(limits_json(&s)).into_response()
}

/// Body of `POST /_admin/limits`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsBody {
    used: u64,
    #[serde(default)]
    max: Option<u64>,
}

async fn set_limits(State(s): State<FakeState>, Reply(body): Reply<LimitsBody>) -> Response {
    s.set_api_usage(body.used, body.max);
    Reply(limits_json(&s)).into_response()
}

async fn expire_tokens(State(s): State<FakeState>) -> Response {
    s.expire_tokens();
    Reply(json!({"expired": true})).into_response()
}

/// Query of `GET /_admin/records/{sobject}`.
#[derive(Debug, Deserialize)]
struct DumpQuery {
    /// At most this many records (the first in (SystemModstamp, Id) order); all when
    /// absent.
    limit: Option<usize>,
}

async fn dump(
    State(s): State<FakeState>,
    Path(name): Path<String>,
    Query(q): Query<DumpQuery>,
) -> Response {
    let Some(object) = SObject::from_name(&name) else {
        return unknown(&name);
    };
    let list: Vec<Json> = s
        .records(object)
        .iter()
        .take(q.limit.unwrap_or(usize::MAX))
        .map(|r| r.to_json_all("v62.0"))
        .collect();
    Reply(list).into_response()
}

async fn one(State(s): State<FakeState>, Path((name, id)): Path<(String, String)>) -> Response {
    if SObject::from_name(&name).is_none() {
        return unknown(&name);
    }
    match s.record(&id) {
        Some(r) if r.object.name().eq_ignore_ascii_case(&name) => {
            Reply(r.to_json_all("v62.0")).into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            Reply(json!({"error": "no such record"})),
        )
            .into_response(),
    }
}

async fn insert(
    State(s): State<FakeState>,
    Path(name): Path<String>,
    Reply(fields): Reply<Map<String, Json>>,
) -> Response {
    let Some(object) = SObject::from_name(&name) else {
        return unknown(&name);
    };
    match s.insert_record(object, &fields) {
        Ok(id) => (StatusCode::CREATED, Reply(json!({"id": id}))).into_response(),
        Err(e) => refused(e),
    }
}

async fn update(State(s): State<FakeState>, Reply(spec): Reply<UpdateSpec>) -> Response {
    match s.update_records(&spec) {
        Ok(ids) => Reply(json!({"updated": ids})).into_response(),
        Err(e) => refused(e),
    }
}

async fn convert(State(s): State<FakeState>, Reply(spec): Reply<ConvertSpec>) -> Response {
    match s.convert_lead(&spec) {
        Ok(c) => Reply(c).into_response(),
        Err(e) => refused(e),
    }
}

/// Body of `POST /_admin/delete`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteBody {
    ids: Vec<String>,
}

async fn delete(State(s): State<FakeState>, Reply(body): Reply<DeleteBody>) -> Response {
    match s.delete_records(&body.ids) {
        Ok(n) => Reply(json!({"deleted": n})).into_response(),
        Err(e) => refused(e),
    }
}
