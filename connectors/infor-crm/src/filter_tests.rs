use chrono::{DateTime, Utc};
use listbridge_connector::{FieldDef, FieldType};

use super::*;
use crate::query::read_literal;

fn def(name: &str, field_type: FieldType) -> FieldDef {
    FieldDef {
        name: name.into(),
        label: name.into(),
        field_type,
        max_length: None,
        required: false,
        read_only: false,
        custom: false,
    }
}

fn schema() -> EntitySchema {
    EntitySchema::new(vec![
        def("LastName", FieldType::Text),
        def("Email", FieldType::Text),
        def("DoNotEmail", FieldType::Boolean),
        def("LeadScore", FieldType::Integer),
        def("Revenue", FieldType::Decimal),
        def("ModifyDate", FieldType::DateTime),
        def("BirthDate", FieldType::Date),
        def("Owner", FieldType::Reference),
        def("Address.City", FieldType::Text),
        def("Weird Name", FieldType::Text),
    ])
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.to_utc())
        .unwrap_or_default()
}

fn rendered(filters: &[Filter]) -> String {
    render(EntityKind::Lead, filters, &schema())
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_default()
}

fn refused(filter: Filter) -> String {
    match render(EntityKind::Lead, std::slice::from_ref(&filter), &schema()) {
        Err(ConnectorError::Invalid { message }) => message,
        other => panic!("{filter:?} should be refused, got {other:?}"),
    }
}

#[test]
fn each_kind_of_filter_renders_in_sdata_syntax() {
    let cases = [
        (Filter::equals("LastName", "Smith"), "(LastName eq 'Smith')"),
        (Filter::equals("lastname", "Smith"), "(LastName eq 'Smith')"),
        (
            Filter::one_of("Email", ["a@x.com", "b@x.com"]),
            "(Email in ('a@x.com','b@x.com'))",
        ),
        (
            Filter::IsNull {
                field: "Email".into(),
            },
            "(Email eq null)",
        ),
        (
            Filter::NotNull {
                field: "Owner".into(),
            },
            "(Owner ne null)",
        ),
        (
            Filter::ModifiedBefore {
                at: at("2024-05-01T10:00:00Z"),
            },
            "(ModifyDate lt @2024-05-01T10:00:00Z@)",
        ),
        (Filter::equals("DoNotEmail", "true"), "(DoNotEmail eq true)"),
        (Filter::equals("LeadScore", " 42 "), "(LeadScore eq 42)"),
        (Filter::equals("Revenue", "-12.50"), "(Revenue eq -12.50)"),
        (
            Filter::equals("ModifyDate", "2024-05-01T12:00:00+02:00"),
            "(ModifyDate eq @2024-05-01T10:00:00Z@)",
        ),
        (
            Filter::equals("BirthDate", "2001-02-03"),
            "(BirthDate eq @2001-02-03@)",
        ),
        (
            Filter::one_of("Owner", ["SYST00000001", " U6UJ9A000002 "]),
            "(Owner.Id in ('SYST00000001','U6UJ9A000002'))",
        ),
        (
            Filter::equals("Address.City", "Köln"),
            "(Address.City eq 'Köln')",
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            rendered(std::slice::from_ref(&filter)),
            expected,
            "{filter:?}"
        );
    }
}

#[test]
fn filters_combine_with_and() {
    assert_eq!(
        rendered(&[
            Filter::equals("DoNotEmail", "false"),
            Filter::NotNull {
                field: "Email".into()
            },
        ]),
        "(DoNotEmail eq false) and (Email ne null)"
    );
    assert_eq!(render(EntityKind::Lead, &[], &schema()).ok(), Some(None));
}

#[test]
fn filters_and_the_keyset_clause_share_one_where() {
    let since = Watermark {
        modified: at("2024-01-01T00:00:00Z"),
        key: "K'1".into(),
    };
    let schema = schema();
    let both = where_param(
        EntityKind::Lead,
        &[Filter::equals("LastName", "O'Neil")],
        Some(&since),
        &schema,
    );
    assert_eq!(
        both.ok().flatten().as_deref(),
        Some(
            "(LastName eq 'O''Neil') and (ModifyDate gt @2024-01-01T00:00:00Z@ or \
             (ModifyDate eq @2024-01-01T00:00:00Z@ and Id gt 'K''1'))"
        )
    );
    let keyset_only = where_param(EntityKind::Lead, &[], Some(&since), &schema);
    assert_eq!(keyset_only.ok().flatten(), Some(query::after(&since)));
    assert_eq!(
        where_param(EntityKind::Lead, &[], None, &schema).ok(),
        Some(None)
    );
}

#[test]
fn hostile_text_values_stay_one_literal() {
    for value in [
        "O'Neil",
        "x' or '1' eq '1",
        "') or (Id ne '",
        "'",
        "''",
        "a'')--",
        "tab\tnew\nline",
    ] {
        let clause = rendered(&[Filter::equals("LastName", value)]);
        let rest = clause
            .strip_prefix("(LastName eq ")
            .unwrap_or_else(|| panic!("{clause}"));
        let (read, after) = read_literal(rest).unwrap_or_else(|| panic!("{clause}"));
        assert_eq!(read, value, "{clause}");
        assert_eq!(
            after, ")",
            "nothing but the closing parenthesis may follow: {clause}"
        );

        let clause = rendered(&[Filter::one_of("Email", [value, "b@x.com"])]);
        let rest = clause
            .strip_prefix("(Email in (")
            .unwrap_or_else(|| panic!("{clause}"));
        let (read, after) = read_literal(rest).unwrap_or_else(|| panic!("{clause}"));
        assert_eq!(read, value, "{clause}");
        assert_eq!(after, ",'b@x.com'))", "{clause}");
    }
}

#[test]
fn values_that_are_not_of_the_field_type_are_refused_not_pasted() {
    for filter in [
        Filter::equals("DoNotEmail", "true or 1 eq 1"),
        Filter::equals("DoNotEmail", "yes"),
        Filter::equals("LeadScore", "1 or LeadScore gt 0"),
        Filter::equals("LeadScore", "4.5"),
        Filter::equals("Revenue", "1) or (1 eq 1"),
        Filter::equals("Revenue", "1e9"),
        Filter::equals("Revenue", "-"),
        Filter::equals("ModifyDate", "@2024-01-01@ or 1 eq 1"),
        Filter::equals("BirthDate", "tomorrow"),
        Filter::equals("Owner", "  "),
        Filter::one_of("LeadScore", ["1", "two"]),
    ] {
        let message = refused(filter);
        assert!(message.contains("expects"), "{message}");
    }
}

#[test]
fn unknown_or_unusable_fields_and_empty_lists_are_refused() {
    let message = refused(Filter::equals("NoSuchField", "x"));
    assert!(message.contains("no field NoSuchField"), "{message}");
    let message = refused(Filter::equals("LastName eq 'x' or LastName", "x"));
    assert!(message.contains("no field"), "{message}");
    let message = refused(Filter::IsNull {
        field: "Weird Name".into(),
    });
    assert!(message.contains("cannot be filtered on"), "{message}");
    let message = refused(Filter::In {
        field: "Email".into(),
        values: Vec::new(),
    });
    assert!(message.contains("lists no values"), "{message}");
}

#[test]
fn property_paths() {
    for ok in ["Email", "Address.City", "_x1", "A.B.C"] {
        assert!(is_path(ok), "{ok}");
    }
    for bad in ["", "A..B", ".A", "A.", "1A", "A B", "A'", "A)", "A/B"] {
        assert!(!is_path(bad), "{bad}");
    }
}
