//! The fake CRM's data model: resource kinds, field definitions, values and records.
//!
//! Field definitions are static tables (see [`crate::schema`]); records store only the
//! fields that have a value, keyed by the canonical (`&'static str`) field name (see
//! [`Fields`]).

use chrono::{DateTime, NaiveDate, Utc};
pub use compact_str::CompactString;

pub use crate::fields::Fields;

/// A resource kind served under `/sdata/slx/dynamic/-/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `leads` (entity `Lead`).
    Lead,
    /// `leadAddresses` (entity `LeadAddress`), the single address of a lead.
    LeadAddress,
    /// `contacts` (entity `Contact`).
    Contact,
    /// `addresses` (entity `Address`), addresses of contacts and accounts.
    Address,
    /// `accounts` (entity `Account`).
    Account,
    /// `history` (entity `History`), the Notes/History tab.
    History,
    /// `opportunities` (entity `Opportunity`): a sale in progress or closed, the record
    /// offline conversions read their value from. It has no email.
    Opportunity,
    /// `opportunityContacts` (entity `OpportunityContact`): one person of an opportunity
    /// (its `Opportunity` and `Contact`, the `SalesRole`, and `IsPrimary` for the one
    /// the opportunity is chiefly with), so an opportunity's call reference or visitor id
    /// can be read from its primary contact as Infor CRM models it.
    OpportunityContact,
}

impl Kind {
    /// Every kind, in table order.
    pub const ALL: [Kind; 8] = [
        Kind::Lead,
        Kind::LeadAddress,
        Kind::Contact,
        Kind::Address,
        Kind::Account,
        Kind::History,
        Kind::Opportunity,
        Kind::OpportunityContact,
    ];

    /// The position of this kind's table in the store.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The static definition (names and fields) of this kind.
    pub fn def(self) -> &'static EntityDef {
        crate::schema::entity(self)
    }

    /// The URL path segment (`leads`), as Infor CRM spells it.
    pub fn plural(self) -> &'static str {
        self.def().plural
    }

    /// Resolves a URL path segment case-insensitively (`Leads`, `LEADADDRESSES`).
    pub fn from_plural(segment: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.plural().eq_ignore_ascii_case(segment))
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.plural())
    }
}

/// The XSD type of a field, and for references the related resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// `xs:string`.
    String,
    /// `xs:int`.
    Int,
    /// `xs:decimal`.
    Decimal,
    /// `xs:boolean`.
    Boolean,
    /// `xs:dateTime`.
    DateTime,
    /// `xs:date`.
    Date,
    /// A single related record, stored as its key.
    Reference {
        /// The related kind when the fake serves it (`Lead.Address` → `LeadAddress`).
        target: Option<Kind>,
        /// The resource kind clients look candidates up in (`owners`).
        lookup: &'static str,
    },
}

/// One property of an entity, as declared in `$schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    /// The property name (`FirstName`).
    pub name: &'static str,
    /// The value type.
    pub ty: FieldType,
    /// `sme:maxLength` for strings; longer writes are rejected.
    pub max_length: Option<u32>,
    /// `sme:isMandatory`: required when a record is created.
    pub mandatory: bool,
    /// `sme:isReadOnly`: maintained by the server, ignored in writes.
    pub read_only: bool,
    /// `sme:isCustom`: a customer-added field.
    pub custom: bool,
}

/// The static description of one entity.
#[derive(Debug)]
pub struct EntityDef {
    /// The kind this describes.
    pub kind: Kind,
    /// The payload element name (`Lead`).
    pub name: &'static str,
    /// The URL segment (`leads`).
    pub plural: &'static str,
    /// The XSD element name (`lead`), used in `$schema` fragments.
    pub schema_name: &'static str,
    /// The first character of generated keys (`Q` for leads).
    pub key_prefix: char,
    /// Every property, in schema order.
    pub fields: &'static [FieldDef],
}

impl EntityDef {
    /// Finds a field by exact name, falling back to a case-insensitive match.
    pub fn field(&self, name: &str) -> Option<&'static FieldDef> {
        self.fields.iter().find(|f| f.name == name).or_else(|| {
            self.fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(name))
        })
    }
}

/// A non-null field value. Nulls are the absence of a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text (also the key of a reference), held inline up to 24 bytes: most values of
    /// a record (names, keys, phone numbers, picklist values) then need no allocation
    /// of their own, which a million seeded leads notice.
    Text(CompactString),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Decimal(f64),
    /// A boolean.
    Bool(bool),
    /// A point in time (whole seconds in this fake).
    DateTime(DateTime<Utc>),
    /// A calendar date.
    Date(NaiveDate),
}

impl Value {
    /// The value as text, when it is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// One stored record of any kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The 12-character primary key (`QDEMOA000001`).
    pub key: String,
    /// The opaque concurrency token; changes on every write.
    pub etag: String,
    /// When the record was created (server-maintained).
    pub create_date: DateTime<Utc>,
    /// When the record was last changed (server-maintained, whole seconds).
    pub modify_date: DateTime<Utc>,
    /// Every non-null field by canonical name; references hold the related key.
    pub fields: Fields,
}

impl Record {
    /// A text field's value (`Email`), if set.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_text)
    }

    /// A field's value, if set.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }
}
