//! Several queries in one request: Composite Batch (`POST composite/batch`) runs up to 25
//! independent subrequests and answers each one's body and status, so a push page's
//! lookups (contacts and leads, chunk after chunk) cost one request instead of one each.
//!
//! A single query goes out as a plain `GET query`: a batch of one would spend the org's
//! API allowance twice (the batch and its subrequest) for nothing. A subrequest answered
//! with more rows than one page follows its `nextRecordsUrl` like any query.

use listbridge_connector::ConnectorError;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use crate::{
    client::Request,
    connector::Inner,
    errors,
    query::{self, QueryPage},
};

/// The most subrequests Salesforce takes in one Composite Batch.
pub(crate) const MAX_SUBREQUESTS: usize = 25;

/// One query of a batch.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    /// The SOQL.
    pub soql: String,
    /// The sObject it reads, for logs and errors.
    pub sobject: &'static str,
}

/// A Composite Batch answer.
#[derive(Debug, Deserialize)]
struct BatchAnswer {
    #[serde(default)]
    results: Vec<SubResult>,
}

/// One subrequest's status and body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubResult {
    status_code: u16,
    #[serde(default)]
    result: Json,
}

/// The rows of each query, in the order of `queries`, in as few requests as
/// Composite Batch allows.
pub(crate) async fn queries(
    inner: &Inner,
    queries: &[Query],
) -> Result<Vec<Vec<Map<String, Json>>>, ConnectorError> {
    let mut answers = Vec::with_capacity(queries.len());
    for group in queries.chunks(MAX_SUBREQUESTS) {
        if let [only] = group {
            answers.push(query::all(inner, &only.soql, only.sobject).await?);
            continue;
        }
        for (query, page) in group.iter().zip(batch(inner, group).await?) {
            answers.push(query::rest(inner, page, query.sobject).await?);
        }
    }
    Ok(answers)
}

/// The first page of each query of `group`, from one Composite Batch.
async fn batch(inner: &Inner, group: &[Query]) -> Result<Vec<QueryPage>, ConnectorError> {
    let version = inner.client.api_version();
    let subrequests: Vec<Json> = group
        .iter()
        .map(|q| {
            let soql: String = url::form_urlencoded::byte_serialize(q.soql.as_bytes()).collect();
            json!({"method": "GET", "url": format!("{version}/query?q={soql}")})
        })
        .collect();
    let url = inner.client.data_url("composite/batch")?;
    let body = json!({"batchRequests": subrequests});
    // Only reads: safe to send again when an answer is lost.
    let request = Request {
        idempotent: true,
        ..Request::json(Method::POST, url, "composite/batch", &body)
    };
    let reply = inner
        .client
        .execute_ok(&request, "composite/batch", "")
        .await?;
    let unreadable = |why: String| ConnectorError::Transient {
        message: format!("an unreadable Salesforce Composite Batch answer: {why}"),
    };
    let answer: BatchAnswer =
        serde_json::from_str(&reply.body).map_err(|e| unreadable(e.to_string()))?;
    if answer.results.len() != group.len() {
        return Err(unreadable(format!(
            "{} results for {} subrequests",
            answer.results.len(),
            group.len()
        )));
    }
    group
        .iter()
        .zip(answer.results)
        .map(|(query, sub)| {
            let status =
                StatusCode::from_u16(sub.status_code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if !status.is_success() {
                let said = sub.result.to_string();
                if status == StatusCode::FORBIDDEN
                    && errors::has_code(&said, "REQUEST_LIMIT_EXCEEDED")
                {
                    return Err(inner.client.limit_exceeded());
                }
                return Err(errors::answer_error(status, &said, query.sobject, ""));
            }
            serde_json::from_value(sub.result).map_err(|e| unreadable(e.to_string()))
        })
        .collect()
}
