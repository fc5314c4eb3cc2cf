//! Running SOQL: `GET query?q=…`, then `nextRecordsUrl` page by page.

use std::{collections::HashSet, sync::Arc};

use async_stream::try_stream;
use futures::stream::BoxStream;
use listbridge_connector::ConnectorError;
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use url::Url;

use crate::{client::Request, connector::Inner};

/// One page of a query answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryPage {
    #[serde(default)]
    pub total_size: u64,
    #[serde(default)]
    pub next_records_url: Option<String>,
    #[serde(default)]
    pub records: Vec<Map<String, Json>>,
}

/// The URL of the first page of `soql`.
pub(crate) fn first_url(inner: &Inner, soql: &str) -> Result<Url, ConnectorError> {
    let mut url = inner.client.data_url("query")?;
    url.query_pairs_mut().append_pair("q", soql);
    Ok(url)
}

/// Fetches one page.
pub(crate) async fn page(
    inner: &Inner,
    url: Url,
    sobject: &'static str,
    batch_size: Option<u32>,
) -> Result<QueryPage, ConnectorError> {
    let request = Request {
        batch_size,
        ..Request::get(url, sobject)
    };
    let reply = inner.client.execute_ok(&request, sobject, "").await?;
    serde_json::from_str(&reply.body).map_err(|e| ConnectorError::Transient {
        message: format!("an unreadable Salesforce query answer: {e}"),
    })
}

/// The pages of the query at `url`, `nextRecordsUrl` after `nextRecordsUrl`, for reads
/// that stream (a URL answered twice is a paging loop, not a read without end).
pub(crate) fn pages(
    inner: Arc<Inner>,
    mut url: Url,
    sobject: &'static str,
    batch_size: Option<u32>,
) -> BoxStream<'static, Result<QueryPage, ConnectorError>> {
    Box::pin(try_stream! {
        let mut seen = HashSet::new();
        loop {
            let page = page(&inner, url, sobject, batch_size).await?;
            let next = page.next_records_url.clone();
            yield page;
            let Some(next) = next else { break };
            if !seen.insert(next.clone()) {
                Err(ConnectorError::PagingLoop { resource: sobject.to_string() })?;
            }
            url = inner.client.url(&next)?;
        }
    })
}

/// Every record `soql` matches, following `nextRecordsUrl` (for lookups, whose results
/// are bounded by their chunk).
pub(crate) async fn all(
    inner: &Inner,
    soql: &str,
    sobject: &'static str,
) -> Result<Vec<Map<String, Json>>, ConnectorError> {
    let first = page(inner, first_url(inner, soql)?, sobject, None).await?;
    rest(inner, first, sobject).await
}

/// The records of `first` and of the pages after it, `nextRecordsUrl` after
/// `nextRecordsUrl` (a first page may come from a Composite Batch subrequest).
pub(crate) async fn rest(
    inner: &Inner,
    first: QueryPage,
    sobject: &'static str,
) -> Result<Vec<Map<String, Json>>, ConnectorError> {
    let mut seen = HashSet::new();
    let mut records = first.records;
    let mut next = first.next_records_url;
    while let Some(url) = next {
        if !seen.insert(url.clone()) {
            return Err(ConnectorError::PagingLoop {
                resource: sobject.to_string(),
            });
        }
        let page = page(inner, inner.client.url(&url)?, sobject, None).await?;
        records.extend(page.records);
        next = page.next_records_url;
    }
    Ok(records)
}

/// `values` cut into chunks of at most `most` values whose query (`render`ed) stays under
/// `max_url` characters once URL-encoded: Salesforce refuses long URIs.
pub(crate) fn chunks<T, F>(values: &[T], most: usize, max_url: usize, render: F) -> Vec<Vec<T>>
where
    T: Clone,
    F: Fn(&[T]) -> String,
{
    let mut out: Vec<Vec<T>> = Vec::new();
    let mut current: Vec<T> = Vec::new();
    for value in values {
        current.push(value.clone());
        let too_long = || encoded_len(&render(&current)) > max_url;
        if current.len() > most.max(1) || (current.len() > 1 && too_long()) {
            let last = current.pop();
            out.push(std::mem::take(&mut current));
            current.extend(last);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The length of `text` as a URL query value, roughly (non-alphanumerics as `%XX`).
fn encoded_len(text: &str) -> usize {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { 1 } else { 3 })
        .sum::<usize>()
        + 100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_count_and_length() {
        let values: Vec<String> = (0..10).map(|n| format!("v{n}")).collect();
        let by_count = chunks(&values, 4, 10_000, |c| c.join(","));
        assert_eq!(
            by_count.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![4, 4, 2]
        );
        let by_len = chunks(&values, 100, 110, |c| c.join(","));
        assert!(by_len.len() > 1);
        assert_eq!(by_len.concat(), values);
    }
}
