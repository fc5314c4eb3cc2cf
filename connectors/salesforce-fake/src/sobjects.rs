//! One record by Id: `GET`, `PATCH` and `DELETE /sobjects/{Type}/{Id}`, and
//! `POST /sobjects/{Type}` to create.

use axum::Json as Reply;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Map, Value as Json};

use crate::errors::{ApiError, SaveResult};
use crate::id::SfId;
use crate::req::Req;
use crate::schema::SObject;
use crate::state::FakeState;
use crate::value::Value;
use crate::write::{Op, check, commit, read_body};

/// The record an Id in a path names, or the 404 Salesforce answers.
fn locate(state: &FakeState, object: SObject, text: &str) -> Result<SfId, ApiError> {
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("Provided external ID field does not exist or is not accessible: {text}"),
        )
    };
    let id = SfId::parse(text).ok_or_else(unknown)?;
    if id.prefix() != object.prefix() {
        return Err(unknown());
    }
    let store = state.read();
    match store.table(object).get(id) {
        None => Err(ApiError::not_found()),
        Some(r) if r.is_deleted() => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ENTITY_IS_DELETED",
            "entity is deleted",
        )),
        Some(_) => Ok(id),
    }
}

/// A JSON object body.
pub(crate) fn json_object(req: &Req) -> Result<Map<String, Json>, ApiError> {
    match serde_json::from_slice::<Json>(&req.body) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::json(
            "Cannot deserialize instance of SObject from START_ARRAY value",
        )),
        Err(e) => Err(ApiError::json(format!("Unexpected character: {e}"))),
    }
}

/// The positions of the named fields of `object` (blank names skipped); an unknown one is
/// 400 `INVALID_FIELD`, in Salesforce's words.
pub(crate) fn positions<'a>(
    object: SObject,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<usize>, ApiError> {
    names
        .into_iter()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| {
            object.field_index(f).ok_or_else(|| {
                ApiError::bad(
                    "INVALID_FIELD",
                    format!("No such column '{f}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", object.name()),
                )
            })
        })
        .collect()
}

/// `GET /sobjects/{Type}/{Id}[?fields=a,b]`.
pub(crate) fn get(
    state: &FakeState,
    req: &Req,
    version: &str,
    object: SObject,
    text: &str,
) -> Result<Response, ApiError> {
    let id = locate(state, object, text)?;
    let positions: Vec<usize> = match req.param("fields") {
        None => (0..object.fields().len()).collect(),
        Some(list) => positions(object, list.split(','))?,
    };
    let store = state.read();
    let rec = store
        .table(object)
        .get(id)
        .ok_or_else(ApiError::not_found)?;
    Ok(Reply(rec.to_json(version, &positions)).into_response())
}

/// `POST /sobjects/{Type}`: 201 with a save result, or 400 with the record's error.
pub(crate) fn create(state: &FakeState, req: &Req, object: SObject) -> Result<Response, ApiError> {
    let map = json_object(req)?;
    let body = read_body(object, &map, Op::Create, false)?;
    let now = state.clock().now().timestamp_millis();
    let mut store = state.write();
    let rec = check(&store, &body, Op::Create, None, false)?;
    let id = commit(&mut store, rec, Op::Create, now);
    drop(store);
    state.stats_mut().record_writes += 1;
    Ok((StatusCode::CREATED, Reply(SaveResult::ok(id.to_18()))).into_response())
}

/// `PATCH /sobjects/{Type}/{Id}`: 204, or the record's error.
pub(crate) fn update(
    state: &FakeState,
    req: &Req,
    object: SObject,
    text: &str,
) -> Result<Response, ApiError> {
    let id = locate(state, object, text)?;
    let map = json_object(req)?;
    let body = read_body(object, &map, Op::Update, false)?;
    let now = state.clock().now().timestamp_millis();
    let mut store = state.write();
    let rec = check(&store, &body, Op::Update, Some(id), false)?;
    commit(&mut store, rec, Op::Update, now);
    drop(store);
    state.stats_mut().record_writes += 1;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /sobjects/{Type}/{Id}`: moves the record to the recycle bin (`IsDeleted`).
pub(crate) fn delete(state: &FakeState, object: SObject, text: &str) -> Result<Response, ApiError> {
    let id = locate(state, object, text)?;
    let now = state.clock().now().timestamp_millis();
    let mut store = state.write();
    let Some(mut rec) = store.table(object).get(id).cloned() else {
        return Err(ApiError::not_found());
    };
    rec.set_field("IsDeleted", Value::Bool(true));
    commit(&mut store, rec, Op::Update, now);
    drop(store);
    state.stats_mut().record_writes += 1;
    Ok(StatusCode::NO_CONTENT.into_response())
}
