//! Full reads of large tables through Bulk API 2.0 query jobs: `POST jobs/query` with the
//! read's SOQL (without `ORDER BY`, which Bulk API 2.0 refuses), polls of `GET
//! jobs/query/{id}` until `JobComplete`, then `GET jobs/query/{id}/results` as CSV,
//! `maxRecords` at a time, each page naming the next in `Sforce-Locator` (`null` after
//! the last), and `DELETE` of the job at the end.
//!
//! Used only for reads that take their records in any order
//! ([`listbridge_connector::ReadQuery::any_order`], a full import) and only when a
//! `COUNT()` finds at least [`crate::BulkOptions::threshold`] records: below it, the REST
//! query is as cheap and starts at once. A 1,000,000-lead import then costs about 100
//! results requests instead of 500 query pages. The pages it yields say they are not in
//! order, so the caller does not resume from them.
//!
//! CSV cells are text: an empty cell is null, a described boolean or number is turned
//! into its JSON kind, and `SystemModstamp` is written as the REST API writes it, so a
//! record's version reads the same whichever API read it.

use std::{sync::Arc, time::Instant};

use async_stream::try_stream;
use chrono::SecondsFormat;
use listbridge_connector::{ConnectorError, CrmRecord, FieldType, ReadPage, RecordStream};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Number, Value as Json, json};

use crate::{
    client::{Reply, Request},
    connector::Inner,
    describe::Schema,
    query, record,
    select::Selection,
};

/// A job's state, as `GET jobs/query/{id}` answers it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobInfo {
    id: String,
    state: String,
    #[serde(default)]
    number_records_processed: Option<u64>,
    #[serde(default)]
    error_message: Option<String>,
}

/// How many records `soql` (a read's conditions, as `SELECT COUNT() FROM …`) matches.
pub(crate) async fn count(
    inner: &Inner,
    soql: &str,
    sobject: &'static str,
) -> Result<u64, ConnectorError> {
    let url = query::first_url(inner, soql)?;
    Ok(query::page(inner, url, sobject, None).await?.total_size)
}

/// The records of `soql` through a query job, in pages of at most `page_size` records.
pub(crate) fn read(
    inner: Arc<Inner>,
    schema: Arc<Schema>,
    selection: Selection,
    soql: String,
    page_size: usize,
) -> RecordStream {
    Box::pin(try_stream! {
        let sobject = crate::describe::sobject(schema.entity);
        let job = create(&inner, &soql, sobject).await?;
        let done = match wait(&inner, &job, sobject).await {
            Ok(done) => done,
            Err(e) => {
                abort(&inner, &job.id, sobject).await;
                Err(e)?
            }
        };
        let mut total = done.number_records_processed;
        let mut locator: Option<String> = None;
        loop {
            let (body, next) = results(&inner, &job.id, locator.as_deref(), sobject).await?;
            let mut records = to_records(&schema, &selection, &body)?;
            drop(body);
            // Pages of the asked size, moved out of the results page rather than copied.
            while !records.is_empty() {
                let rest = records.split_off(records.len().min(page_size.max(1)));
                yield ReadPage {
                    records,
                    total_results: total.take(),
                    in_order: false,
                };
                records = rest;
            }
            match next {
                Some(next) => locator = Some(next),
                None => break,
            }
        }
        delete(&inner, &job.id, sobject).await;
    })
}

/// Creates the job.
async fn create(
    inner: &Inner,
    soql: &str,
    sobject: &'static str,
) -> Result<JobInfo, ConnectorError> {
    let url = inner.client.data_url("jobs/query")?;
    let body = json!({"operation": "query", "query": soql, "contentType": "CSV"});
    // A second job after a lost answer costs one more job, never a second write.
    let request = Request {
        idempotent: true,
        ..Request::json(Method::POST, url, sobject, &body)
    };
    let reply = send(inner, &request, sobject).await?;
    parse_info(&reply.body)
}

