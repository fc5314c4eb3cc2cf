//! Incremental reads: one SOQL query in (SystemModstamp, Id) keyset order after the
//! watermark, its pages followed by `nextRecordsUrl`.
//!
//! `SELECT … FROM Lead WHERE (SystemModstamp > X OR (SystemModstamp = X AND Id > 'Y'))
//! AND IsConverted = false [AND filters] ORDER BY SystemModstamp, Id`: records sharing one
//! modstamp (a mass update) are neither skipped nor repeated, and Salesforce reads the
//! (SystemModstamp, Id) index from the watermark on.

use std::sync::Arc;

use async_stream::try_stream;
use listbridge_connector::{ConnectorError, EntityKind, ReadPage, ReadQuery, RecordStream};

use crate::{
    bulk,
    connector::Inner,
    describe::{Schema, sobject},
    query, record,
    select::{Selection, not_converted},
    soql,
};

/// The conditions of a read: after its watermark, converted leads left out, its filters.
fn conditions(schema: &Schema, q: &ReadQuery) -> Result<Vec<String>, ConnectorError> {
    let mut conditions = Vec::new();
    if let Some(since) = &q.since {
        conditions.push(soql::after(since)?);
    }
    conditions.extend(not_converted(schema.entity).map(str::to_string));
    for filter in &q.filters {
        conditions.push(soql::condition(schema, filter)?);
    }
    Ok(conditions)
}

/// `SELECT {select} FROM … [WHERE …]` of a read, without an order.
fn unordered(schema: &Schema, select: &str, q: &ReadQuery) -> Result<String, ConnectorError> {
    let conditions = conditions(schema, q)?;
    let mut text = format!("SELECT {select} FROM {}", sobject(schema.entity));
    if !conditions.is_empty() {
        text.push_str(" WHERE ");
        text.push_str(&conditions.join(" AND "));
    }
    Ok(text)
}

/// The SOQL of a read.
pub(crate) fn soql_of(
    schema: &Schema,
    selection: &Selection,
    q: &ReadQuery,
) -> Result<String, ConnectorError> {
    let mut text = unordered(schema, &selection.columns(), q)?;
    text.push_str(" ORDER BY SystemModstamp, Id");
    Ok(text)
}

/// [`listbridge_connector::CrmConnector::read`]: the keyset query, or a Bulk API 2.0 job
/// for a large table read in any order ([`crate::bulk`]).
pub(crate) fn read(inner: Arc<Inner>, entity: EntityKind, q: ReadQuery) -> RecordStream {
    Box::pin(try_stream! {
        let schema = inner.schema(entity).await?;
        let selection = Selection::new(&schema, &q.fields)?;
        let page_size = q.page_size.unwrap_or(inner.page_size);
        let name = sobject(entity);
        let large = if q.any_order && q.since.is_none() {
            let counted = bulk::count(&inner, &unordered(&schema, "COUNT()", &q)?, name).await?;
            counted >= inner.options.bulk.threshold
        } else {
            false
        };
        if large {
            let text = unordered(&schema, &selection.columns(), &q)?;
            let size = usize::try_from(page_size).unwrap_or(usize::MAX);
            for await page in bulk::read(Arc::clone(&inner), Arc::clone(&schema), selection, text, size) {
                yield page?;
            }
        } else {
            let text = soql_of(&schema, &selection, &q)?;
            let url = query::first_url(&inner, &text)?;
            for await page in query::pages(Arc::clone(&inner), url, name, Some(page_size)) {
                let page = page?;
                let records = page
                    .records
                    .iter()
                    .map(|r| record::from_json(&schema, &selection.fields, r))
                    .collect::<Result<Vec<_>, _>>()?;
                yield ReadPage { records, total_results: Some(page.total_size), in_order: true };
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use listbridge_connector::{FieldDef, Filter, Watermark};

    /// A watermark at 09:00 UTC on 1 December 2026 with `key`.
    fn nine_am(key: &str) -> Watermark {
        Watermark {
            modified: chrono::DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z")
                .map(|t| t.to_utc())
                .unwrap_or_else(|e| panic!("{e}")),
            key: key.to_string(),
        }
    }

    #[test]
    fn reads_page_by_the_keyset_after_the_watermark() {
        let schema = Schema {
            entity: EntityKind::Lead,
            fields: vec![FieldDef::text("Email"), FieldDef::text("LastName")],
        };
        let selection =
            Selection::new(&schema, &["lastname".into()]).unwrap_or_else(|e| panic!("{e}"));
        let q = ReadQuery {
            since: Some(nine_am("00Q000000000001")),
            filters: vec![Filter::equals("LastName", "O'Brien")],
            ..ReadQuery::default()
        };
        let text = soql_of(&schema, &selection, &q).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            text,
            "SELECT Id, SystemModstamp, LastName, Email FROM Lead WHERE \
             (SystemModstamp > 2026-12-01T09:00:00Z OR (SystemModstamp = 2026-12-01T09:00:00Z AND Id > '00Q000000000001EAA')) \
             AND IsConverted = false AND LastName = 'O\\'Brien' ORDER BY SystemModstamp, Id"
        );
    }

    #[test]
    fn an_overlap_without_a_key_reads_the_whole_instant() {
        let schema = Schema {
            entity: EntityKind::Contact,
            fields: vec![FieldDef::text("Email")],
        };
        let selection = Selection::new(&schema, &[]).unwrap_or_else(|e| panic!("{e}"));
        let q = ReadQuery {
            since: Some(nine_am("")),
            ..ReadQuery::default()
        };
        let text = soql_of(&schema, &selection, &q).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            text,
            "SELECT Id, SystemModstamp, Email FROM Contact WHERE \
             SystemModstamp >= 2026-12-01T09:00:00Z ORDER BY SystemModstamp, Id"
        );
    }
}
