//! Single-record writes.
//!
//! **Create** never creates twice: a POST is only repeated when the failure proves it
//! was not applied (connection refused, 429, 503). When its answer is lost (timeout,
//! dropped connection, 5xx, unreadable body) the record is looked up by email first and,
//! if found, returned instead of posting again. Without an email nothing can be looked up,
//! so such a create is reported as a transient failure rather than risked twice.
//!
//! **Update** is a partial PUT with `If-Match`. On `412 Precondition Failed` the rule is:
//! 1. take the CRM's current version (from the 412 body, else read it again);
//! 2. if it already holds every value being written, that is success (this is also what a
//!    retried PUT whose first answer was lost sees) — nothing is written;
//! 3. if the caller said what it expected the CRM to hold for these fields and one of
//!    them changed in the CRM meanwhile, report [`ConnectorError::Conflict`] with the
//!    current version: the caller settles that field by its conflict rule (a CRM edit is
//!    never overwritten unseen);
//! 4. otherwise PUT once more with the current etag: only the fields being written are
//!    sent, so other fields changed meanwhile are kept;
//! 5. if that second PUT meets 412 too, report [`ConnectorError::Conflict`] with the latest version.

use std::future::Future;

use listbridge_connector::{
    ConnectorError, ConnectorResult, CrmRecord, EntityKind, FieldValues, SourceKind,
};
use reqwest::{Method, StatusCode};

use crate::{
    client::{Failure, Rejection, Reply, Request},
    connector::{Inner, element, resource},
    read,
    record::{self, Row},
    resource::Resource,
    response::{self, Context},
    retry,
    schema::EntitySchema,
    wire::{OutEntry, OutNode},
};

/// Posts `request` (a create) so that it takes effect at most once: see the module docs.
/// `find` looks for the result of an earlier attempt; `lookup_first` runs it before the
/// first POST too (used when an earlier batch's outcome is unknown). `find: None` means
/// nothing can be looked up.
pub(crate) async fn post_once<T, F, Fut>(
    inner: &Inner,
    request: &Request,
    accept: impl Fn(&Reply) -> Result<T, Rejection>,
    find: Option<F>,
    lookup_first: bool,
    what: &str,
) -> ConnectorResult<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = ConnectorResult<Option<T>>>,
{
    let unknown = |error: &ConnectorError| ConnectorError::Transient {
        message: format!(
            "the CRM's answer to creating {what} was lost ({error}); it is not sent again so as not to create it twice"
        ),
    };
    if lookup_first {
        let Some(find) = &find else {
            return Err(unknown(&ConnectorError::Transient {
                message: "an earlier attempt's outcome is unknown".into(),
            }));
        };
        if let Some(found) = find().await? {
            return Ok(found);
        }
    }
    let mut round = 1;
    loop {
        match inner.client.execute(request, &accept).await {
            Ok(value) => return Ok(value),
            Err(Failure::Final(error)) => return Err(error),
            Err(Failure::Unknown(error)) => {
                let Some(find) = &find else {
                    return Err(unknown(&error));
                };
                // Give a slow server a moment to finish the first attempt before looking.
                let wait = inner
                    .client
                    .retry
                    .delay(round + 1, None, retry::jitter_sample())
                    .unwrap_or_default();
                tokio::time::sleep(wait).await;
                if let Some(found) = find().await? {
                    tracing::info!(
                        what,
                        "a create whose answer was lost had been applied; not repeated"
                    );
                    return Ok(found);
                }
                if round >= inner.client.retry.max_attempts {
                    return Err(error);
                }
                round += 1;
            }
        }
    }
}

/// The email of a record being written, if any.
pub(crate) fn email_of(fields: &FieldValues) -> Option<String> {
    fields
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("Email"))
        .and_then(|(_, v)| v.as_deref())
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
}

/// The newest record with this email (the one an earlier, unanswered create made).
pub(crate) async fn find_created(
    inner: &Inner,
    entity: EntityKind,
    email: &str,
    fields: &FieldValues,
) -> ConnectorResult<Option<CrmRecord>> {
    let names: Vec<String> = fields.keys().cloned().collect();
    let found = read::find_by_email(inner, entity, &[email.to_string()], &names).await?;
    Ok(found
        .into_iter()
        .max_by(|a, b| (a.modify_date, &a.key).cmp(&(b.modify_date, &b.key))))
}

