//! The CRM-neutral data model shared by connectors and the engine.

use std::{collections::BTreeMap, fmt, str::FromStr};

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::ConnectorResult;

/// Field values of one record, by CRM field name.
///
/// Values are canonical strings so that the engine can compare them across runs
/// without knowing CRM types: text as-is, booleans `true`/`false`, numbers in plain
/// decimal notation, date-times in RFC 3339 UTC (`2024-05-01T10:00:00Z`).
/// `None` is an explicit null (clear the field). Related single records use dotted
/// names (`Address.City`).
pub type FieldValues = BTreeMap<String, Option<String>>;

/// The kinds of CRM person records listbridge syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    /// A prospect not yet qualified (Infor CRM `Lead`).
    Lead,
    /// A person at a customer account (Infor CRM `Contact`).
    Contact,
}

impl EntityKind {
    /// The lowercase name used in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Lead => "lead",
            EntityKind::Contact => "contact",
        }
    }

    /// The other kind of person record: a lead list's members can end up linked to
    /// contacts (a converted lead, a push's match by email), and a contact list's to leads.
    pub fn other(self) -> EntityKind {
        match self {
            EntityKind::Lead => EntityKind::Contact,
            EntityKind::Contact => EntityKind::Lead,
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntityKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "lead" | "leads" => Ok(EntityKind::Lead),
            "contact" | "contacts" => Ok(EntityKind::Contact),
            other => Err(format!(
                "unknown entity '{other}': expected lead or contact"
            )),
        }
    }
}

/// The type of a CRM field, for validating values before they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Free text.
    Text,
    /// Whole number.
    Integer,
    /// Decimal number.
    Decimal,
    /// `true` / `false`.
    Boolean,
    /// Instant in time.
    DateTime,
    /// Calendar date.
    Date,
    /// A key of another record.
    Reference,
}

/// One field of a CRM entity as the CRM describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    /// The CRM's field name (dotted for related records: `Address.City`).
    pub name: String,
    /// A label for people.
    pub label: String,
    /// Value type.
    pub field_type: FieldType,
    /// Longest accepted text, when the CRM declares one.
    pub max_length: Option<u32>,
    /// A create without it is rejected by the CRM.
    pub required: bool,
    /// The CRM maintains it; writes are refused.
    pub read_only: bool,
    /// Added by the CRM's customer rather than shipped with the CRM.
    pub custom: bool,
}

impl FieldDef {
    /// The most common field: standard, optional, writable text with no declared
    /// length, labelled with its name. Describe other fields from it with struct update
    /// syntax (`FieldDef { read_only: true, ..FieldDef::text("CreateDate") }`).
    pub fn text(name: impl Into<String>) -> FieldDef {
        let name = name.into();
        FieldDef {
            label: name.clone(),
            name,
            field_type: FieldType::Text,
            max_length: None,
            required: false,
            read_only: false,
            custom: false,
        }
    }
}

/// A record read from or written to the CRM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrmRecord {
    /// Lead or contact.
    pub entity: EntityKind,
    /// The CRM's key (trimmed).
    pub key: String,
    /// Opaque version for conditional writes.
    pub etag: Option<String>,
    /// When the CRM last changed it.
    pub modify_date: Option<DateTime<Utc>>,
    /// The requested fields.
    pub fields: FieldValues,
}

impl CrmRecord {
    /// The keyset position of this record for incremental reads.
    pub fn watermark(&self) -> Option<Watermark> {
        self.modify_date.map(|modified| Watermark {
            modified,
            key: self.key.clone(),
        })
    }
}

/// A position in the (modify date, key) order, for incremental reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Watermark {
    /// Modify date of the last record covered.
    pub modified: DateTime<Utc>,
    /// Key of the last record covered among those sharing `modified`.
    pub key: String,
}

/// What to read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadQuery {
    /// Fields to return (the email field, key and modify date always come).
    pub fields: Vec<String>,
    /// Only records strictly after this position in (modify date, key) order.
    /// Callers that want an overlap move the watermark back themselves and de-duplicate.
    pub since: Option<Watermark>,
    /// Records per request; the connector's default when absent. The CRM may cap it.
    pub page_size: Option<u32>,
    /// Conditions every record read must meet (all of them: they combine with *and*,
    /// and with `since`). Empty reads everything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Filter>,
    /// The caller takes the records in any order: it stores them all before it relies
    /// on any position, and a read cut short starts over. A connector may then read a
    /// large table through the CRM's bulk export, in far fewer requests (Salesforce's
    /// Bulk API 2.0, whose results come in no promised order); its pages then say so
    /// ([`ReadPage::in_order`]). Only a read without `since` is ever served that way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub any_order: bool,
}

