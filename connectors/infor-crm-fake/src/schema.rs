//! The static entity definitions (Infor CRM 7.5-style fields plus the fake's custom fields:
//! `LeadScore`, `Region`, `Newsletter` on people, and the conversion fields `CallReference`,
//! `VisitorId`, `MarketingSource` on leads, contacts and opportunities).

use crate::model::{EntityDef, FieldDef, FieldType, Kind};

const fn field(name: &'static str, ty: FieldType, max_length: Option<u32>) -> FieldDef {
    FieldDef {
        name,
        ty,
        max_length,
        mandatory: false,
        read_only: false,
        custom: false,
    }
}
const fn s(name: &'static str, max: u32) -> FieldDef {
    field(name, FieldType::String, Some(max))
}
const fn memo(name: &'static str) -> FieldDef {
    field(name, FieldType::String, None)
}
const fn int(name: &'static str) -> FieldDef {
    field(name, FieldType::Int, None)
}
const fn dec(name: &'static str) -> FieldDef {
    field(name, FieldType::Decimal, None)
}
const fn boolean(name: &'static str) -> FieldDef {
    field(name, FieldType::Boolean, None)
}
const fn dt(name: &'static str) -> FieldDef {
    field(name, FieldType::DateTime, None)
}
const fn reference(name: &'static str, target: Option<Kind>, lookup: &'static str) -> FieldDef {
    field(name, FieldType::Reference { target, lookup }, None)
}
const fn mandatory(f: FieldDef) -> FieldDef {
    FieldDef {
        mandatory: true,
        ..f
    }
}
const fn ro(f: FieldDef) -> FieldDef {
    FieldDef {
        read_only: true,
        ..f
    }
}
const fn custom(f: FieldDef) -> FieldDef {
    FieldDef { custom: true, ..f }
}

/// Server-maintained audit fields every entity has.
const AUDIT: [FieldDef; 4] = [
    ro(dt("CreateDate")),
    ro(s("CreateUser", 12)),
    ro(dt("ModifyDate")),
    ro(s("ModifyUser", 12)),
];

static LEAD_FIELDS: [FieldDef; 51] = [
    s("FirstName", 32),
    s("MiddleName", 32),
    mandatory(s("LastName", 32)),
    ro(s("LastNameUpper", 32)),
    s("Prefix", 32),
    s("Suffix", 32),
    s("Title", 64),
    mandatory(s("Company", 128)),
    ro(s("CompanyUpper", 128)),
    s("Email", 128),
    s("WorkPhone", 32),
    s("Mobile", 32),
    s("HomePhone", 32),
    s("TollFree", 32),
    s("Fax", 32),
    s("WebAddress", 128),
    s("Industry", 64),
    s("SICCode", 64),
    s("Interests", 255),
    s("BusinessDescription", 2000),
    memo("Notes"),
    s("Status", 64),
    s("Type", 64),
    s("Priority", 64),
    dec("Revenue"),
    int("Employees"),
    boolean("DoNotEmail"),
    boolean("DoNotSolicit"),
    boolean("DoNotMail"),
    boolean("DoNotPhone"),
    boolean("DoNotFAX"),
    boolean("IsPrimary"),
    s("ImportSource", 24),
    AUDIT[0],
    AUDIT[1],
    AUDIT[2],
    AUDIT[3],
    ro(s("LeadNameLastFirst", 128)),
    ro(s("LeadNameFirstLast", 128)),
    ro(s("LeadFullName", 128)),
    reference("Address", Some(Kind::LeadAddress), "leadAddresses"),
    reference("LeadSource", None, "leadsources"),
    reference("Owner", None, "owners"),
    reference("AccountManager", None, "users"),
    reference("QualificationCategory", None, "qualificationCategories"),
    custom(int("LeadScore")),
    custom(s("Region", 32)),
    custom(boolean("Newsletter")),
    custom(s("CallReference", 32)),
    custom(s("VisitorId", 64)),
    custom(s("MarketingSource", 64)),
];

