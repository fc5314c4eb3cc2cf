//! Conversion sources: the CRM records a sale is read from.
//!
//! Offline conversions read more than the people records a list syncs: a sale's value
//! usually lives on an opportunity (status, close date, actual amount). A
//! [`SourceKind`] names what an export reads, and [`crate::CrmConnector::read_source`]
//! streams it. Leads and contacts are read through the connector's ordinary reads, so a
//! connector only writes code for the kinds of its own (Infor CRM: opportunities).
//! Sources are a kind of their own rather than more [`EntityKind`]s because lists,
//! forms, matching and notes are about people; an opportunity has no email, no opt-out
//! and no list membership.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::{ConnectorError, ConnectorResult, CrmRecord, EntityKind};

/// What a conversion export reads from the CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// Leads, read as a list sync reads them.
    Lead,
    /// Contacts, read as a list sync reads them.
    Contact,
    /// Sales opportunities (Infor CRM `Opportunity`): status, close date, amounts.
    ///
    /// A connector may describe and read fields of the person an opportunity is with
    /// under a dotted name, as it does for a related single record: Infor CRM lists its
    /// primary contact's fields as `Contact.<Field>` (`Contact.CallReference`), so a rule
    /// can take a reference from the opportunity or from its contact. Such fields are
    /// read-only ([`crate::FieldDef::read_only`]) and cannot be filtered on.
    Opportunity,
}

impl SourceKind {
    /// Every kind, in the order the API lists them.
    pub const ALL: [SourceKind; 3] = [
        SourceKind::Lead,
        SourceKind::Contact,
        SourceKind::Opportunity,
    ];

    /// The lowercase name used in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Lead => "lead",
            SourceKind::Contact => "contact",
            SourceKind::Opportunity => "opportunity",
        }
    }

    /// The plural for people (`opportunities`), for messages.
    pub fn plural(self) -> &'static str {
        match self {
            SourceKind::Lead => "leads",
            SourceKind::Contact => "contacts",
            SourceKind::Opportunity => "opportunities",
        }
    }

    /// The people entity this source reads, when it is one.
    pub fn entity(self) -> Option<EntityKind> {
        match self {
            SourceKind::Lead => Some(EntityKind::Lead),
            SourceKind::Contact => Some(EntityKind::Contact),
            SourceKind::Opportunity => None,
        }
    }

    /// The error a connector answers for a source it cannot read.
    pub fn unsupported(self, connector_kind: &str) -> ConnectorError {
        ConnectorError::Invalid {
            message: format!(
                "the {connector_kind} connector cannot read {}",
                self.plural()
            ),
        }
    }
}

impl From<EntityKind> for SourceKind {
    fn from(entity: EntityKind) -> Self {
        match entity {
            EntityKind::Lead => SourceKind::Lead,
            EntityKind::Contact => SourceKind::Contact,
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SourceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "lead" | "leads" => Ok(SourceKind::Lead),
            "contact" | "contacts" => Ok(SourceKind::Contact),
            "opportunity" | "opportunities" => Ok(SourceKind::Opportunity),
            other => Err(format!(
                "unknown source '{other}': expected lead, contact or opportunity"
            )),
        }
    }
}

/// One record of a conversion source, as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRecord {
    /// What it was read from.
    pub source: SourceKind,
    /// The CRM's key (trimmed).
    pub key: String,
    /// When the CRM last changed it: the export's incremental position.
    pub modify_date: Option<DateTime<Utc>>,
    /// The requested fields, canonical strings as in [`crate::FieldValues`].
    pub fields: crate::FieldValues,
}

impl SourceRecord {
    /// The keyset position of this record for incremental reads.
    pub fn watermark(&self) -> Option<crate::Watermark> {
        self.modify_date.map(|modified| crate::Watermark {
            modified,
            key: self.key.clone(),
        })
    }
}

impl From<CrmRecord> for SourceRecord {
    fn from(record: CrmRecord) -> Self {
        SourceRecord {
            source: record.entity.into(),
            key: record.key,
            modify_date: record.modify_date,
            fields: record.fields,
        }
    }
}

/// The pages a source read produces, in (modify date, key) order.
pub type SourceStream = BoxStream<'static, ConnectorResult<Vec<SourceRecord>>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_plurals_parse() {
        for kind in SourceKind::ALL {
            assert_eq!(kind.as_str().parse::<SourceKind>(), Ok(kind));
        }
        assert_eq!(
            "Opportunities".parse::<SourceKind>(),
            Ok(SourceKind::Opportunity)
        );
        let err = "deal".parse::<SourceKind>().err().unwrap_or_default();
        assert!(err.contains("'deal'"), "{err}");
    }

    #[test]
    fn only_people_sources_have_an_entity() {
        assert_eq!(SourceKind::Lead.entity(), Some(EntityKind::Lead));
        assert_eq!(SourceKind::Contact.entity(), Some(EntityKind::Contact));
        assert_eq!(SourceKind::Opportunity.entity(), None);
        let message = SourceKind::Opportunity.unsupported("test-crm").to_string();
        assert!(message.contains("cannot read opportunities"), "{message}");
    }
}
