//! The served sObjects and their fields, as `describe` reports them and as writes and
//! SOQL check them. Field names and types follow Salesforce's standard Lead, Contact and
//! Task objects (Object Reference, API v62.0); `Score__c` and `CallReference__c` are
//! custom fields an org might add.

use serde::{Deserialize, Serialize};

/// The object types the fake serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SObject {
    /// `Lead` (key prefix `00Q`).
    Lead,
    /// `Contact` (key prefix `003`).
    Contact,
    /// `Task` (key prefix `00T`): activities such as "email sent" notes.
    Task,
}

/// Every served object, in a fixed order.
pub const ALL: [SObject; 3] = [SObject::Lead, SObject::Contact, SObject::Task];

impl SObject {
    /// The API name.
    pub fn name(self) -> &'static str {
        match self {
            SObject::Lead => "Lead",
            SObject::Contact => "Contact",
            SObject::Task => "Task",
        }
    }

    /// The plural label describe gives.
    pub fn label_plural(self) -> &'static str {
        match self {
            SObject::Lead => "Leads",
            SObject::Contact => "Contacts",
            SObject::Task => "Tasks",
        }
    }

    /// The 3-character key prefix of its Ids.
    pub fn prefix(self) -> &'static str {
        match self {
            SObject::Lead => "00Q",
            SObject::Contact => "003",
            SObject::Task => "00T",
        }
    }

    /// The object named `name`, compared case-insensitively as Salesforce does.
    pub fn from_name(name: &str) -> Option<SObject> {
        ALL.into_iter()
            .find(|o| o.name().eq_ignore_ascii_case(name))
    }

    /// The object whose Ids start with `prefix`.
    pub fn from_prefix(prefix: &str) -> Option<SObject> {
        ALL.into_iter().find(|o| o.prefix() == prefix)
    }

    /// Its fields; position 0 is always `Id`.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            SObject::Lead => LEAD,
            SObject::Contact => CONTACT,
            SObject::Task => TASK,
        }
    }

    /// The position of field `name` (case-insensitive).
    pub fn field_index(self, name: &str) -> Option<usize> {
        self.fields()
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The position of a field that the schema is known to have.
    pub fn idx(self, name: &str) -> usize {
        self.field_index(name).unwrap_or(0)
    }

    /// Whether records of this object have an `Email` field (and an email index).
    pub fn has_email(self) -> bool {
        self.field_index("Email").is_some()
    }
}

/// A field's type, named as describe names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// The record Id.
    Id,
    /// Text.
    String,
    /// An email address (validated on write, compared case-insensitively).
    Email,
    /// A phone number (free text).
    Phone,
    /// `true` / `false`.
    Boolean,
    /// An instant, kept to the second.
    DateTime,
    /// A calendar date.
    Date,
    /// A number.
    Double,
    /// A value from a list.
    Picklist,
    /// The Id of another record.
    Reference,
    /// Multi-line text.
    TextArea,
}

impl FieldType {
    /// Describe's `type`.
    pub fn describe_name(self) -> &'static str {
        match self {
            FieldType::Id => "id",
            FieldType::String => "string",
            FieldType::Email => "email",
            FieldType::Phone => "phone",
            FieldType::Boolean => "boolean",
            FieldType::DateTime => "datetime",
            FieldType::Date => "date",
            FieldType::Double => "double",
            FieldType::Picklist => "picklist",
            FieldType::Reference => "reference",
            FieldType::TextArea => "textarea",
        }
    }

    /// Describe's `soapType`.
    pub fn soap_type(self) -> &'static str {
        match self {
            FieldType::Id | FieldType::Reference => "tns:ID",
            FieldType::Boolean => "xsd:boolean",
            FieldType::DateTime => "xsd:dateTime",
            FieldType::Date => "xsd:date",
            FieldType::Double => "xsd:double",
            _ => "xsd:string",
        }
    }

    /// Whether values are text (compared case-insensitively, usable with `LIKE`).
    pub fn is_text(self) -> bool {
        matches!(
            self,
            FieldType::String
                | FieldType::Email
                | FieldType::Phone
                | FieldType::Picklist
                | FieldType::TextArea
        )
    }

    /// Whether values are record Ids.
    pub fn is_id(self) -> bool {
        matches!(self, FieldType::Id | FieldType::Reference)
    }
}