/// One condition on the records a read returns, in CRM-neutral terms.
///
/// Exists so that callers can narrow a read (a segment of leads, records of one owner,
/// opted-out people only) without writing the CRM's query language: each connector
/// renders filters into its own syntax, validating field names against the CRM's field
/// definitions and escaping values, so a value can never change the query's meaning.
///
/// Values are canonical strings as in [`FieldValues`] (`true`/`false`, plain decimals,
/// RFC 3339 instants, `YYYY-MM-DD` dates, a related record's key for a reference).
/// Text compares as the CRM compares it (Infor CRM: case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Filter {
    /// The field holds exactly this value.
    Equals {
        /// CRM field name (dotted for related records: `Address.City`).
        field: String,
        /// Canonical value.
        value: String,
    },
    /// The field holds one of these values (at least one value is required).
    In {
        /// CRM field name.
        field: String,
        /// Canonical values.
        values: Vec<String>,
    },
    /// The field has no value.
    IsNull {
        /// CRM field name.
        field: String,
    },
    /// The field has a value.
    NotNull {
        /// CRM field name.
        field: String,
    },
    /// Only records the CRM last changed strictly before this instant; with `since`
    /// it bounds an incremental read to a window.
    ModifiedBefore {
        /// Exclusive upper bound of the modify date.
        at: DateTime<Utc>,
    },
}

impl Filter {
    /// `field` equals `value`.
    pub fn equals(field: impl Into<String>, value: impl Into<String>) -> Filter {
        Filter::Equals {
            field: field.into(),
            value: value.into(),
        }
    }

    /// `field` is one of `values`.
    pub fn one_of<I, S>(field: impl Into<String>, values: I) -> Filter
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Filter::In {
            field: field.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }
}

/// One page of a read.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadPage {
    /// Records in (modify date, key) order, unless `in_order` is false.
    pub records: Vec<CrmRecord>,
    /// How many records the whole read matches, when the CRM says.
    pub total_results: Option<u64>,
    /// The records are in (modify date, key) order and come after every record of the
    /// pages before: a read can resume after this page's last record. False only for a
    /// read that asked for [`ReadQuery::any_order`] and was served by a bulk export.
    pub in_order: bool,
}

/// The stream of pages a read produces.
pub type RecordStream = BoxStream<'static, ConnectorResult<ReadPage>>;

/// A write in a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    /// Create a record.
    Create {
        /// Entity to create.
        entity: EntityKind,
        /// Its fields.
        fields: FieldValues,
    },
    /// Update only the given fields of a record.
    Update {
        /// Entity to update.
        entity: EntityKind,
        /// CRM key.
        key: String,
        /// Version read; `None` for an unconditional write.
        etag: Option<String>,
        /// Fields to change.
        fields: FieldValues,
        /// What the caller believes the CRM holds for these fields (the values both sides
        /// last agreed on). When the record moved on in the CRM and one of these fields
        /// changed there, the write is not applied: the outcome is
        /// [`crate::ConnectorError::Conflict`] with the CRM's current version, so the caller
        /// can settle the field by its conflict rule instead of overwriting a CRM edit.
        /// `None` writes the values whatever the CRM holds now.
        expected: Option<FieldValues>,
    },
}

/// The outcome of one write in a batch.
pub type WriteOutcome = ConnectorResult<CrmRecord>;

/// The person record a note belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteTarget {
    /// Lead or contact.
    pub entity: EntityKind,
    /// CRM key.
    pub key: String,
}

/// What a note records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// An email was sent (Infor CRM `atEMail`).
    EmailSent,
    /// A plain note (Infor CRM `atNote`).
    Note,
    /// A phone call, inbound or outbound, as the phone system reported it (Infor CRM
    /// `atPhoneCall`); the text carries direction, duration, outcome and recording.
    PhoneCall,
}

/// A history/notes record for a lead or contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// Whose history it goes to.
    pub target: NoteTarget,
    /// Kind of history entry.
    pub kind: NoteKind,
    /// The short "Regarding" line (the CRM may cap its length).
    pub regarding: String,
    /// The full text; connectors split it into capped and long forms as the CRM needs.
    pub text: String,
    /// When it happened.
    pub at: DateTime<Utc>,
}

/// The CRM user a connector logs in as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmUser {
    /// The CRM's user id (trimmed).
    pub id: String,
    /// Login name.
    pub user_name: String,
    /// Name for people.
    pub display_name: String,
}

/// One entity's part of a lookup by email across entities
/// ([`crate::CrmConnector::find_by_email_in`]): a person the list knows by email may be
/// a contact or a lead, and a CRM that runs several queries in one request answers both
/// at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailLookup {
    /// The entity searched.
    pub entity: EntityKind,
    /// The fields its records are returned with.
    pub fields: Vec<String>,
}

/// What a connector supports, so the engine can choose how to talk to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Writes per batch request; 1 when the CRM has no batch endpoint.
    pub batch_size: usize,
    /// Emails per lookup request.
    pub lookup_chunk: usize,
    /// Records a read page holds at most (the connector's page size): callers bound
    /// what they hold in records, not pages (100 for Infor CRM, 2,000 for Salesforce).
    pub read_page: usize,
    /// Members a push sends in one page: as many as the CRM's lookups, writes and
    /// read-backs serve in the fewest requests (200 for Infor CRM, whose `$batch` holds
    /// 200 writes; 2,000 for Salesforce, whose Composite Batch looks up 2,000 emails and
    /// whose Collections retrieve reads back 2,000 records in one request each).
    pub push_page: usize,
    /// Reads can be restricted to records modified since a watermark.
    pub incremental: bool,
    /// Notes/history records can be written.
    pub notes: bool,
    /// The longest note subject (the one-line "regarding") the CRM keeps, in
    /// characters; listbridge cuts a longer one itself, with an ellipsis.
    pub note_subject_max: usize,
}