static CONTACT_FIELDS: [FieldDef; 42] = [
    s("FirstName", 32),
    mandatory(s("LastName", 32)),
    ro(s("LastNameUpper", 32)),
    s("MiddleName", 32),
    s("Prefix", 32),
    s("Suffix", 32),
    s("Title", 64),
    s("Email", 128),
    s("SecondaryEmail", 128),
    s("Email3", 128),
    s("WorkPhone", 32),
    s("Mobile", 32),
    s("HomePhone", 32),
    s("Fax", 32),
    s("WebAddress", 128),
    s("AccountName", 128),
    s("Status", 64),
    s("Type", 64),
    boolean("DoNotEmail"),
    boolean("DoNotFax"),
    boolean("DoNotMail"),
    boolean("DoNotPhone"),
    boolean("DoNotSolicit"),
    dt("LastHistoryDate"),
    ro(s("NameLF", 128)),
    ro(s("Name", 128)),
    ro(s("FullName", 128)),
    AUDIT[0],
    AUDIT[1],
    AUDIT[2],
    AUDIT[3],
    reference("Account", Some(Kind::Account), "accounts"),
    reference("Address", Some(Kind::Address), "addresses"),
    reference("ShippingAddress", Some(Kind::Address), "addresses"),
    reference("Owner", None, "owners"),
    reference("AccountManager", None, "users"),
    custom(int("LeadScore")),
    custom(s("Region", 32)),
    custom(boolean("Newsletter")),
    custom(s("CallReference", 32)),
    custom(s("VisitorId", 64)),
    custom(s("MarketingSource", 64)),
];

static ACCOUNT_FIELDS: [FieldDef; 24] = [
    mandatory(s("AccountName", 128)),
    ro(s("AccountNameUpper", 128)),
    s("MainPhone", 32),
    s("Fax", 32),
    s("TollFree", 32),
    s("Email", 128),
    s("WebAddress", 128),
    s("Type", 64),
    s("SubType", 64),
    s("Status", 64),
    s("Industry", 64),
    s("BusinessDescription", 2000),
    memo("Notes"),
    s("Description", 2000),
    dec("Revenue"),
    int("Employees"),
    AUDIT[0],
    AUDIT[1],
    AUDIT[2],
    AUDIT[3],
    reference("Address", Some(Kind::Address), "addresses"),
    reference("Owner", None, "owners"),
    reference("AccountManager", None, "users"),
    reference("LeadSource", None, "leadsources"),
];

static LEAD_ADDRESS_FIELDS: [FieldDef; 21] = [
    s("Address1", 64),
    s("Address2", 64),
    s("Address3", 64),
    s("Address4", 64),
    s("City", 32),
    s("State", 32),
    s("PostalCode", 24),
    s("Country", 32),
    s("County", 32),
    s("Description", 64),
    boolean("IsPrimary"),
    boolean("IsMailing"),
    s("Salutation", 64),
    s("TimeZone", 64),
    s("Type", 64),
    ro(s("LeadId", 12)),
    ro(s("FullAddress", 512)),
    AUDIT[0],
    AUDIT[1],
    AUDIT[2],
    AUDIT[3],
];

static ADDRESS_FIELDS: [FieldDef; 23] = [
    s("Address1", 64),
    s("Address2", 64),
    s("Address3", 64),
    s("Address4", 64),
    s("City", 32),
    s("State", 32),
    s("PostalCode", 24),
    s("Country", 32),
    s("County", 32),
    s("Description", 64),
    s("EntityId", 12),
    boolean("IsPrimary"),
    boolean("IsMailing"),
    s("Salutation", 64),
    s("TimeZone", 64),
    s("Type", 64),
    ro(s("CityStateZip", 128)),
    ro(s("StreetAddress", 256)),
    ro(s("FullAddress", 512)),
    AUDIT[0],
    AUDIT[1],
    AUDIT[2],
    AUDIT[3],
];

static HISTORY_FIELDS: [FieldDef; 36] = [
    s("Type", 64),
    s("Category", 64),
    s("Description", 64),
    s("Notes", 255),
    memo("LongNotes"),
    dt("StartDate"),
    dt("CompletedDate"),
    dt("OriginalDate"),
    int("Duration"),
    boolean("Timeless"),
    s("Priority", 64),
    s("Result", 64),
    s("ResultCode", 8),
    s("AccountId", 12),
    s("AccountName", 128),
    s("ContactId", 12),
    s("ContactName", 128),
    s("LeadId", 12),
    s("LeadName", 128),
    s("OpportunityId", 12),
    s("OpportunityName", 128),
    s("TicketId", 12),
    s("TicketNumber", 32),
    s("UserId", 12),
    s("UserName", 64),
    s("CompletedUser", 12),
    s("ActivityId", 12),
    boolean("Attachment"),
    int("AttachmentCount"),
    s("UserDef1", 64),
    s("UserDef2", 64),
    s("UserDef3", 64),
    AUDIT[0],
    AUDIT[1],
    AUDIT[2],
    AUDIT[3],
];

