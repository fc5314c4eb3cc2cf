//! sObject Collections: `POST /composite/sobjects` creates and `PATCH` updates up to 200
//! records of one or more types in one request, answering a save result per record in
//! request order. With `allOrNone: false` (the default) each record stands alone; with
//! `allOrNone: true` one failure rolls every record back.

use axum::Json as Reply;
use axum::response::{IntoResponse, Response};
use serde_json::Value as Json;

use crate::errors::{ApiError, RecordError, SaveResult};
use crate::id::SfId;
use crate::req::Req;
use crate::schema::SObject;
use crate::state::FakeState;
use crate::write::{Body, Op, check, commit, read_body};

/// The most records one request may carry.
pub const MAX_RECORDS: usize = 200;

/// One record of the request, read.
struct Item {
    body: Option<Body>,
    target: Option<SfId>,
    /// The Id as the client sent it, echoed in an update's result.
    sent_id: Option<String>,
    problem: Option<RecordError>,
}

fn read_item(record: &Json, op: Op) -> Result<Item, ApiError> {
    let Json::Object(map) = record else {
        return Err(ApiError::json("Cannot deserialize instance of SObject"));
    };
    let type_name = map
        .get("attributes")
        .and_then(|a| a.get("type"))
        .and_then(Json::as_str)
        .ok_or_else(|| ApiError::bad("INVALID_TYPE", "Must send a concrete entity type."))?;
    let object = SObject::from_name(type_name).ok_or_else(|| {
        ApiError::bad(
            "INVALID_TYPE",
            format!("sObject type '{type_name}' is not supported."),
        )
    })?;
    let sent_id = map
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("id"))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_string);
    let body = read_body(object, map, op, false)?;
    let mut item = Item {
        body: Some(body),
        target: None,
        sent_id: sent_id.clone(),
        problem: None,
    };
    match (op, sent_id) {
        (Op::Create, Some(_)) => {
            item.problem = Some(RecordError::new(
                "INVALID_FIELD",
                "cannot specify Id in an insert call",
                &["Id"],
            ));
        }
        (Op::Update, None) => {
            item.problem = Some(RecordError::new(
                "MISSING_ARGUMENT",
                "Id not specified in an update call",
                &[],
            ));
        }
        (Op::Update, Some(text)) => match SfId::parse(&text) {
            Some(id) => item.target = Some(id),
            None => {
                item.problem = Some(RecordError::new(
                    "MALFORMED_ID",
                    format!("{} ID: id value of incorrect type: {text}", object.name()),
                    &["Id"],
                ));
            }
        },
        (Op::Create, None) => {}
    }
    Ok(item)
}

/// Handles `POST` (`Op::Create`) or `PATCH` (`Op::Update`) `/composite/sobjects`.
pub(crate) fn save(state: &FakeState, req: &Req, op: Op) -> Result<Response, ApiError> {
    let map = crate::sobjects::json_object(req)?;
    let all_or_none = map
        .get("allOrNone")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    let Some(Json::Array(records)) = map.get("records") else {
        return Err(ApiError::json("records is required"));
    };
    if records.len() > MAX_RECORDS {
        return Err(ApiError::bad(
            "EXCEEDED_ID_LIMIT",
            format!(
                "record limit reached. cannot submit more than {MAX_RECORDS} records into this call"
            ),
        ));
    }
    let items = records
        .iter()
        .map(|r| read_item(r, op))
        .collect::<Result<Vec<_>, _>>()?;
    let now = state.clock().now().timestamp_millis();
    let echo = |item: &Item, id: Option<SfId>| match op {
        Op::Create => id.map(|i| i.to_18()),
        Op::Update => id.map(|i| i.to_18()).or_else(|| item.sent_id.clone()),
    };
    let mut store = state.write();
    let checked: Vec<Result<_, RecordError>> = if all_or_none {
        items
            .iter()
            .map(|item| match (&item.problem, &item.body) {
                (Some(p), _) => Err(p.clone()),
                (None, Some(body)) => check(&store, body, op, item.target, false),
                (None, None) => Err(RecordError::new(
                    "UNKNOWN_EXCEPTION",
                    "unreadable record",
                    &[],
                )),
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut results = Vec::with_capacity(items.len());
    if all_or_none {
        let failed = checked.iter().any(Result::is_err);
        for (item, outcome) in items.iter().zip(checked) {
            results.push(match (failed, outcome) {
                (true, Err(e)) => SaveResult::failed(echo(item, item.target), e),
                (true, Ok(_)) => SaveResult::failed(
                    echo(item, item.target),
                    RecordError::new(
                        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                        "Record rolled back because not all records were valid and the request was using AllOrNone header",
                        &[],
                    ),
                ),
                (false, Ok(rec)) => SaveResult::ok(commit(&mut store, rec, op, now).to_18()),
                (false, Err(e)) => SaveResult::failed(echo(item, item.target), e),
            });
        }
    } else {
        for item in &items {
            let outcome = match (&item.problem, &item.body) {
                (Some(p), _) => Err(p.clone()),
                (None, Some(body)) => check(&store, body, op, item.target, false),
                (None, None) => Err(RecordError::new(
                    "UNKNOWN_EXCEPTION",
                    "unreadable record",
                    &[],
                )),
            };
            results.push(match outcome {
                Ok(rec) => SaveResult::ok(commit(&mut store, rec, op, now).to_18()),
                Err(e) => SaveResult::failed(echo(item, item.target), e),
            });
        }
    }
    drop(store);
    let written = results.iter().filter(|r| r.success).count() as u64;
    state.stats_mut().record_writes += written;
    Ok(Reply(results).into_response())
}