/// Polls the job until it completes; a failed or aborted job, or one past
/// [`crate::BulkOptions::max_wait`], is an error.
async fn wait(
    inner: &Inner,
    job: &JobInfo,
    sobject: &'static str,
) -> Result<JobInfo, ConnectorError> {
    let options = inner.options.bulk;
    let started = Instant::now();
    let mut pause = options.first_poll;
    let url = inner.client.data_url(&format!("jobs/query/{}", job.id))?;
    loop {
        let reply = send(inner, &Request::get(url.clone(), sobject), sobject).await?;
        let info = parse_info(&reply.body)?;
        match info.state.as_str() {
            "JobComplete" => return Ok(info),
            "Failed" | "Aborted" => {
                return Err(ConnectorError::Transient {
                    message: format!(
                        "Salesforce's Bulk API query job {} ended {}: {}",
                        info.id,
                        info.state,
                        info.error_message.as_deref().unwrap_or("no reason given")
                    ),
                });
            }
            _ => {}
        }
        if started.elapsed() + pause > options.max_wait {
            return Err(ConnectorError::Transient {
                message: format!(
                    "Salesforce's Bulk API query job {} was still {} after {} s",
                    info.id,
                    info.state,
                    options.max_wait.as_secs()
                ),
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(options.max_poll);
    }
}

/// One page of results: its CSV text and the next page's locator.
async fn results(
    inner: &Inner,
    job: &str,
    locator: Option<&str>,
    sobject: &'static str,
) -> Result<(String, Option<String>), ConnectorError> {
    let mut url = inner
        .client
        .data_url(&format!("jobs/query/{job}/results"))?;
    url.query_pairs_mut()
        .append_pair("maxRecords", &inner.options.bulk.page.max(1).to_string());
    if let Some(locator) = locator {
        url.query_pairs_mut().append_pair("locator", locator);
    }
    let reply = send(inner, &Request::get(url, sobject), sobject).await?;
    let next = reply
        .locator
        .filter(|l| !l.is_empty() && !l.eq_ignore_ascii_case("null"));
    Ok((reply.body, next))
}

/// Aborts a job the read gives up on (best effort: the job ends by itself anyway).
async fn abort(inner: &Inner, job: &str, sobject: &'static str) {
    let Ok(url) = inner.client.data_url(&format!("jobs/query/{job}")) else {
        return;
    };
    let request = Request::json(Method::PATCH, url, sobject, &json!({"state": "Aborted"}));
    if let Err(e) = send(inner, &request, sobject).await {
        tracing::warn!(kind = e.kind(), "aborting a Bulk API query job failed");
    }
}

/// Deletes a finished job and its results (best effort: Salesforce deletes them after
/// seven days).
async fn delete(inner: &Inner, job: &str, sobject: &'static str) {
    let Ok(url) = inner.client.data_url(&format!("jobs/query/{job}")) else {
        return;
    };
    let request = Request {
        method: Method::DELETE,
        ..Request::get(url, sobject)
    };
    if let Err(e) = send(inner, &request, sobject).await {
        tracing::warn!(kind = e.kind(), "deleting a Bulk API query job failed");
    }
}

/// Sends a request; a status that is not a success is the error it says.
async fn send(
    inner: &Inner,
    request: &Request,
    sobject: &'static str,
) -> Result<Reply, ConnectorError> {
    inner.client.execute_ok(request, sobject, "").await
}

fn parse_info(body: &str) -> Result<JobInfo, ConnectorError> {
    serde_json::from_str(body).map_err(|e| ConnectorError::Transient {
        message: format!("an unreadable Bulk API job answer: {e}"),
    })
}

/// The records of a CSV results page, row by row: each cell typed by its described
/// field (empty is null), the version written as the REST API writes it.
fn to_records(
    schema: &Schema,
    selection: &Selection,
    body: &str,
) -> Result<Vec<CrmRecord>, ConnectorError> {
    let unreadable = |e: csv::Error| ConnectorError::Transient {
        message: format!("an unreadable Bulk API results page: {e}"),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body.as_bytes());
    let headers = reader.headers().map_err(unreadable)?.clone();
    let mut records = Vec::new();
    let mut row = csv::StringRecord::new();
    while reader.read_record(&mut row).map_err(unreadable)? {
        let typed: Map<String, Json> = headers
            .iter()
            .zip(row.iter())
            .map(|(name, cell)| (name.to_string(), typed(schema, name, cell)))
            .collect();
        records.push(record::from_json(schema, &selection.fields, &typed)?);
    }
    Ok(records)
}

/// A CSV cell as the JSON the REST API would have sent.
fn typed(schema: &Schema, name: &str, cell: &str) -> Json {
    if cell.is_empty() {
        return Json::Null;
    }
    let text = || Json::String(cell.to_string());
    if name.eq_ignore_ascii_case("SystemModstamp") {
        return record::parse_instant(cell).map_or_else(text, |t| {
            let millis = t.to_rfc3339_opts(SecondsFormat::Millis, true);
            Json::String(format!("{}+0000", millis.trim_end_matches('Z')))
        });
    }
    match schema.field(name).map(|f| f.field_type) {
        Ok(FieldType::Boolean) => match cell {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            _ => text(),
        },
        Ok(FieldType::Integer | FieldType::Decimal) => cell
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(text, Json::Number),
        _ => text(),
    }
}
