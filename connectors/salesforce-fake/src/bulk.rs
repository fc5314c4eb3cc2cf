//! Bulk API 2.0 query jobs: `POST /jobs/query` runs a SOQL query as a job, `GET
//! /jobs/query/{id}` reports its state (`UploadComplete`, `InProgress`, `JobComplete`),
//! and `GET /jobs/query/{id}/results` pages the result as CSV with `Sforce-Locator` and
//! `Sforce-NumberOfRecords` headers (`Sforce-Locator: null` on the last page).
//!
//! Follows "Bulk API 2.0 and Bulk API Developer Guide", Query Jobs.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json as Reply;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value as Json, json};

use crate::errors::ApiError;
use crate::id::SfId;
use crate::req::Req;
use crate::schema::SObject;
use crate::soql::{Selection, execute, parse};
use crate::state::FakeState;
use crate::time::format_rest;

/// One query job.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    id: SfId,
    object: SObject,
    operation: String,
    fields: Arc<[usize]>,
    ids: Arc<[SfId]>,
    created: i64,
    version: String,
    polls_left: u32,
    state: &'static str,
}

/// Every job not deleted.
#[derive(Debug, Default)]
pub(crate) struct Jobs {
    map: HashMap<SfId, Job>,
    seq: u64,
}

impl Jobs {
    /// The object a job queries.
    pub(crate) fn object_of(&self, id: SfId) -> Option<SObject> {
        self.map.get(&id).map(|j| j.object)
    }
}

fn job_error(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}

fn info_json(state: &FakeState, job: &Job) -> Json {
    let mut out = json!({
        "id": job.id.to_18(),
        "operation": job.operation,
        "object": job.object.name(),
        "createdById": state.settings().user_id.to_18(),
        "createdDate": format_rest(job.created),
        "systemModstamp": format_rest(job.created),
        "state": job.state,
        "concurrencyMode": "Parallel",
        "contentType": "CSV",
        "apiVersion": job.version.trim_start_matches('v').parse::<f64>().unwrap_or(62.0),
        "lineEnding": "LF",
        "columnDelimiter": "COMMA",
    });
    if job.state == "JobComplete" {
        out["numberRecordsProcessed"] = json!(job.ids.len());
        out["retries"] = json!(0);
        out["totalProcessingTime"] = json!(0);
    }
    out
}

/// `POST /jobs/query` with `{"operation": "query"|"queryAll", "query": "SELECT …"}`.
pub(crate) fn create(state: &FakeState, req: &Req, version: &str) -> Result<Response, ApiError> {
    let body = crate::sobjects::json_object(req)?;
    let operation = body.get("operation").and_then(Json::as_str).unwrap_or("");
    if operation != "query" && operation != "queryAll" {
        return Err(job_error(
            StatusCode::BAD_REQUEST,
            "API_ERROR",
            format!("Invalid operation: {operation}"),
        ));
    }
    if let Some(ct) = body.get("contentType").and_then(Json::as_str)
        && ct != "CSV"
    {
        return Err(job_error(
            StatusCode::BAD_REQUEST,
            "API_ERROR",
            format!("Invalid contentType: {ct}"),
        ));
    }
    let text = body.get("query").and_then(Json::as_str).unwrap_or("");
    let query = parse(text)?;
    let Selection::Fields(fields) = &query.selection else {
        return Err(job_error(
            StatusCode::BAD_REQUEST,
            "API_ERROR",
            "Aggregate queries are not supported by Bulk API 2.0",
        ));
    };
    if query.offset.is_some() {
        return Err(job_error(
            StatusCode::BAD_REQUEST,
            "API_ERROR",
            "OFFSET is not supported by Bulk API 2.0",
        ));
    }
    let found = execute(
        &query,
        state.read().table(query.object),
        operation == "queryAll",
    );
    let seq = {
        let mut jobs = state.jobs();
        jobs.seq += 1;
        jobs.seq
    };
    // Shuffled outside the jobs' lock: a large table takes a moment.
    let mut ids = found.ids;
    if query.order.is_empty() {
        in_no_order(&mut ids, seq);
    }
    let job = Job {
        id: SfId::new("750", seq),
        object: query.object,
        operation: operation.to_string(),
        fields: fields.clone().into(),
        ids: Arc::from(ids),
        created: state.clock().now().timestamp_millis(),
        version: version.to_string(),
        polls_left: state.settings().bulk_polls,
        state: "UploadComplete",
    };
    let out = info_json(state, &job);
    state.jobs().map.insert(job.id, job);
    Ok(Reply(out).into_response())
}

