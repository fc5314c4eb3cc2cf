//! Converted leads, for list members to follow: `SELECT Id, SystemModstamp,
//! ConvertedContactId FROM Lead WHERE IsConverted = true AND <after the watermark> ORDER
//! BY SystemModstamp, Id`, page by page.
//!
//! Converting a lead stamps it (`SystemModstamp`) and names the contact it became
//! (`ConvertedContactId`); ordinary lead reads leave converted leads out
//! ([`crate::select::not_converted`]). Contacts are never converted, so a sweep of them
//! sends no request.

use std::sync::Arc;

use async_stream::try_stream;
use listbridge_connector::{ConnectorError, EntityKind, Moved, MovedStream, Watermark};
use serde_json::{Map, Value as Json};

use crate::{connector::Inner, query, record::parse_instant, soql};

/// The SOQL of a sweep of leads converted after `since`.
fn soql_of(since: &Watermark) -> Result<String, ConnectorError> {
    Ok(format!(
        "SELECT Id, SystemModstamp, ConvertedContactId FROM Lead \
         WHERE IsConverted = true AND {} ORDER BY SystemModstamp, Id",
        soql::after(since)?
    ))
}

/// One converted lead as a [`Moved`]; `None` for a lead converted without a contact
/// (Salesforce requires one, but an org's data may say otherwise: nothing to follow).
fn moved_of(record: &Map<String, Json>) -> Result<Option<Moved>, ConnectorError> {
    let text = |name: &str| record.get(name).and_then(Json::as_str);
    let key = text("Id")
        .and_then(crate::id::to_18)
        .ok_or_else(|| ConnectorError::Transient {
            message: "a converted Salesforce lead came without a readable Id".into(),
        })?;
    let modified = text("SystemModstamp")
        .and_then(parse_instant)
        .ok_or_else(|| ConnectorError::Transient {
            message: format!("converted Salesforce lead {key} came without a SystemModstamp"),
        })?;
    Ok(text("ConvertedContactId")
        .and_then(crate::id::to_18)
        .map(|to_key| Moved {
            entity: EntityKind::Lead,
            key: key.clone(),
            to_entity: EntityKind::Contact,
            to_key,
            at: Watermark { modified, key },
        }))
}

/// [`listbridge_connector::CrmConnector::moved`].
pub(crate) fn moved(inner: Arc<Inner>, entity: EntityKind, since: Watermark) -> MovedStream {
    Box::pin(try_stream! {
        if entity == EntityKind::Lead {
            let url = query::first_url(&inner, &soql_of(&since)?)?;
            let batch = Some(inner.page_size);
            for await page in query::pages(Arc::clone(&inner), url, "Lead", batch) {
                let mut moves = Vec::new();
                for record in &page?.records {
                    moves.extend(moved_of(record)?);
                }
                yield moves;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_converted_leads_after_the_watermark() {
        let since = Watermark {
            modified: chrono::DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z")
                .map(|t| t.to_utc())
                .unwrap_or_else(|e| panic!("{e}")),
            key: "00Q000000000001".into(),
        };
        assert_eq!(
            soql_of(&since).unwrap_or_else(|e| panic!("{e}")),
            "SELECT Id, SystemModstamp, ConvertedContactId FROM Lead WHERE IsConverted = true \
             AND (SystemModstamp > 2026-12-01T09:00:00Z OR (SystemModstamp = 2026-12-01T09:00:00Z \
             AND Id > '00Q000000000001EAA')) ORDER BY SystemModstamp, Id"
        );
    }

    #[test]
    fn a_converted_lead_names_the_contact_it_became() {
        let record: Map<String, Json> = serde_json::from_str(
            r#"{"Id":"00Q000000000001","SystemModstamp":"2026-12-05T10:15:30.000+0000",
                "ConvertedContactId":"003000000000002"}"#,
        )
        .unwrap_or_default();
        let moved = moved_of(&record)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no move"));
        assert_eq!(moved.key, "00Q000000000001EAA");
        assert_eq!(moved.to_entity, EntityKind::Contact);
        assert_eq!(moved.to_key, "003000000000002AAA");
        assert_eq!(moved.at.key, moved.key);
        let without: Map<String, Json> = serde_json::from_str(
            r#"{"Id":"00Q000000000001","SystemModstamp":"2026-12-05T10:15:30.000+0000",
                "ConvertedContactId":null}"#,
        )
        .unwrap_or_default();
        assert_eq!(moved_of(&without).unwrap_or_else(|e| panic!("{e}")), None);
    }
}