/// [`listbridge_connector::CrmConnector::create`].
pub(crate) async fn create(
    inner: &Inner,
    entity: EntityKind,
    fields: &FieldValues,
    lookup_first: bool,
) -> ConnectorResult<CrmRecord> {
    let schema = inner.schema(entity).await?;
    let nodes = record::encode_fields(entity, fields, &schema)?;
    let entry = OutEntry {
        entity_name: element(entity),
        fields: nodes,
        batch_method: None,
        url: None,
        key: None,
        if_match: None,
    };
    let url = inner
        .client
        .endpoint
        .collection(resource(entity), &[inner.format_param()])?;
    let request = inner.request(
        Method::POST,
        url,
        resource(entity),
        inner.entry_body(&entry),
        false,
    );
    let context = inner.context(entity.as_str(), None);
    let email = email_of(fields);
    let find = email
        .as_deref()
        .map(|email| move || find_created(inner, entity, email, fields));
    let accept = |reply: &Reply| {
        let entry = response::entry(reply, &context)?;
        record::to_record(entity, &entry, &schema).map_err(Rejection::Malformed)
    };
    post_once(
        inner,
        &request,
        accept,
        find,
        lookup_first,
        &format!("a {entity}"),
    )
    .await
}

/// What one PUT came to.
enum PutOutcome<T = CrmRecord> {
    /// Applied; the CRM's new version.
    Done(T),
    /// Applied, but the answer had no entry.
    Applied,
    /// 412: someone else changed it; their version when the CRM sent it.
    Stale(Option<T>),
}

impl PutOutcome<Row> {
    /// The outcome with its rows as person records.
    fn into_records(self, entity: EntityKind) -> PutOutcome {
        match self {
            PutOutcome::Done(row) => PutOutcome::Done(row.into_record(entity)),
            PutOutcome::Applied => PutOutcome::Applied,
            PutOutcome::Stale(row) => PutOutcome::Stale(row.map(|r| r.into_record(entity))),
        }
    }
}

/// [`listbridge_connector::CrmConnector::update`], with the 412 rule of the module docs.
pub(crate) async fn update(
    inner: &Inner,
    entity: EntityKind,
    key: &str,
    etag: Option<&str>,
    fields: &FieldValues,
    expected: Option<&FieldValues>,
) -> ConnectorResult<CrmRecord> {
    let schema = inner.schema(entity).await?;
    let nodes = record::encode_fields(entity, fields, &schema)?;
    match put(inner, entity, key, etag, &nodes, &schema).await? {
        PutOutcome::Done(record) => Ok(record),
        PutOutcome::Applied => fetch_one(inner, entity, key, fields, &schema).await,
        PutOutcome::Stale(current) => {
            resolve_stale(inner, entity, key, fields, expected, current).await
        }
    }
}

/// Steps 1-5 of the 412 rule, from a 412 (with the CRM's current version if it sent one).
pub(crate) async fn resolve_stale(
    inner: &Inner,
    entity: EntityKind,
    key: &str,
    fields: &FieldValues,
    expected: Option<&FieldValues>,
    current: Option<CrmRecord>,
) -> ConnectorResult<CrmRecord> {
    let schema = inner.schema(entity).await?;
    let current = match current.filter(|c| c.etag.is_some()) {
        Some(current) => current,
        None => fetch_one(inner, entity, key, fields, &schema).await?,
    };
    if record::holds(&current, fields) {
        return Ok(current);
    }
    if let Some(expected) = expected
        && changed_in_crm(&current, fields, expected)
    {
        return Err(ConnectorError::Conflict {
            entity: entity.to_string(),
            key: key.to_string(),
            current: Some(Box::new(current)),
        });
    }
    let nodes = record::encode_fields(entity, fields, &schema)?;
    match put(inner, entity, key, current.etag.as_deref(), &nodes, &schema).await? {
        PutOutcome::Done(record) => Ok(record),
        PutOutcome::Applied => fetch_one(inner, entity, key, fields, &schema).await,
        PutOutcome::Stale(latest) => Err(ConnectorError::Conflict {
            entity: entity.to_string(),
            key: key.to_string(),
            current: Some(Box::new(latest.unwrap_or(current))),
        }),
    }
}

/// Whether the CRM's current version holds, for a field being written, something other
/// than what the caller expected (its last agreed value): someone edited it in the CRM.
fn changed_in_crm(current: &CrmRecord, fields: &FieldValues, expected: &FieldValues) -> bool {
    fields.keys().any(|name| {
        let Some((_, wanted)) = expected.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) else {
            return false;
        };
        let mut one = FieldValues::new();
        one.insert(name.clone(), wanted.clone());
        !record::holds(current, &one)
    })
}

