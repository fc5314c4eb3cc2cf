//! Reading: streamed, paged reads in (ModifyDate, Id) order, narrowed by the query's
//! filters (see `filter`), and chunked lookups by email and by key.
//!
//! Reads page by the (ModifyDate, Id) keyset (see [`read`]); a server that refuses or
//! ignores it, and lookups, page by offsets: they follow the server's `next` link;
//! without one (older providers), `startIndex` moves on by the entries received while
//! `totalResults` (or a full page) says more remain. A server cap on `itemsPerPage` is simply what a page holds. The paging
//! counters come from the CRM, so the arithmetic saturates, and a feed whose next
//! `startIndex` would not move forward ends the read with an error instead of looping.
//! A `next` link to a page this read already fetched ends it with
//! [`ConnectorError::PagingLoop`]: two pages that link to each other would otherwise be
//! read forever. Nothing here collects a table.

use std::{
    collections::HashSet,
    hash::{BuildHasher, RandomState},
    sync::{Arc, atomic::Ordering},
};

use async_stream::try_stream;
use futures::{Stream, StreamExt, TryStreamExt, stream::BoxStream};
use listbridge_connector::{
    ConnectorError, ConnectorResult, CrmRecord, EntityKind, ReadPage, ReadQuery, RecordStream,
    SourceKind, SourceStream, Vocabulary,
};

use crate::{
    connector::{Inner, resource},
    filter, query,
    record::{self, Row},
    resource::Resource,
    schema::EntitySchema,
    wire::WireFeed,
};

/// Room left in lookup URLs for a growing `startIndex` on later pages.
const URL_SLACK: usize = 32;
/// Longest URL a tunnelled lookup builds (it travels as a request body).
const MAX_TUNNELLED_URL: usize = 32_000;

/// The stream behind [`listbridge_connector::CrmConnector::read`]: [`read_rows`] of a
/// person entity, as [`CrmRecord`]s.
pub(crate) fn read(inner: Arc<Inner>, entity: EntityKind, query: ReadQuery) -> RecordStream {
    read_rows(inner, entity.into(), query)
        .map_ok(move |page| ReadPage {
            records: page
                .rows
                .into_iter()
                .map(|row| row.into_record(entity))
                .collect(),
            total_results: page.total_results,
            in_order: true,
        })
        .boxed()
}

/// The stream behind [`listbridge_connector::CrmConnector::read_source`] for the sources
/// this connector reads itself (opportunities): [`read_rows`] as [`SourceRecord`]s.
pub(crate) fn read_source(inner: Arc<Inner>, source: SourceKind, query: ReadQuery) -> SourceStream {
    read_rows(inner, source.into(), query)
        .map_ok(move |page| {
            page.rows
                .into_iter()
                .map(|row| row.into_source(source))
                .collect()
        })
        .boxed()
}

/// One page of [`read_rows`].
struct RowPage {
    /// Rows in (ModifyDate, Id) order.
    rows: Vec<Row>,
    /// How many rows the whole read matches, when the CRM says.
    total_results: Option<u64>,
}

