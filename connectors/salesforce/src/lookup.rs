//! Lookups by email and by Id, both answered by Salesforce's indexes.
//!
//! By email: `Email IN (…)` queries in chunks bounded by
//! [`crate::SalesforceOptions::lookup_chunk`] and the URL length, every chunk of every
//! entity asked sent together in Composite Batches ([`crate::composite`]). Emails compare
//! case-insensitively in SOQL; the answers are filtered again here, so a record is only
//! returned when its email really is one asked for.
//!
//! By Id: sObject Collections retrieve (`POST composite/sobjects/{Type}`), up to
//! [`MOST_IDS`] records a request. Ids come in 15- or 18-character form; both are
//! normalised to 18 (the form records are keyed by).

use std::collections::HashSet;

use listbridge_connector::{ConnectorError, ConnectorResult, CrmRecord, EmailLookup, EntityKind};
use reqwest::Method;
use serde_json::{Map, Value as Json, json};

use crate::{
    client::Request,
    composite,
    connector::Inner,
    describe::sobject,
    id, query, record,
    select::{Selection, not_converted},
    soql,
};

/// The most Ids one Collections retrieve takes (a POST; a GET holds about 800 in its URL).
pub(crate) const MOST_IDS: usize = 2000;

/// The SOQL of one chunk: `SELECT … FROM X WHERE {field} IN (…)`.
fn soql_in(
    entity: EntityKind,
    selection: &Selection,
    field: &str,
    values: &[String],
    extra: Option<&str>,
) -> String {
    let list: Vec<String> = values.iter().map(|v| soql::quote(v)).collect();
    let mut text = format!(
        "SELECT {} FROM {} WHERE {field} IN ({})",
        selection.columns(),
        sobject(entity),
        list.join(", ")
    );
    if let Some(extra) = extra {
        text.push_str(" AND ");
        text.push_str(extra);
    }
    text.push_str(" ORDER BY SystemModstamp, Id");
    text
}

/// [`listbridge_connector::CrmConnector::find_by_email`].
pub(crate) async fn find_by_email(
    inner: &Inner,
    entity: EntityKind,
    emails: &[String],
    fields: &[String],
) -> ConnectorResult<Vec<CrmRecord>> {
    let lookup = EmailLookup {
        entity,
        fields: fields.to_vec(),
    };
    let mut answers = find_by_email_in(inner, &[lookup], emails).await?;
    Ok(answers.pop().unwrap_or_default())
}

/// [`listbridge_connector::CrmConnector::find_by_email_in`]: every chunk of every entity
/// in as few Composite Batches as they fit.
pub(crate) async fn find_by_email_in(
    inner: &Inner,
    lookups: &[EmailLookup],
    emails: &[String],
) -> ConnectorResult<Vec<Vec<CrmRecord>>> {
    let mut wanted = HashSet::new();
    let mut asked = Vec::new();
    for email in emails.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        if wanted.insert(email.to_lowercase()) {
            asked.push(email.to_string());
        }
    }
    let mut answers: Vec<Vec<CrmRecord>> = vec![Vec::new(); lookups.len()];
    if asked.is_empty() {
        return Ok(answers);
    }
    let mut shapes = Vec::with_capacity(lookups.len());
    // Each query, and the lookup (index in `lookups`) it answers.
    let mut queries: Vec<composite::Query> = Vec::new();
    let mut owners: Vec<usize> = Vec::new();
    for (index, lookup) in lookups.iter().enumerate() {
        let schema = inner.schema(lookup.entity).await?;
        let selection = Selection::new(&schema, &lookup.fields)?;
        let extra = not_converted(lookup.entity);
        let render = |chunk: &[String]| soql_in(lookup.entity, &selection, "Email", chunk, extra);
        for chunk in query::chunks(
            &asked,
            inner.options.lookup_chunk,
            inner.options.max_url_length,
            render,
        ) {
            queries.push(composite::Query {
                soql: render(&chunk),
                sobject: sobject(lookup.entity),
            });
            owners.push(index);
        }
        shapes.push((schema, selection));
    }
    let rows = composite::queries(inner, &queries).await?;
    for (index, rows) in owners.iter().zip(rows) {
        let (schema, selection) = &shapes[*index];
        for row in &rows {
            let found = record::from_json(schema, &selection.fields, row)?;
            let asked_for = found
                .fields
                .get("Email")
                .and_then(|v| v.as_deref())
                .is_some_and(|e| wanted.contains(&e.trim().to_lowercase()));
            if asked_for {
                answers[*index].push(found);
            }
        }
    }
    Ok(answers)
}

/// [`listbridge_connector::CrmConnector::get_by_keys`].
pub(crate) async fn get_by_keys(
    inner: &Inner,
    entity: EntityKind,
    keys: &[String],
    fields: &[String],
) -> ConnectorResult<Vec<CrmRecord>> {
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    for key in keys {
        let id = id::to_18(key).ok_or_else(|| ConnectorError::Invalid {
            message: format!("'{key}' is not a Salesforce Id"),
        })?;
        if seen.insert(id.clone()) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let schema = inner.schema(entity).await?;
    let selection = Selection::new(&schema, fields)?;
    let columns = selection.column_names();
    let mut out = Vec::new();
    for chunk in ids.chunks(MOST_IDS) {
        for row in retrieve(inner, entity, chunk, &columns)
            .await?
            .iter()
            .flatten()
        {
            out.push(record::from_json(&schema, &selection.fields, row)?);
        }
    }
    Ok(out)
}

/// One Collections retrieve: an entry per Id, `None` for one that is gone.
async fn retrieve(
    inner: &Inner,
    entity: EntityKind,
    ids: &[String],
    columns: &[String],
) -> ConnectorResult<Vec<Option<Map<String, Json>>>> {
    let name = sobject(entity);
    let url = inner
        .client
        .data_url(&format!("composite/sobjects/{name}"))?;
    let body = json!({"ids": ids, "fields": columns});
    // A read, though a POST: safe to send again when its answer is lost.
    let request = Request {
        idempotent: true,
        ..Request::json(Method::POST, url, name, &body)
    };
    let reply = inner.client.execute_ok(&request, name, "").await?;
    match serde_json::from_str::<Vec<Option<Map<String, Json>>>>(&reply.body) {
        Ok(rows) if rows.len() == ids.len() => Ok(rows),
        Ok(rows) => Err(ConnectorError::Transient {
            message: format!(
                "Salesforce answered {} records for {} Ids asked",
                rows.len(),
                ids.len()
            ),
        }),
        Err(e) => Err(ConnectorError::Transient {
            message: format!("an unreadable sObject Collections answer: {e}"),
        }),
    }
}
