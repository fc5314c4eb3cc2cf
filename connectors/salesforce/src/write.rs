//! Single-record writes.
//!
//! **Create** (`POST sobjects/{Type}`) never creates twice: a POST is only sent again when
//! the failure proves it was not applied (connection refused, 429, 503, 401). When its
//! answer is lost (timeout, dropped connection, 5xx) the record is looked up by email
//! first and, if found, returned instead of posting again. Without an email nothing can
//! be looked up, so such a create is reported as a transient failure rather than risked
//! twice.
//!
//! **Update** (`PATCH sobjects/{Type}/{Id}`) sends only the given fields. Salesforce's
//! PATCH has no version check of its own; as the SDK asks for an update with an etag, the
//! given fields are written over the current version and the CRM's other edits are kept,
//! so an update never ends in a conflict here. A field the CRM changed is settled as a
//! conflict through `write_batch` with `expected` (see `batch`).

use std::future::Future;

use listbridge_connector::{ConnectorError, ConnectorResult, CrmRecord, EntityKind, FieldValues};
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value as Json;

use crate::{
    client::{Failure, Request},
    connector::Inner,
    describe::sobject,
    errors, lookup, record,
};
use listbridge_connector::retry;

/// The answer to a single create.
#[derive(Deserialize)]
struct Created {
    id: String,
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
    names: &[String],
) -> ConnectorResult<Option<CrmRecord>> {
    let found = lookup::find_by_email(inner, entity, &[email.to_string()], names).await?;
    Ok(found
        .into_iter()
        .max_by(|a, b| (a.modify_date, &a.key).cmp(&(b.modify_date, &b.key))))
}

/// The error of a create whose answer was lost and that cannot be checked.
fn lost(error: &ConnectorError) -> ConnectorError {
    ConnectorError::Transient {
        message: format!(
            "Salesforce's answer to a create was lost ({error}); it is not sent again so as not to create the record twice"
        ),
    }
}

/// Runs `post` so that it takes effect at most once: on an unknown outcome, `find` looks
/// for its result before it is sent again.
pub(crate) async fn post_once<T, P, PF, F, FF>(
    inner: &Inner,
    post: P,
    find: Option<F>,
) -> ConnectorResult<T>
where
    P: Fn() -> PF,
    PF: Future<Output = Result<T, Failure>>,
    F: Fn() -> FF,
    FF: Future<Output = ConnectorResult<Option<T>>>,
{
    let mut round = 1;
    loop {
        match post().await {
            Ok(value) => return Ok(value),
            Err(Failure::Final(error)) => return Err(error),
            Err(Failure::Unknown(error)) => {
                let Some(find) = &find else {
                    return Err(lost(&error));
                };
                // Give a slow server a moment to finish the first attempt before looking.
                let wait = inner
                    .client
                    .retry
                    .delay(round + 1, None, retry::jitter_sample())
                    .unwrap_or_default();
                tokio::time::sleep(wait).await;
                if let Some(found) = find().await? {
                    tracing::info!("a create whose answer was lost had been applied; not repeated");
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

/// The record `id` as Salesforce holds it now, with `names`.
pub(crate) async fn read_back(
    inner: &Inner,
    entity: EntityKind,
    id: &str,
    names: &[String],
) -> ConnectorResult<CrmRecord> {
    lookup::get_by_keys(inner, entity, &[id.to_string()], names)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ConnectorError::NotFound {
            entity: entity.to_string(),
            key: id.to_string(),
        })
}

/// [`listbridge_connector::CrmConnector::create`].
pub(crate) async fn create(
    inner: &Inner,
    entity: EntityKind,
    fields: &FieldValues,
) -> ConnectorResult<CrmRecord> {
    let schema = inner.schema(entity).await?;
    let body = Json::Object(record::to_json(&schema, fields)?);
    let url = inner
        .client
        .data_url(&format!("sobjects/{}", sobject(entity)))?;
    let request = Request::json(Method::POST, url, sobject(entity), &body);
    let names: Vec<String> = fields.keys().cloned().collect();
    let email = email_of(fields);
    let post = || async {
        let reply = inner.client.execute(&request).await?;
        if !reply.status.is_success() {
            return Err(Failure::Final(errors::answer_error(
                reply.status,
                &reply.body,
                entity.as_str(),
                "",
            )));
        }
        serde_json::from_str::<Created>(&reply.body)
            .ok()
            .and_then(|c| crate::id::to_18(&c.id))
            .ok_or_else(|| {
                Failure::Unknown(ConnectorError::Transient {
                    message: "Salesforce answered a create without a readable Id".into(),
                })
            })
    };
    let find = email.as_deref().map(|email| {
        let names = &names;
        move || async move {
            Ok(find_created(inner, entity, email, names)
                .await?
                .map(|r| r.key))
        }
    });
    let id = post_once(inner, post, find).await?;
    read_back(inner, entity, &id, &names).await
}

/// [`listbridge_connector::CrmConnector::update`].
pub(crate) async fn update(
    inner: &Inner,
    entity: EntityKind,
    key: &str,
    fields: &FieldValues,
) -> ConnectorResult<CrmRecord> {
    let id = crate::id::to_18(key).ok_or_else(|| ConnectorError::Invalid {
        message: format!("'{key}' is not a Salesforce Id"),
    })?;
    let schema = inner.schema(entity).await?;
    let body = Json::Object(record::to_json(&schema, fields)?);
    let names: Vec<String> = fields.keys().cloned().collect();
    if !body.as_object().is_some_and(|b| b.is_empty()) {
        let url = inner
            .client
            .data_url(&format!("sobjects/{}/{id}", sobject(entity)))?;
        let request = Request::json(Method::PATCH, url, sobject(entity), &body);
        inner
            .client
            .execute_ok(&request, entity.as_str(), &id)
            .await?;
    }
    read_back(inner, entity, &id, &names).await
}