/// The pages of one resource's read, oldest modification first.
///
/// Pages by keyset: each page is a fresh query for the records after the last one read
/// in (ModifyDate, Id) order, the clause incremental reads already send, so a page
/// costs the CRM's database an index seek however far into the table it is, where a
/// deep `startIndex` makes it skip every row before the page. A server that refuses the
/// clause on a continuing page (400), ignores it (the page does not move on) or sends
/// records without a ModifyDate is read on by `startIndex` from where the keyset pages
/// stopped, and later reads of this connector page by `startIndex` from the start.
fn read_rows(
    inner: Arc<Inner>,
    entity: Resource,
    query: ReadQuery,
) -> BoxStream<'static, ConnectorResult<RowPage>> {
    Box::pin(try_stream! {
        let schema = inner.schema(entity).await?;
        let mut params = Vec::new();
        if let Some(select) = select_param(entity, &query.fields, &schema)? {
            params.push(("select", select));
        }
        params.push(("orderBy", "ModifyDate,Id".to_string()));
        params.push(inner.format_param());
        let page_size = query.page_size.unwrap_or(inner.page_size).max(1);
        let kind = resource(entity);
        let context = inner.context(entity.as_str(), None);
        // Records yielded so far, and the keyset position after the last of them.
        let mut read: u64 = 0;
        let mut after = query.since.clone();
        let mut by_keyset = !inner.keyset_refused.load(Ordering::Relaxed);
        while by_keyset {
            let mut all = params.clone();
            if let Some(clause) =
                filter::where_param(entity, &query.filters, after.as_ref(), &schema)?
            {
                all.push(("where", clause));
            }
            let url = page_url(&inner, kind, &all, 1, page_size)?;
            let continuing = read > 0;
            let feed = match inner.get_feed(url, kind, &context).await {
                Err(ConnectorError::Rejected { message }) if continuing => {
                    tracing::warn!(
                        resource = kind,
                        crm_message = %message,
                        "the CRM refused the keyset clause; reading on by startIndex"
                    );
                    inner.keyset_refused.store(true, Ordering::Relaxed);
                    break;
                }
                other => other?,
            };
            let rows = rows(entity, &feed, &schema)?;
            let received = rows.len() as u64;
            if received == 0 {
                return;
            }
            let last = rows.last().and_then(Row::watermark);
            let moved_on = match (&last, &after) {
                (Some(last), Some(after)) => {
                    (last.modified, &last.key) > (after.modified, &after.key)
                }
                (Some(_), None) => true,
                (None, _) => false,
            };
            if continuing && !moved_on {
                tracing::warn!(
                    resource = kind,
                    "the CRM ignored the keyset clause; reading on by startIndex"
                );
                inner.keyset_refused.store(true, Ordering::Relaxed);
                break;
            }
            let more = more_remain(&feed, received, received, page_size);
            let total_results = feed.total_results.map(|t| read.saturating_add(t));
            read = read.saturating_add(received);
            yield RowPage { rows, total_results };
            if !more {
                return;
            }
            // Without a position the next page cannot be asked for by keyset.
            match last {
                Some(last) => after = Some(last),
                None => by_keyset = false,
            }
        }
        if let Some(clause) =
            filter::where_param(entity, &query.filters, query.since.as_ref(), &schema)?
        {
            params.push(("where", clause));
        }
        let mut feeds =
            std::pin::pin!(pages(&inner, kind, entity.as_str(), params, page_size, read + 1));
        while let Some(feed) = feeds.next().await {
            let feed = feed?;
            if feed.entries.is_empty() {
                continue;
            }
            let rows = rows(entity, &feed, &schema)?;
            yield RowPage { rows, total_results: feed.total_results };
        }
    })
}

/// Feed pages of a query of the resource kind `kind` (`leads`; `entity` names it in
/// messages), following `next` links or `startIndex` arithmetic.
pub(crate) fn pages<'a>(
    inner: &'a Inner,
    kind: &'static str,
    entity: &'static str,
    params: Vec<(&'static str, String)>,
    page_size: u32,
    first_start: u64,
) -> impl Stream<Item = ConnectorResult<WireFeed>> + 'a {
    try_stream! {
        let context = inner.context(entity, None);
        let url_at = |start: u64| page_url(inner, kind, &params, start, page_size);
        // The startIndex asked for; without `next` links each page must move it on.
        let mut start: u64 = first_start.max(1);
        let mut url = url_at(start)?;
        let mut visited = Visited::default();
        visited.insert(&url);
        loop {
            let feed = inner.get_feed(url.clone(), kind, &context).await?;
            let received = feed.entries.len() as u64;
            let page_start = feed.start_index.filter(|s| *s > 0).unwrap_or(start);
            // The CRM sends startIndex: saturate rather than trust it not to overflow.
            let covered = page_start.saturating_sub(1).saturating_add(received);
            // Credentials go only to the CRM's own origin; a link elsewhere is ignored.
            let next_link = feed
                .next
                .as_deref()
                .and_then(|link| url.join(link).ok())
                .filter(|link| inner.client.endpoint.same_origin(link) && *link != url);
            let more_by_count = more_remain(&feed, covered, received, page_size);
            yield feed;
            if received == 0 {
                break;
            }
            let next_start = covered.saturating_add(1);
            url = match (next_link, more_by_count) {
                (Some(link), _) if !visited.insert(&link) => Err(ConnectorError::PagingLoop {
                    resource: kind.to_string(),
                })?,
                (Some(link), _) => link,
                (None, true) if next_start > start => {
                    let next = url_at(next_start)?;
                    visited.insert(&next);
                    next
                }
                // A server that answers every startIndex with the same page would
                // otherwise be read forever.
                (None, true) => Err(ConnectorError::Transient {
                    message: format!(
                        "the CRM's {kind} feed does not page on: asked for startIndex {start}, \
                         it answered a page starting at {page_start}"
                    ),
                })?,
                (None, false) => break,
            };
            start = next_start;
        }
    }
}

