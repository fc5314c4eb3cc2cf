//! `/_admin/…`: statistics, faults, clock, record dumps and CRM-side changes over HTTP.
//! No authentication: it is a test and demo tool bound to loopback by default.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, TimeDelta, Utc};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value as JsonValue, json};

use crate::changes::{NewRecord, RecordUpdate};
use crate::diagnose::{Diagnosis, SdataCode};
use crate::faults::FaultConfig;
use crate::model::Kind;
use crate::params::Format;
use crate::rules::WriteRule;
use crate::state::FakeState;
use crate::users::FakeUser;

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
        .route("/rules", get(get_rules).post(add_rules).delete(clear_rules))
        .route("/users", get(get_users).post(add_users).delete(clear_users))
        .route("/compat", get(get_compat).post(set_compat))
        .route("/records", get(dump_all))
        .route("/records/{kind}", get(dump_kind).post(insert))
        .route("/records/{kind}/{key}", get(one_record))
        .route("/update", post(update))
        .route("/insert", post(insert_any))
        .route("/delete", post(delete))
}

fn error(d: Diagnosis) -> Response {
    d.respond(Format::Json)
}

fn unknown_kind(name: &str) -> Response {
    let body = json!({"error": format!("unknown resource kind '{name}'")});
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

async fn stats(State(s): State<FakeState>) -> Response {
    Json(s.stats()).into_response()
}

async fn reset_stats(State(s): State<FakeState>) -> Response {
    s.reset_stats();
    Json(s.stats()).into_response()
}

async fn get_faults(State(s): State<FakeState>) -> Response {
    Json(s.faults()).into_response()
}

async fn set_faults(State(s): State<FakeState>, Json(config): Json<FaultConfig>) -> Response {
    s.set_faults(config);
    Json(s.faults()).into_response()
}

async fn clear_faults(State(s): State<FakeState>) -> Response {
    s.clear_faults();
    Json(s.faults()).into_response()
}

async fn get_rules(State(s): State<FakeState>) -> Response {
    Json(s.write_rules()).into_response()
}

/// Adds one rule or an array of rules (all or none); answers with every active rule.
async fn add_rules(State(s): State<FakeState>, Json(body): Json<OneOrMany<WriteRule>>) -> Response {
    let rules = match body {
        OneOrMany::One(r) => vec![r],
        OneOrMany::Many(rs) => rs,
    };
    let mut compiled = Vec::with_capacity(rules.len());
    for rule in rules {
        match crate::rules::compile(rule) {
            Ok(c) => compiled.push(c),
            Err(m) => {
                return error(Diagnosis::new(
                    StatusCode::BAD_REQUEST,
                    SdataCode::ApplicationDiagnosis,
                    m,
                ));
            }
        }
    }
    s.rules_mut().extend(compiled);
    Json(s.write_rules()).into_response()
}

async fn clear_rules(State(s): State<FakeState>) -> Response {
    s.clear_write_rules();
    Json(s.write_rules()).into_response()
}

async fn get_users(State(s): State<FakeState>) -> Response {
    Json(s.users()).into_response()
}

/// Adds (or replaces by name) one user or an array of users (all or none); answers with
/// every extra user.
async fn add_users(State(s): State<FakeState>, Json(body): Json<OneOrMany<FakeUser>>) -> Response {
    let users = match body {
        OneOrMany::One(u) => vec![u],
        OneOrMany::Many(us) => us,
    };
    if let Some(d) = users
        .iter()
        .find_map(|u| s.check_user_name(&u.username).err())
    {
        return error(d);
    }
    for user in users {
        if let Err(d) = s.add_user(user) {
            return error(d);
        }
    }
    Json(s.users()).into_response()
}

async fn clear_users(State(s): State<FakeState>) -> Response {
    s.clear_users();
    Json(s.users()).into_response()
}

/// A body that is one object or an array of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

/// `POST /_admin/clock` body: pin, advance, or release the clock.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    #[serde(default)]
    now: Option<DateTime<Utc>>,
    #[serde(default)]
    advance_seconds: Option<i64>,
    #[serde(default)]
    system: bool,
}

