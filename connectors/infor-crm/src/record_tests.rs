//! Canonical values from both wire formats, and write validation.

use listbridge_connector::FieldDef;

use super::*;

fn def(name: &str, field_type: FieldType) -> FieldDef {
    FieldDef {
        name: name.into(),
        label: name.into(),
        field_type,
        max_length: (field_type == FieldType::Text).then_some(10),
        required: false,
        read_only: name == "ModifyDate",
        custom: false,
    }
}

fn schema() -> EntitySchema {
    EntitySchema::new(vec![
        def("LastName", FieldType::Text),
        def("Email", FieldType::Text),
        def("ModifyDate", FieldType::DateTime),
        def("CreateDate", FieldType::DateTime),
        def("LeadScore", FieldType::Integer),
        def("Revenue", FieldType::Decimal),
        def("Newsletter", FieldType::Boolean),
        def("BirthDate", FieldType::Date),
        def("Owner", FieldType::Reference),
        def("Address.City", FieldType::Text),
    ])
}

fn entry(fields: Vec<(&str, RawValue)>) -> WireEntry {
    WireEntry {
        key: Some("K1".into()),
        etag: Some("e".into()),
        fields: fields
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect(),
        ..Default::default()
    }
}

fn text(s: &str) -> RawValue {
    RawValue::Text(s.into())
}

#[test]
fn atom_and_json_values_become_the_same_canonical_record() {
    let atom = entry(vec![
        ("LastName", text("O'Neil")),
        ("ModifyDate", text("2013-06-14T22:00:00+00:00")),
        ("CreateDate", text("2002-06-01T07:00:00-07:00")),
        ("LeadScore", text("17")),
        ("Newsletter", text("true")),
        ("BirthDate", text("2004-07-31T00:00:00+00:00")),
        ("Owner", RawValue::Ref("SYST00000001".into())),
        ("Address.City", RawValue::Null),
    ]);
    let json = entry(vec![
        ("LastName", text("O'Neil")),
        ("ModifyDate", text("/Date(1371247200000+0300)/")),
        ("CreateDate", text("/Date(1022940000000)/")),
        ("LeadScore", RawValue::Number("17.0".into())),
        ("Newsletter", RawValue::Bool(true)),
        ("BirthDate", text("2004-07-31")),
        ("Owner", RawValue::Ref("SYST00000001".into())),
        ("Address.City", RawValue::Null),
    ]);
    let a = to_record(EntityKind::Lead, &atom, &schema()).unwrap_or_else(|e| panic!("{e}"));
    let j = to_record(EntityKind::Lead, &json, &schema()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a, j);
    assert_eq!(
        a.fields.get("ModifyDate"),
        Some(&Some("2013-06-14T22:00:00Z".into()))
    );
    assert_eq!(
        a.fields.get("CreateDate"),
        Some(&Some("2002-06-01T14:00:00Z".into()))
    );
    assert_eq!(a.fields.get("LeadScore"), Some(&Some("17".into())));
    assert_eq!(a.fields.get("BirthDate"), Some(&Some("2004-07-31".into())));
    assert_eq!(a.fields.get("Address.City"), Some(&None));
    assert_eq!(
        a.modify_date.map(crate::dates::canonical).as_deref(),
        Some("2013-06-14T22:00:00Z")
    );
}

#[test]
fn undescribed_microsoft_dates_are_converted_other_text_is_not() {
    let e = entry(vec![
        ("Seen", text("/Date(0)/")),
        ("Note", text("2024-01-01T00:00:00+02:00")),
    ]);
    let r = to_record(EntityKind::Contact, &e, &schema()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        r.fields.get("Seen"),
        Some(&Some("1970-01-01T00:00:00Z".into()))
    );
    assert_eq!(
        r.fields.get("Note"),
        Some(&Some("2024-01-01T00:00:00+02:00".into()))
    );
}

#[test]
fn keyless_entry_is_an_error() {
    let e = WireEntry::default();
    assert!(to_record(EntityKind::Lead, &e, &schema()).is_err());
}

fn values(pairs: &[(&str, Option<&str>)]) -> FieldValues {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.map(str::to_string)))
        .collect()
}

#[test]
fn encodes_typed_values_and_groups_related_fields() {
    let fields = values(&[
        ("LastName", Some("O'Neil")),
        ("LeadScore", Some("42")),
        ("Revenue", Some("-12.50")),
        ("Newsletter", Some("false")),
        ("CreateDate", Some("2024-05-01T10:00:00Z")),
        ("Owner", Some("SYST00000001")),
        ("address.city", Some("Chicago")),
        ("Email", None),
    ]);
    let nodes = encode_fields(EntityKind::Lead, &fields, &schema()).unwrap_or_default();
    let find = |n: &str| {
        nodes
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        find("LastName"),
        Some(OutNode::Value(OutValue::Text("O'Neil".into())))
    );
    assert_eq!(
        find("LeadScore"),
        Some(OutNode::Value(OutValue::Number("42".into())))
    );
    assert_eq!(
        find("Revenue"),
        Some(OutNode::Value(OutValue::Number("-12.50".into())))
    );
    assert_eq!(
        find("Newsletter"),
        Some(OutNode::Value(OutValue::Bool(false)))
    );
    assert_eq!(
        find("CreateDate"),
        Some(OutNode::Value(OutValue::Text(
            "2024-05-01T10:00:00+00:00".into()
        )))
    );
    assert_eq!(
        find("Owner"),
        Some(OutNode::Value(OutValue::Ref("SYST00000001".into())))
    );
    assert_eq!(find("Email"), Some(OutNode::Value(OutValue::Null)));
    assert_eq!(
        find("Address"),
        Some(OutNode::Group(vec![(
            "City".into(),
            OutValue::Text("Chicago".into())
        )]))
    );
}

#[test]
fn invalid_writes_name_the_field() {
    let cases = [
        ("Nope", Some("x"), "no field Nope"),
        ("ModifyDate", Some("2024-01-01T00:00:00Z"), "read-only"),
        ("LeadScore", Some("4.5"), "LeadScore expects a whole number"),
        (
            "Newsletter",
            Some("yes"),
            "Newsletter expects true or false",
        ),
        ("Revenue", Some("1e5"), "Revenue expects a decimal"),
        (
            "LastName",
            Some("abcdefghijk"),
            "LastName holds at most 10 characters",
        ),
        ("BirthDate", Some("soon"), "BirthDate expects a date"),
    ];
    for (name, value, expected) in cases {
        let err = encode_fields(EntityKind::Lead, &values(&[(name, value)]), &schema())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains(expected), "{name}: {err}");
    }
}

#[test]
fn holds_compares_canonically() {
    let record = CrmRecord {
        entity: EntityKind::Lead,
        key: "K".into(),
        etag: None,
        modify_date: None,
        fields: values(&[
            ("LastName", Some("A")),
            ("Title", Some("")),
            ("CreateDate", Some("2024-05-01T10:00:00Z")),
        ]),
    };
    assert!(holds(
        &record,
        &values(&[("LastName", Some("A")), ("Title", None)])
    ));
    assert!(holds(
        &record,
        &values(&[("CreateDate", Some("2024-05-01T12:00:00+02:00"))])
    ));
    assert!(holds(&record, &values(&[("Missing", None)])));
    assert!(!holds(&record, &values(&[("LastName", Some("B"))])));
    assert!(!holds(&record, &values(&[("Missing", Some("x"))])));
}