/// The URL of one feed page: the query's `params` with `startIndex` and `count`.
fn page_url(
    inner: &Inner,
    kind: &'static str,
    params: &[(&'static str, String)],
    start: u64,
    page_size: u32,
) -> ConnectorResult<url::Url> {
    let mut all = params.to_vec();
    all.push(("startIndex", start.to_string()));
    all.push(("count", page_size.to_string()));
    inner.client.endpoint.collection(kind, &all)
}

/// Whether records remain after the first `covered` of a query, by the page that
/// brought `received` of them: `totalResults` when the CRM sends it, else a full page.
fn more_remain(feed: &WireFeed, covered: u64, received: u64, page_size: u32) -> bool {
    match feed.total_results {
        Some(total) => covered < total,
        None => received > 0 && received >= feed.items_per_page.unwrap_or(u64::from(page_size)),
    }
}

/// The pages one read has fetched, kept as hashes of their URLs: a lookup's URL may be
/// tens of kilobytes, and a long read has many pages.
#[derive(Default)]
struct Visited {
    hasher: RandomState,
    seen: HashSet<u64>,
}

impl Visited {
    /// Records `url`; false when this read fetched it before.
    fn insert(&mut self, url: &url::Url) -> bool {
        self.seen.insert(self.hasher.hash_one(url.as_str()))
    }
}

fn rows(of: Resource, feed: &WireFeed, schema: &EntitySchema) -> ConnectorResult<Vec<Row>> {
    feed.entries
        .iter()
        .map(|entry| {
            record::to_row(of, entry, schema)
                .map_err(|message| ConnectorError::Transient { message })
        })
        .collect()
}

fn records(
    entity: EntityKind,
    feed: &WireFeed,
    schema: &EntitySchema,
) -> ConnectorResult<Vec<CrmRecord>> {
    Ok(rows(entity.into(), feed, schema)?
        .into_iter()
        .map(|row| row.into_record(entity))
        .collect())
}

/// The `select` parameter: the requested fields (validated, `Rel.Field` as `Rel/Field`)
/// plus what the resource always selects (`Email` of people, `ModifyDate`); `None`
/// (everything) when no fields are requested.
pub(crate) fn select_param(
    entity: impl Into<Resource>,
    fields: &[String],
    schema: &EntitySchema,
) -> ConnectorResult<Option<String>> {
    let entity = entity.into();
    if fields.is_empty() {
        return Ok(None);
    }
    let mut names: Vec<String> = Vec::new();
    for name in fields
        .iter()
        .map(String::as_str)
        .chain(entity.always_selected().iter().copied())
    {
        let def = schema.field(name).ok_or_else(|| ConnectorError::Invalid {
            message: format!("{entity} has no field {name} in the CRM"),
        })?;
        let wire = def.name.replace('.', "/");
        if !names.contains(&wire) {
            names.push(wire);
        }
    }
    Ok(Some(names.join(",")))
}

/// Runs `expr in (…)` lookups in URL-sized chunks and collects what they match.
async fn lookup(
    inner: &Inner,
    entity: EntityKind,
    expr: &str,
    values: &[String],
    fields: &[String],
    keep: impl Fn(&CrmRecord, &HashSet<String>) -> bool,
) -> ConnectorResult<Vec<CrmRecord>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let schema = inner.schema(entity).await?;
    let mut params = Vec::new();
    if let Some(select) = select_param(entity, fields, &schema)? {
        params.push(("select", select));
    }
    params.push(("orderBy", "ModifyDate,Id".to_string()));
    params.push(inner.format_param());
    let page_size = inner.page_size;
    let budget = in_budget(inner, resource(entity), &params, "", page_size)?;
    let mut found = Vec::new();
    for (chunk, clause) in query::in_chunks(expr, values, budget, inner.options.lookup_chunk) {
        let wanted: HashSet<String> = chunk.iter().map(|v| v.to_lowercase()).collect();
        let mut chunk_params = params.clone();
        chunk_params.push(("where", clause));
        let mut feeds = std::pin::pin!(pages(
            inner,
            resource(entity),
            entity.as_str(),
            chunk_params,
            page_size,
            1
        ));
        while let Some(feed) = feeds.next().await {
            found.extend(
                records(entity, &feed?, &schema)?
                    .into_iter()
                    .filter(|r| keep(r, &wanted)),
            );
        }
    }
    Ok(found)
}

/// How many characters an `expr in (…)` clause may take in a lookup URL of `kind` with
/// `params`, when the clause stands in `where` beside `rest` (the rest of the clause,
/// such as ` and IsPrimary eq true`) and pages hold `page_size` records: what the URL
/// limit leaves (the tunnelled one when long GETs are tunnelled), at least 64.
pub(crate) fn in_budget(
    inner: &Inner,
    kind: &str,
    params: &[(&'static str, String)],
    rest: &str,
    page_size: u32,
) -> ConnectorResult<usize> {
    let mut probe = params.to_vec();
    probe.extend([
        ("where", rest.to_string()),
        ("startIndex", "1".into()),
        ("count", page_size.to_string()),
    ]);
    let base_length = inner
        .client
        .endpoint
        .collection(kind, &probe)?
        .as_str()
        .len()
        + URL_SLACK;
    let url_limit = if inner.options.tunnel_long_gets {
        MAX_TUNNELLED_URL
    } else {
        inner.options.max_url_length
    };
    Ok(url_limit.saturating_sub(base_length).max(64))
}

/// Normalised, de-duplicated, non-empty values.
fn distinct(values: &[String], normalise: impl Fn(&str) -> String) -> Vec<String> {
    let mut seen = HashSet::new();
    values
        .iter()
        .map(|v| normalise(v.trim()))
        .filter(|v| !v.is_empty() && seen.insert(v.clone()))
        .collect()
}

/// [`listbridge_connector::CrmConnector::find_by_email`]: `upper(Email) in (…)` chunks,
/// so the match is case-insensitive whatever the database collation; results are
/// checked again here.
pub(crate) async fn find_by_email(
    inner: &Inner,
    entity: EntityKind,
    emails: &[String],
    fields: &[String],
) -> ConnectorResult<Vec<CrmRecord>> {
    let upper = distinct(emails, str::to_uppercase);
    lookup(
        inner,
        entity,
        "upper(Email)",
        &upper,
        fields,
        |record, wanted| {
            crate::vocabulary::VOCABULARY
                .email_of(record)
                .is_some_and(|e| wanted.contains(&e.trim().to_lowercase()))
        },
    )
    .await
}

/// [`listbridge_connector::CrmConnector::get_by_keys`]: `Id in (…)` chunks.
pub(crate) async fn get_by_keys(
    inner: &Inner,
    entity: EntityKind,
    keys: &[String],
    fields: &[String],
) -> ConnectorResult<Vec<CrmRecord>> {
    let keys = distinct(keys, str::to_string);
    lookup(inner, entity, "Id", &keys, fields, |record, wanted| {
        wanted.contains(&record.key.to_lowercase())
    })
    .await
}