async fn get_clock(State(s): State<FakeState>) -> Response {
    Json(json!({"now": s.clock().now()})).into_response()
}

async fn set_clock(State(s): State<FakeState>, Json(change): Json<ClockChange>) -> Response {
    if change.system {
        s.clock().set(None);
    }
    if let Some(at) = change.now {
        s.clock().set(Some(at));
    }
    if let Some(secs) = change.advance_seconds {
        s.clock().advance(TimeDelta::seconds(secs));
    }
    Json(json!({"now": s.clock().now()})).into_response()
}

/// `POST /_admin/compat` body: how the fake differs from a current Infor CRM.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompatChange {
    #[serde(default)]
    omit_next_links: Option<bool>,
}

fn compat(s: &FakeState) -> Response {
    Json(json!({"omit_next_links": s.omit_next_links()})).into_response()
}

async fn get_compat(State(s): State<FakeState>) -> Response {
    compat(&s)
}

async fn set_compat(State(s): State<FakeState>, Json(change): Json<CompatChange>) -> Response {
    if let Some(omit) = change.omit_next_links {
        s.set_omit_next_links(omit);
    }
    compat(&s)
}

async fn dump_all(State(s): State<FakeState>) -> Response {
    Json(s.dump_all()).into_response()
}

async fn dump_kind(State(s): State<FakeState>, Path(kind): Path<String>) -> Response {
    match Kind::from_plural(&kind) {
        Some(k) => Json(s.dump(k)).into_response(),
        None => unknown_kind(&kind),
    }
}

async fn one_record(
    State(s): State<FakeState>,
    Path((kind, key)): Path<(String, String)>,
) -> Response {
    let Some(k) = Kind::from_plural(&kind) else {
        return unknown_kind(&kind);
    };
    match s.record(k, &key) {
        Some(rec) => Json(crate::load::dump_record(k, &rec)).into_response(),
        None => error(Diagnosis::not_found(format!(
            "{} '{key}' not found",
            k.def().name
        ))),
    }
}

/// Inserts one object or an array of objects of one kind (all or none).
async fn insert(
    State(s): State<FakeState>,
    Path(kind): Path<String>,
    Json(body): Json<JsonValue>,
) -> Response {
    let Some(k) = Kind::from_plural(&kind) else {
        return unknown_kind(&kind);
    };
    let items = match body {
        JsonValue::Array(items) => items,
        other => vec![other],
    };
    let mut objects = Vec::with_capacity(items.len());
    for item in items {
        let JsonValue::Object(fields) = item else {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "records must be JSON objects"})),
            )
                .into_response();
        };
        objects.push(fields);
    }
    match s.insert_records(k, &objects) {
        Ok(records) => {
            let created = records
                .iter()
                .map(|rec| crate::load::dump_record(k, rec))
                .collect();
            (StatusCode::CREATED, Json(JsonValue::Array(created))).into_response()
        }
        Err(d) => error(d),
    }
}

async fn insert_any(State(s): State<FakeState>, Json(body): Json<NewRecord>) -> Response {
    match s.insert_record(body.kind, &body.fields) {
        Ok(rec) => (
            StatusCode::CREATED,
            Json(crate::load::dump_record(body.kind, &rec)),
        )
            .into_response(),
        Err(d) => error(d),
    }
}

async fn update(State(s): State<FakeState>, Json(body): Json<RecordUpdate>) -> Response {
    match s.update_records(body.kind, &body.spec) {
        Ok(keys) => Json(json!({"updated": keys})).into_response(),
        Err(d) => error(d),
    }
}

/// `POST /_admin/delete` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteRequest {
    kind: Kind,
    keys: Vec<String>,
}

async fn delete(State(s): State<FakeState>, Json(body): Json<DeleteRequest>) -> Response {
    let deleted = s.delete_records(body.kind, &body.keys);
    Json(json!({"deleted": deleted})).into_response()
}
