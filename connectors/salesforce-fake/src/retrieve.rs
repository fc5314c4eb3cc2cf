//! sObject Collections retrieve: `GET /composite/sobjects/{Type}?ids=…&fields=…` and,
//! for more Ids than a URL holds, `POST` with `{"ids": […], "fields": […]}` (up to 2,000
//! Ids). The answer has one entry per Id asked, in the order asked: the record with the
//! named fields, or `null` for an Id that is malformed, of another type, unknown or in
//! the recycle bin.

use axum::Json as Reply;
use axum::response::{IntoResponse, Response};
use http::Method;
use serde_json::Value as Json;

use crate::errors::ApiError;
use crate::id::SfId;
use crate::req::Req;
use crate::schema::SObject;
use crate::state::FakeState;

/// The most Ids one request may name.
pub const MAX_IDS: usize = 2000;

/// Handles `GET` or `POST /composite/sobjects/{Type}`.
pub(crate) fn retrieve(
    state: &FakeState,
    req: &Req,
    version: &str,
    object: SObject,
) -> Result<Response, ApiError> {
    let (ids, fields) = if req.method == Method::POST {
        from_body(req)?
    } else {
        let list = |name: &str| -> Vec<String> {
            req.param(name)
                .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
                .unwrap_or_default()
        };
        (list("ids"), list("fields"))
    };
    if ids.iter().all(|i| i.is_empty()) {
        return Err(ApiError::bad("MISSING_ARGUMENT", "ids is required"));
    }
    if fields.iter().all(|f| f.is_empty()) {
        return Err(ApiError::bad("MISSING_ARGUMENT", "fields is required"));
    }
    if ids.len() > MAX_IDS {
        return Err(ApiError::bad(
            "EXCEEDED_ID_LIMIT",
            format!(
                "record limit reached. cannot submit more than {MAX_IDS} records into this call"
            ),
        ));
    }
    let positions = crate::sobjects::positions(object, fields.iter().map(String::as_str))?;
    let store = state.read();
    let table = store.table(object);
    let records: Vec<Json> = ids
        .iter()
        .map(|text| {
            SfId::parse(text)
                .filter(|id| id.prefix() == object.prefix())
                .and_then(|id| table.get(id))
                .filter(|r| !r.is_deleted())
                .map_or(Json::Null, |r| r.to_json(version, &positions))
        })
        .collect();
    Ok(Reply(records).into_response())
}

/// `ids` and `fields` of a POST body, both arrays of strings.
fn from_body(req: &Req) -> Result<(Vec<String>, Vec<String>), ApiError> {
    let map = crate::sobjects::json_object(req)?;
    let strings = |name: &str| -> Result<Vec<String>, ApiError> {
        match map.get(name) {
            None | Some(Json::Null) => Ok(Vec::new()),
            Some(Json::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_string).ok_or_else(|| {
                        ApiError::json(format!("Cannot deserialize {name}: expected a string"))
                    })
                })
                .collect(),
            Some(_) => Err(ApiError::json(format!(
                "Cannot deserialize {name}: expected an array"
            ))),
        }
    };
    Ok((strings("ids")?, strings("fields")?))
}