/// One field as describe reports it.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// API name.
    pub name: &'static str,
    /// Label for people (also used in some error messages).
    pub label: &'static str,
    /// Type.
    pub ftype: FieldType,
    /// Longest text in characters (0 for non-text).
    pub length: u32,
    /// Writable on create.
    pub createable: bool,
    /// Writable on update.
    pub updateable: bool,
    /// May be null.
    pub nillable: bool,
    /// Gets a value on create when none is given.
    pub default_on_create: Option<&'static str>,
    /// Added by the org (`__c`).
    pub custom: bool,
    /// Usable in a SOQL `WHERE` (long text areas are not).
    pub filterable: bool,
    /// The picklist's values.
    pub picklist: &'static [&'static str],
    /// What a reference may point to.
    pub reference_to: &'static [&'static str],
}

impl FieldSpec {
    /// A create without a value for this field is refused (`REQUIRED_FIELD_MISSING`).
    pub fn required(&self) -> bool {
        !self.nillable && self.createable && self.default_on_create.is_none()
    }
}

const fn text(name: &'static str, label: &'static str, length: u32) -> FieldSpec {
    FieldSpec {
        name,
        label,
        ftype: FieldType::String,
        length,
        createable: true,
        updateable: true,
        nillable: true,
        default_on_create: None,
        custom: false,
        filterable: true,
        picklist: &[],
        reference_to: &[],
    }
}

const fn typed(name: &'static str, label: &'static str, ftype: FieldType) -> FieldSpec {
    FieldSpec {
        ftype,
        ..text(name, label, 0)
    }
}

/// A field the server maintains: readable, never written by clients.
const fn system(name: &'static str, label: &'static str, ftype: FieldType) -> FieldSpec {
    FieldSpec {
        createable: false,
        updateable: false,
        nillable: false,
        ..typed(name, label, ftype)
    }
}

impl FieldSpec {
    const fn of(self, ftype: FieldType) -> FieldSpec {
        FieldSpec { ftype, ..self }
    }
    const fn required_text(self) -> FieldSpec {
        FieldSpec {
            nillable: false,
            ..self
        }
    }
    const fn defaulted(self, value: &'static str) -> FieldSpec {
        FieldSpec {
            nillable: false,
            default_on_create: Some(value),
            ..self
        }
    }
    const fn custom(self) -> FieldSpec {
        FieldSpec {
            custom: true,
            ..self
        }
    }
    const fn read_only(self) -> FieldSpec {
        FieldSpec {
            createable: false,
            updateable: false,
            ..self
        }
    }
    const fn picklist(self, values: &'static [&'static str]) -> FieldSpec {
        FieldSpec {
            ftype: FieldType::Picklist,
            picklist: values,
            ..self
        }
    }
    const fn refers(self, to: &'static [&'static str]) -> FieldSpec {
        FieldSpec {
            ftype: FieldType::Reference,
            length: 18,
            reference_to: to,
            ..self
        }
    }
    const fn unfilterable(self) -> FieldSpec {
        FieldSpec {
            filterable: false,
            ..self
        }
    }
}

/// The lead statuses of a default org.
pub const LEAD_STATUSES: &[&str] = &[
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
];

/// The lead sources of a default org.
pub const LEAD_SOURCES: &[&str] = &[
    "Web",
    "Phone Inquiry",
    "Partner Referral",
    "Purchased List",
    "Other",
];

const ID: FieldSpec = FieldSpec {
    length: 18,
    ..system("Id", "Record ID", FieldType::Id)
};

/// Audit fields every object has, in describe order.
macro_rules! audit {
    () => {
        [
            system("IsDeleted", "Deleted", FieldType::Boolean),
            system("CreatedDate", "Created Date", FieldType::DateTime),
            system(
                "LastModifiedDate",
                "Last Modified Date",
                FieldType::DateTime,
            ),
            system("SystemModstamp", "System Modstamp", FieldType::DateTime),
        ]
    };
}

const A: [FieldSpec; 4] = audit!();

