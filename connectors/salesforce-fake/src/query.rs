//! `GET /query?q=SOQL` (and `queryAll`, which includes deleted records) and the pages
//! after the first, `GET /query/{locator}-{offset}`.
//!
//! A page holds at most `--page-cap` records (2000 by default), fewer when the
//! `Sforce-Query-Options: batchSize=N` header asks (N from 200 to 2000).

use std::sync::Arc;

use axum::Json as Reply;
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

use crate::cursor::Cursor;
use crate::errors::ApiError;
use crate::id::SfId;
use crate::req::Req;
use crate::schema::SObject;
use crate::soql::{Selection, execute, parse};
use crate::state::FakeState;
use crate::store::Store;

/// The smallest and largest `batchSize` Salesforce honours.
const BATCH_MIN: usize = 200;
const BATCH_MAX: usize = 2000;

fn batch_size(state: &FakeState, req: &Req) -> usize {
    let cap = state.settings().page_cap;
    let asked = req
        .header("sforce-query-options")
        .into_iter()
        .flat_map(|h| h.split(','))
        .filter_map(|opt| opt.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("batchSize"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    match asked {
        Some(n) => n.clamp(BATCH_MIN, BATCH_MAX).min(cap),
        None => cap,
    }
}

fn render(
    store: &Store,
    object: SObject,
    version: &str,
    fields: &[usize],
    ids: &[SfId],
) -> Vec<Json> {
    let table = store.table(object);
    ids.iter()
        .filter_map(|id| table.get(*id))
        .map(|r| r.to_json(version, fields))
        .collect()
}

fn answer(total: usize, records: Vec<Json>, next: Option<String>) -> Response {
    let mut body = json!({"totalSize": total, "done": next.is_none()});
    if let Some(next) = next {
        body["nextRecordsUrl"] = Json::String(next);
    }
    body["records"] = Json::Array(records);
    Reply(body).into_response()
}

fn next_url(version: &str, kind: &str, locator: SfId, offset: usize) -> String {
    format!("/services/data/{version}/{kind}/{locator}-{offset}")
}

/// The first page of a query.
pub(crate) fn first_page(
    state: &FakeState,
    req: &Req,
    version: &str,
    include_deleted: bool,
) -> Result<Response, ApiError> {
    let Some(text) = req.param("q") else {
        return Err(ApiError::bad(
            "MALFORMED_QUERY",
            "A query string has to be specified",
        ));
    };
    let query = parse(text)?;
    let store = state.read();
    let found = execute(&query, store.table(query.object), include_deleted);
    state.stats_mut().rows_scanned += found.visited as u64;
    let fields = match query.selection {
        Selection::Count => return Ok(answer(found.ids.len(), Vec::new(), None)),
        Selection::Fields(fields) => fields,
    };
    let batch = batch_size(state, req);
    let total = found.ids.len();
    let first = &found.ids[..batch.min(total)];
    let records = render(&store, query.object, version, &fields, first);
    drop(store);
    let next = (total > batch).then(|| {
        let locator = state.cursors().open(Cursor {
            object: query.object,
            fields: fields.into(),
            ids: Arc::from(found.ids),
            batch,
        });
        let kind = if include_deleted { "queryAll" } else { "query" };
        next_url(version, kind, locator, batch)
    });
    Ok(answer(total, records, next))
}

/// A page after the first: `{locator}-{offset}`.
pub(crate) fn next_page(
    state: &FakeState,
    version: &str,
    kind: &str,
    locator: &str,
) -> Result<Response, ApiError> {
    let invalid = || ApiError::bad("INVALID_QUERY_LOCATOR", "invalid query locator");
    let (id, offset) = locator.rsplit_once('-').ok_or_else(invalid)?;
    let id = SfId::parse(id).ok_or_else(invalid)?;
    let offset: usize = offset.parse().map_err(|_| invalid())?;
    let cursor = state.cursors().get(id).ok_or_else(invalid)?;
    let total = cursor.ids.len();
    if offset > total {
        return Err(invalid());
    }
    let end = (offset + cursor.batch).min(total);
    let store = state.read();
    let records = render(
        &store,
        cursor.object,
        version,
        &cursor.fields,
        &cursor.ids[offset..end],
    );
    drop(store);
    let next = (end < total).then(|| next_url(version, kind, id, end));
    Ok(answer(total, records, next))
}