/// Infor CRM's `Opportunity` (SalesLogix `OPPORTUNITY`), as Infor CRM Mobile selects it:
/// the name (`Description`), status and stage, the close dates, the potential and actual
/// amounts in the opportunity's currency (`ExchangeRateCode`, with the rate to the base
/// currency), the account it is sold to, and the fake's custom conversion fields.
static OPPORTUNITY_FIELDS: [FieldDef; 30] = [
    mandatory(s("Description", 64)),
    s("Status", 64),
    s("Stage", 64),
    s("Type", 64),
    s("Reason", 64),
    int("CloseProbability"),
    dt("EstimatedClose"),
    dt("ActualClose"),
    dec("SalesPotential"),
    dec("ActualAmount"),
    ro(dec("Weighted")),
    s("ExchangeRateCode", 3),
    dec("ExchangeRate"),
    dt("ExchangeRateDate"),
    boolean("ExchangeRateLocked"),
    memo("Notes"),
    ro(boolean("Closed")),
    AUDIT[0],
    AUDIT[1],
    AUDIT[2],
    AUDIT[3],
    reference("Account", Some(Kind::Account), "accounts"),
    reference("Reseller", Some(Kind::Account), "accounts"),
    reference("LeadSource", None, "leadsources"),
    reference("Owner", None, "owners"),
    reference("AccountManager", None, "users"),
    reference("Campaign", None, "campaigns"),
    custom(s("CallReference", 32)),
    custom(s("VisitorId", 64)),
    custom(s("MarketingSource", 64)),
];

/// Infor CRM's `OpportunityContact` (SalesLogix `OPPORTUNITY_CONTACT`): the link between
/// an opportunity and one of its contacts, as Infor CRM Mobile reads and edits it
/// (`opportunityContacts`: `Opportunity` and `Contact` references, `IsPrimary`,
/// `SalesRole`, `Standing`, `PersonalBenefits`, `Strategy`, `Issues`, `Notes`). Both references
/// are required: a link without either end means nothing.
static OPPORTUNITY_CONTACT_FIELDS: [FieldDef; 13] = [
    mandatory(reference(
        "Opportunity",
        Some(Kind::Opportunity),
        "opportunities",
    )),
    mandatory(reference("Contact", Some(Kind::Contact), "contacts")),
    boolean("IsPrimary"),
    s("SalesRole", 64),
    s("Standing", 64),
    s("PersonalBenefits", 255),
    memo("Strategy"),
    memo("Issues"),
    memo("Notes"),
    AUDIT[0],
    AUDIT[1],
    AUDIT[2],
    AUDIT[3],
];

static ENTITIES: [EntityDef; 8] = [
    EntityDef {
        kind: Kind::Lead,
        name: "Lead",
        plural: "leads",
        schema_name: "lead",
        key_prefix: 'Q',
        fields: &LEAD_FIELDS,
    },
    EntityDef {
        kind: Kind::LeadAddress,
        name: "LeadAddress",
        plural: "leadAddresses",
        schema_name: "leadAddress",
        key_prefix: 'q',
        fields: &LEAD_ADDRESS_FIELDS,
    },
    EntityDef {
        kind: Kind::Contact,
        name: "Contact",
        plural: "contacts",
        schema_name: "contact",
        key_prefix: 'C',
        fields: &CONTACT_FIELDS,
    },
    EntityDef {
        kind: Kind::Address,
        name: "Address",
        plural: "addresses",
        schema_name: "address",
        key_prefix: 'a',
        fields: &ADDRESS_FIELDS,
    },
    EntityDef {
        kind: Kind::Account,
        name: "Account",
        plural: "accounts",
        schema_name: "account",
        key_prefix: 'A',
        fields: &ACCOUNT_FIELDS,
    },
    EntityDef {
        kind: Kind::History,
        name: "History",
        plural: "history",
        schema_name: "history",
        key_prefix: 'h',
        fields: &HISTORY_FIELDS,
    },
    EntityDef {
        kind: Kind::Opportunity,
        name: "Opportunity",
        plural: "opportunities",
        schema_name: "opportunity",
        key_prefix: 'O',
        fields: &OPPORTUNITY_FIELDS,
    },
    EntityDef {
        kind: Kind::OpportunityContact,
        name: "OpportunityContact",
        plural: "opportunityContacts",
        schema_name: "opportunityContact",
        key_prefix: 'o',
        fields: &OPPORTUNITY_CONTACT_FIELDS,
    },
];

/// The definition of one kind.
pub(crate) fn entity(kind: Kind) -> &'static EntityDef {
    &ENTITIES[kind.index()]
}

/// History `Type` names and their database values (SalesLogix `HistoryType` enum).
pub const HISTORY_TYPES: [(&str, i64); 13] = [
    ("atInternal", 0),
    ("atAppointment", 262145),
    ("atPhoneCall", 262146),
    ("atToDo", 262147),
    ("atNote", 262148),
    ("atQuestion", 262149),
    ("atDoc", 262153),
    ("atEMail", 262154),
    ("atFax", 262155),
    ("atDatabaseChange", 262156),
    ("atPersonal", 262162),
    ("atLiterature", 262163),
    ("atStop", 262164),
];