static LEAD: &[FieldSpec] = &[
    ID,
    A[0],
    text("FirstName", "First Name", 40),
    text("LastName", "Last Name", 80).required_text(),
    text("Company", "Company", 255).required_text(),
    text("Email", "Email", 80).of(FieldType::Email),
    text("Phone", "Phone", 40).of(FieldType::Phone),
    text("Title", "Title", 128),
    text("Street", "Street", 255).of(FieldType::TextArea),
    text("City", "City", 40),
    text("State", "State/Province", 80),
    text("PostalCode", "Zip/Postal Code", 20),
    text("Country", "Country", 80),
    text("Status", "Status", 255)
        .picklist(LEAD_STATUSES)
        .defaulted("Open - Not Contacted"),
    text("LeadSource", "Lead Source", 255).picklist(LEAD_SOURCES),
    typed("HasOptedOutOfEmail", "Email Opt Out", FieldType::Boolean).defaulted("false"),
    system("IsConverted", "Converted", FieldType::Boolean),
    text("ConvertedContactId", "Converted Contact ID", 18)
        .refers(&["Contact"])
        .read_only(),
    text("ConvertedAccountId", "Converted Account ID", 18)
        .refers(&["Account"])
        .read_only(),
    typed("ConvertedDate", "Converted Date", FieldType::Date).read_only(),
    A[1],
    A[2],
    A[3],
    typed("Score__c", "Score", FieldType::Double).custom(),
    text("CallReference__c", "Call Reference", 32).custom(),
];

static CONTACT: &[FieldSpec] = &[
    ID,
    A[0],
    text("AccountId", "Account ID", 18).refers(&["Account"]),
    text("FirstName", "First Name", 40),
    text("LastName", "Last Name", 80).required_text(),
    text("Email", "Email", 80).of(FieldType::Email),
    text("Phone", "Business Phone", 40).of(FieldType::Phone),
    text("Title", "Title", 128),
    text("MailingStreet", "Mailing Street", 255).of(FieldType::TextArea),
    text("MailingCity", "Mailing City", 40),
    text("MailingState", "Mailing State/Province", 80),
    text("MailingPostalCode", "Mailing Zip/Postal Code", 20),
    text("MailingCountry", "Mailing Country", 80),
    text("LeadSource", "Lead Source", 255).picklist(LEAD_SOURCES),
    typed("HasOptedOutOfEmail", "Email Opt Out", FieldType::Boolean).defaulted("false"),
    A[1],
    A[2],
    A[3],
    typed("Score__c", "Score", FieldType::Double).custom(),
    text("CallReference__c", "Call Reference", 32).custom(),
];

/// Task statuses of a default org.
pub const TASK_STATUSES: &[&str] = &[
    "Not Started",
    "In Progress",
    "Completed",
    "Waiting on someone else",
    "Deferred",
];

static TASK: &[FieldSpec] = &[
    ID,
    text("WhoId", "Name ID", 18).refers(&["Contact", "Lead"]),
    text("Subject", "Subject", 255),
    typed("ActivityDate", "Due Date Only", FieldType::Date),
    text("Status", "Status", 255)
        .picklist(TASK_STATUSES)
        .defaulted("Not Started"),
    text("Priority", "Priority", 40)
        .picklist(&["High", "Normal", "Low"])
        .defaulted("Normal"),
    text("Description", "Description", 32_000)
        .of(FieldType::TextArea)
        .unfilterable(),
    A[0],
    A[1],
    A[2],
    A[3],
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_object_starts_with_id_and_has_the_audit_fields() {
        for o in ALL {
            assert_eq!(o.fields()[0].name, "Id");
            for f in [
                "IsDeleted",
                "CreatedDate",
                "LastModifiedDate",
                "SystemModstamp",
            ] {
                assert!(o.field_index(f).is_some(), "{} lacks {f}", o.name());
            }
            assert_eq!(SObject::from_prefix(o.prefix()), Some(o));
        }
        assert_eq!(SObject::from_name("lead"), Some(SObject::Lead));
        assert_eq!(SObject::Lead.field_index("email"), Some(5));
        assert!(SObject::Lead.fields()[3].required());
        assert!(!SObject::Task.fields()[4].required(), "Status is defaulted");
    }
}