async fn put(
    inner: &Inner,
    entity: EntityKind,
    key: &str,
    etag: Option<&str>,
    nodes: &[(String, OutNode)],
    schema: &EntitySchema,
) -> ConnectorResult<PutOutcome> {
    put_row(inner, entity.into(), key, etag, nodes, schema)
        .await
        .map(|outcome| outcome.into_records(entity))
}

/// One PUT of `nodes` to the record `key` of any resource.
async fn put_row(
    inner: &Inner,
    of: Resource,
    key: &str,
    etag: Option<&str>,
    nodes: &[(String, OutNode)],
    schema: &EntitySchema,
) -> ConnectorResult<PutOutcome<Row>> {
    let entry = OutEntry {
        entity_name: of.element(),
        fields: nodes.to_vec(),
        batch_method: None,
        url: None,
        key: Some(key.to_string()),
        if_match: None,
    };
    let url = inner
        .client
        .endpoint
        .single(of.plural(), key, &[inner.format_param()])?;
    let mut request = inner.request(
        Method::PUT,
        url,
        of.plural(),
        inner.entry_body(&entry),
        true,
    );
    request.if_match = etag.map(str::to_string);
    let context = inner.context(of.as_str(), Some(key));
    let accept = |reply: &Reply| {
        if reply.status == StatusCode::PRECONDITION_FAILED {
            let current = response::conflict_entry(reply, &context)
                .and_then(|e| record::to_row(of, &e, schema).ok());
            return Ok(PutOutcome::Stale(current));
        }
        if reply.status.is_success() && reply.body.trim().is_empty() {
            return Ok(PutOutcome::Applied);
        }
        let entry = response::entry(reply, &context)?;
        record::to_row(of, &entry, schema)
            .map(PutOutcome::Done)
            .map_err(Rejection::Malformed)
    };
    inner
        .client
        .execute(&request, accept)
        .await
        .map_err(Failure::into_error)
}

/// Reads one record by key, with at least the given fields.
pub(crate) async fn fetch_one(
    inner: &Inner,
    entity: EntityKind,
    key: &str,
    fields: &FieldValues,
    schema: &EntitySchema,
) -> ConnectorResult<CrmRecord> {
    fetch_row(inner, entity.into(), key, fields, schema)
        .await
        .map(|row| row.into_record(entity))
}

/// Reads one record of any resource by key, with at least the given fields.
async fn fetch_row(
    inner: &Inner,
    of: Resource,
    key: &str,
    fields: &FieldValues,
    schema: &EntitySchema,
) -> ConnectorResult<Row> {
    let names: Vec<String> = fields.keys().cloned().collect();
    let mut params = Vec::new();
    if let Some(select) = read::select_param(of, &names, schema)? {
        params.push(("select", select));
    }
    params.push(inner.format_param());
    let url = inner.client.endpoint.single(of.plural(), key, &params)?;
    let request = Request::get(url, of.plural(), inner.accept());
    let context: Context = inner.context(of.as_str(), Some(key));
    let accept = |reply: &Reply| {
        let entry = response::entry(reply, &context)?;
        record::to_row(of, &entry, schema).map_err(Rejection::Malformed)
    };
    inner
        .client
        .execute(&request, accept)
        .await
        .map_err(Failure::into_error)
}

/// [`listbridge_connector::CrmConnector::update_source`] for the sources this connector
/// writes itself (opportunities): an unconditional partial PUT of `fields` (no
/// `If-Match`, which Infor CRM's dynamic adapter accepts), so only these fields change.
/// A 412 all the same (a server that compares versions regardless) is a
/// [`ConnectorError::Conflict`].
pub(crate) async fn update_source(
    inner: &Inner,
    source: SourceKind,
    key: &str,
    fields: &FieldValues,
) -> ConnectorResult<()> {
    let of = Resource::from(source);
    let schema = inner.schema(of).await?;
    let nodes = record::encode_fields(of, fields, &schema)?;
    match put_row(inner, of, key, None, &nodes, &schema).await? {
        PutOutcome::Done(_) | PutOutcome::Applied => Ok(()),
        PutOutcome::Stale(_) => Err(ConnectorError::Conflict {
            entity: of.to_string(),
            key: key.to_string(),
            current: None,
        }),
    }
}