/// Normalises a History `Type` given by name (any case) or by number to its name.
pub fn history_type_name(value: &str) -> Option<&'static str> {
    let value = value.trim();
    HISTORY_TYPES
        .iter()
        .find(|(name, code)| name.eq_ignore_ascii_case(value) || code.to_string() == value)
        .map(|(name, _)| *name)
}

/// A human label from a property name: `FirstName` → `First Name`.
pub(crate) fn label_of(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let chars: Vec<char> = name.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let boundary = i > 0
            && c.is_ascii_uppercase()
            && (chars[i - 1].is_ascii_lowercase()
                || chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()));
        if boundary {
            out.push(' ');
        }
        out.push(*c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entity_is_at_its_kind_index_and_has_unique_fields() {
        for kind in Kind::ALL {
            let def = entity(kind);
            assert_eq!(def.kind, kind);
            let mut names: Vec<_> = def.fields.iter().map(|f| f.name).collect();
            names.sort_unstable();
            let len = names.len();
            names.dedup();
            assert_eq!(names.len(), len, "duplicate field in {}", def.name);
        }
    }

    #[test]
    fn key_prefixes_are_unique_so_keys_name_their_kind() {
        let mut prefixes: Vec<char> = Kind::ALL.iter().map(|k| entity(*k).key_prefix).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        assert_eq!(prefixes.len(), Kind::ALL.len());
    }

    #[test]
    fn opportunities_carry_amounts_and_the_conversion_fields_but_no_email() {
        let def = entity(Kind::Opportunity);
        assert_eq!((def.name, def.plural), ("Opportunity", "opportunities"));
        let f = |name: &str| def.field(name).map(|f| (f.ty, f.max_length));
        assert_eq!(
            def.field("Description")
                .map(|f| (f.max_length, f.mandatory)),
            Some((Some(64), true))
        );
        assert_eq!(f("ActualAmount"), Some((FieldType::Decimal, None)));
        assert_eq!(f("SalesPotential"), Some((FieldType::Decimal, None)));
        assert_eq!(f("ExchangeRateCode"), Some((FieldType::String, Some(3))));
        assert_eq!(f("CloseProbability"), Some((FieldType::Int, None)));
        assert_eq!(f("ActualClose"), Some((FieldType::DateTime, None)));
        assert!(matches!(
            f("Account"),
            Some((
                FieldType::Reference {
                    target: Some(Kind::Account),
                    ..
                },
                None
            ))
        ));
        assert!(
            def.field("Email").is_none(),
            "the email index has nothing to list"
        );
        assert!(def.field("Weighted").is_some_and(|f| f.read_only));
        for kind in [Kind::Lead, Kind::Contact, Kind::Opportunity] {
            for (name, max) in [
                ("CallReference", 32),
                ("VisitorId", 64),
                ("MarketingSource", 64),
            ] {
                let field = entity(kind).field(name);
                assert!(
                    field.is_some_and(|f| f.custom && f.max_length == Some(max)),
                    "{kind}.{name}"
                );
            }
        }
    }

    #[test]
    fn opportunity_contacts_link_an_opportunity_to_a_contact() {
        let def = entity(Kind::OpportunityContact);
        assert_eq!(
            (def.name, def.plural, def.schema_name),
            (
                "OpportunityContact",
                "opportunityContacts",
                "opportunityContact"
            )
        );
        for (name, target) in [
            ("Opportunity", Kind::Opportunity),
            ("Contact", Kind::Contact),
        ] {
            assert!(
                def.field(name).is_some_and(|f| f.mandatory
                    && f.ty
                        == FieldType::Reference {
                            target: Some(target),
                            lookup: target.plural(),
                        }),
                "{name}"
            );
        }
        assert_eq!(
            def.field("IsPrimary").map(|f| f.ty),
            Some(FieldType::Boolean)
        );
        assert_eq!(
            def.field("SalesRole").map(|f| (f.ty, f.max_length)),
            Some((FieldType::String, Some(64)))
        );
        assert!(def.field("Notes").is_some());
        assert!(def.field("ModifyDate").is_some_and(|f| f.read_only));
        assert!(def.field("Email").is_none(), "a link has no email");
        assert_eq!(
            Kind::from_plural("OPPORTUNITYCONTACTS"),
            Some(Kind::OpportunityContact)
        );
    }

    #[test]
    fn labels_split_camel_case() {
        assert_eq!(label_of("FirstName"), "First Name");
        assert_eq!(label_of("SICCode"), "SIC Code");
        assert_eq!(label_of("DoNotFAX"), "Do Not FAX");
    }

    #[test]
    fn history_types_resolve_by_name_or_number() {
        assert_eq!(history_type_name("ATEMAIL"), Some("atEMail"));
        assert_eq!(history_type_name("262148"), Some("atNote"));
        assert_eq!(history_type_name("atBogus"), None);
    }
}
