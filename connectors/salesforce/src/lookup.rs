//! Lookups by email and by Id: `Email IN (…)` / `Id IN (…)` in chunks bounded by
//! [`crate::SalesforceOptions::lookup_chunk`] and the URL length, both answered by
//! Salesforce's indexes.
//!
//! Emails compare case-insensitively in SOQL; the answers are filtered again here, so a
//! record is only returned when its email really is one asked for. Ids come in 15- or
//! 18-character form; both are normalised to 18 (the form records are keyed by).

use std::collections::HashSet;

use listbridge_connector::{ConnectorError, ConnectorResult, CrmRecord, EntityKind};

use crate::{
    connector::Inner,
    describe::sobject,
    id, query, record,
    select::{Selection, not_converted},
    soql,
};

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

/// Records of `entity` whose `field` is one of `values`, chunk by chunk.
async fn records_in(
    inner: &Inner,
    entity: EntityKind,
    field: &str,
    values: &[String],
    fields: &[String],
    extra: Option<&str>,
) -> ConnectorResult<Vec<CrmRecord>> {
    let schema = inner.schema(entity).await?;
    let selection = Selection::new(&schema, fields)?;
    let render = |chunk: &[String]| soql_in(entity, &selection, field, chunk, extra);
    let mut out = Vec::new();
    for chunk in query::chunks(
        values,
        inner.options.lookup_chunk,
        inner.options.max_url_length,
        render,
    ) {
        let rows = query::all(inner, &render(&chunk), sobject(entity)).await?;
        for row in &rows {
            out.push(record::from_json(&schema, &selection.fields, row)?);
        }
    }
    Ok(out)
}

/// [`listbridge_connector::CrmConnector::find_by_email`].
pub(crate) async fn find_by_email(
    inner: &Inner,
    entity: EntityKind,
    emails: &[String],
    fields: &[String],
) -> ConnectorResult<Vec<CrmRecord>> {
    let mut wanted = HashSet::new();
    let mut asked = Vec::new();
    for email in emails.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        if wanted.insert(email.to_lowercase()) {
            asked.push(email.to_string());
        }
    }
    if asked.is_empty() {
        return Ok(Vec::new());
    }
    let found = records_in(
        inner,
        entity,
        "Email",
        &asked,
        fields,
        not_converted(entity),
    )
    .await?;
    Ok(found
        .into_iter()
        .filter(|r| {
            r.fields
                .get("Email")
                .and_then(|v| v.as_deref())
                .is_some_and(|e| wanted.contains(&e.trim().to_lowercase()))
        })
        .collect())
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
    records_in(inner, entity, "Id", &ids, fields, None).await
}