/// A query without `ORDER BY` gets its rows in no particular order, as Bulk API 2.0
/// promises none: each job its own (a shuffle seeded by the job's number), so two jobs
/// of one query disagree as two real ones may, and a reader relying on an order fails
/// here rather than in production.
fn in_no_order(ids: &mut [SfId], job: u64) {
    use std::hash::{DefaultHasher, Hash, Hasher};
    ids.sort_by_cached_key(|id| {
        let mut h = DefaultHasher::new();
        (job, id).hash(&mut h);
        h.finish()
    });
}

fn find<'a>(jobs: &'a mut Jobs, text: &str) -> Result<&'a mut Job, ApiError> {
    SfId::parse(text)
        .and_then(|id| jobs.map.get_mut(&id))
        .ok_or_else(|| {
            job_error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "The requested resource does not exist",
            )
        })
}

/// `GET /jobs/query/{id}`: each poll moves a pending job on, until `JobComplete`.
pub(crate) fn info(state: &FakeState, _version: &str, text: &str) -> Result<Response, ApiError> {
    let mut jobs = state.jobs();
    let job = find(&mut jobs, text)?;
    if job.state != "Aborted" {
        if job.polls_left > 0 {
            job.polls_left -= 1;
            job.state = "InProgress";
        } else {
            job.state = "JobComplete";
        }
    }
    let job = job.clone();
    drop(jobs);
    Ok(Reply(info_json(state, &job)).into_response())
}

/// `PATCH /jobs/query/{id}` with `{"state": "Aborted"}`.
pub(crate) fn abort(
    state: &FakeState,
    req: &Req,
    _version: &str,
    text: &str,
) -> Result<Response, ApiError> {
    let body = crate::sobjects::json_object(req)?;
    if body.get("state").and_then(Json::as_str) != Some("Aborted") {
        return Err(job_error(
            StatusCode::BAD_REQUEST,
            "INVALIDJOBSTATE",
            "Only Aborted is a valid state",
        ));
    }
    let mut jobs = state.jobs();
    let job = find(&mut jobs, text)?;
    job.state = "Aborted";
    let job = job.clone();
    drop(jobs);
    Ok(Reply(info_json(state, &job)).into_response())
}

/// `DELETE /jobs/query/{id}`.
pub(crate) fn delete(state: &FakeState, text: &str) -> Result<Response, ApiError> {
    let mut jobs = state.jobs();
    let id = find(&mut jobs, text)?.id;
    jobs.map.remove(&id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /jobs/query/{id}/results[?locator=…&maxRecords=N]`.
pub(crate) fn results(state: &FakeState, req: &Req, text: &str) -> Result<Response, ApiError> {
    let job = {
        let mut jobs = state.jobs();
        find(&mut jobs, text)?.clone()
    };
    if job.state != "JobComplete" {
        return Err(job_error(
            StatusCode::BAD_REQUEST,
            "API_ERROR",
            format!(
                "Job {} is not in the JobComplete state (it is {})",
                job.id, job.state
            ),
        ));
    }
    let bad_locator = || {
        job_error(
            StatusCode::BAD_REQUEST,
            "INVALID_LOCATOR",
            "Invalid locator",
        )
    };
    let offset = match req.param("locator") {
        None | Some("") => 0,
        Some(loc) => STANDARD
            .decode(loc)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|n| *n <= job.ids.len())
            .ok_or_else(bad_locator)?,
    };
    let max =
        match req.param("maxRecords") {
            None => usize::MAX,
            Some(n) => n.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                job_error(StatusCode::BAD_REQUEST, "API_ERROR", "Invalid maxRecords")
            })?,
        };
    let end = offset.saturating_add(max).min(job.ids.len());
    let csv = write_csv(state, &job, offset, end)
        .map_err(|e| job_error(StatusCode::INTERNAL_SERVER_ERROR, "UNKNOWN_EXCEPTION", e))?;
    let locator = if end < job.ids.len() {
        STANDARD.encode(end.to_string())
    } else {
        "null".to_string()
    };
    let mut resp = csv.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv"));
    if let Ok(v) = HeaderValue::from_str(&locator) {
        h.insert("sforce-locator", v);
    }
    h.insert("sforce-numberofrecords", HeaderValue::from(end - offset));
    Ok(resp)
}

fn write_csv(state: &FakeState, job: &Job, from: usize, to: usize) -> Result<String, String> {
    let mut out = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let specs = job.object.fields();
    let header: Vec<&str> = job.fields.iter().map(|i| specs[*i].name).collect();
    out.write_record(&header).map_err(|e| e.to_string())?;
    let store = state.read();
    let table = store.table(job.object);
    for id in &job.ids[from..to] {
        if let Some(rec) = table.get(*id) {
            let row: Vec<String> = job.fields.iter().map(|i| rec.get(*i).to_csv()).collect();
            out.write_record(&row).map_err(|e| e.to_string())?;
        }
    }
    let bytes = out.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}
