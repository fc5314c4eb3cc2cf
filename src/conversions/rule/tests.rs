//! Saving and applying conversion rules: checks against the CRM's fields, rows made or
//! refused per record and field.

use listbridge_connector::SourceKind;

use super::*;
use crate::domain::segment_filter::{Combine, Condition, Operator};

fn defs() -> Vec<FieldDef> {
    vec![
        FieldDef::text("Status"),
        FieldDef::text("CallReference"),
        FieldDef::text("VisitorId"),
        FieldDef::text("OrderNumber"),
        FieldDef::text("Product"),
        FieldDef::text("CurrencyCode"),
        FieldDef {
            field_type: FieldType::Decimal,
            ..FieldDef::text("SalesPotential")
        },
        FieldDef {
            field_type: FieldType::Decimal,
            ..FieldDef::text("Margin")
        },
        FieldDef {
            field_type: FieldType::DateTime,
            ..FieldDef::text("ClosedDate")
        },
    ]
}

fn rule() -> ConversionRule {
    ConversionRule {
        trigger: SegmentFilter {
            combine: Combine::All,
            conditions: vec![Condition {
                column: "Status".into(),
                op: Operator::Equals,
                value: Some("Closed - Won".into()),
            }],
        },
        call_reference_field: Some("CallReference".into()),
        visitor_id_field: Some("VisitorId".into()),
        action_name: ValueSource::Text("sale".into()),
        title: Some(ValueSource::Field("Product".into())),
        date_field: Some("ClosedDate".into()),
        transaction_reference_field: Some("OrderNumber".into()),
        amount_field: Some("SalesPotential".into()),
        currency: Some(ValueSource::Field("CurrencyCode".into())),
        margin_field: Some("Margin".into()),
    }
}

fn record(key: &str, fields: &[(&str, &str)]) -> SourceRecord {
    SourceRecord {
        source: SourceKind::Contact,
        key: key.into(),
        modify_date: None,
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), Some(v.to_string())))
            .collect(),
    }
}

fn won(key: &str) -> SourceRecord {
    record(
        key,
        &[
            ("Status", "Closed - Won"),
            ("CallReference", "CR-000001"),
            ("VisitorId", "VID-000001"),
            ("OrderNumber", "SO-1"),
            ("Product", "Annual plan"),
            ("CurrencyCode", "gbp"),
            ("SalesPotential", "15000.00"),
            ("Margin", "3000"),
            ("ClosedDate", "2026-12-04T10:15:30+02:00"),
        ],
    )
}

fn first_matched() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-05T08:00:00Z")
        .map(|d| d.to_utc())
        .unwrap_or_default()
}

#[test]
fn a_value_source_names_text_or_field_and_only_one() {
    let read = |json: &str| serde_json::from_str::<ValueSource>(json).map_err(|e| e.to_string());
    assert_eq!(
        read(r#"{"text":"sale"}"#),
        Ok(ValueSource::Text("sale".into()))
    );
    assert_eq!(
        read(r#"{"field":"Description","text":null,"note":1}"#),
        Ok(ValueSource::Field("Description".into()))
    );
    for both_or_none in [r#"{"text":"a","field":"B"}"#, "{}", r#"{"text":null}"#] {
        let err = read(both_or_none).err().unwrap_or_default();
        assert!(
            err.contains("exactly one of text or field"),
            "{both_or_none}: {err}"
        );
    }
    assert_eq!(
        serde_json::to_string(&ValueSource::Text("sale".into()))
            .ok()
            .as_deref(),
        Some(r#"{"text":"sale"}"#)
    );
}

#[test]
fn a_won_record_becomes_a_row_in_utc_with_its_reference() {
    let record = won("C1");
    assert!(rule().triggered(&record));
    let row = rule()
        .row("export-1", &record, first_matched())
        .expect("a row");
    assert_eq!(row.date_time(), "2026-12-04 08:15:30");
    assert_eq!(
        row.reference,
        ConversionReference::CallReference("CR-000001".into())
    );
    assert_eq!(row.currency.map(Currency::code), Some("GBP"));
    assert_eq!(row.amount.as_ref().map(Amount::as_str), Some("15000.00"));
    assert_eq!(row.margin.as_ref().map(Amount::as_str), Some("3000"));
    assert_eq!(row.title.as_deref(), Some("Annual plan"));
    assert_eq!(row.transaction_reference.as_deref(), Some("SO-1"));
    assert_eq!(row.action_name, "sale");
    assert!(!rule().triggered(&record_with(&record, "Status", "Open")));
}

fn record_with(record: &SourceRecord, field: &str, value: &str) -> SourceRecord {
    let mut changed = record.clone();
    changed
        .fields
        .insert(field.to_string(), Some(value.to_string()));
    changed
}

#[test]
fn values_that_cannot_go_out_are_refused_naming_record_and_field() {
    let won = won("C7");
    let problem = |field: &str, value: &str| {
        rule()
            .row("e", &record_with(&won, field, value), first_matched())
            .expect_err("refused")
            .to_string()
    };
    assert_eq!(
        problem("CurrencyCode", "XYZ"),
        "contact C7: CurrencyCode 'XYZ' is not an ISO 4217 code"
    );
    assert_eq!(
        problem("SalesPotential", "lots"),
        "contact C7: SalesPotential 'lots' is not a number"
    );
    assert_eq!(
        problem("Margin", "1e5"),
        "contact C7: Margin '1e5' is not a number"
    );
    assert_eq!(
        problem("ClosedDate", "next week"),
        "contact C7: ClosedDate 'next week' is not a date"
    );
    let no_reference = record_with(&record_with(&won, "CallReference", " "), "VisitorId", "");
    assert_eq!(
        rule()
            .row("e", &no_reference, first_matched())
            .expect_err("refused")
            .to_string(),
        "contact C7 has no call reference or visitor id (CallReference, VisitorId)"
    );
}

#[test]
fn the_visitor_id_stands_in_for_a_blank_call_reference_and_the_first_match_for_no_date() {
    let record = record_with(
        &record_with(&won("C2"), "CallReference", ""),
        "ClosedDate",
        "",
    );
    let row = rule().row("e", &record, first_matched()).expect("a row");
    assert_eq!(
        row.reference,
        ConversionReference::VisitorId("VID-000001".into())
    );
    assert_eq!(row.date_time(), "2026-12-05 08:00:00");
    let dated = record_with(&record, "ClosedDate", "2026-11-30");
    let row = rule().row("e", &dated, first_matched()).expect("a row");
    assert_eq!(row.date_time(), "2026-11-30 00:00:00");
}

#[test]
fn the_key_is_one_per_export_record_and_action() {
    let a = won("C1");
    let key = |export: &str, record: &SourceRecord, action: &str| row_key(export, record, action);
    assert_eq!(key("e", &a, "sale"), key("e", &a, " sale "));
    assert_ne!(key("e", &a, "sale"), key("e", &a, "renewal"));
    assert_ne!(key("e", &a, "sale"), key("f", &a, "sale"));
    assert_ne!(key("e", &a, "sale"), key("e", &won("C2"), "sale"));
    let row = rule().row("e", &a, first_matched()).expect("a row");
    assert_eq!(row.key, key("e", &a, "sale"));
}

#[test]
fn a_rule_is_checked_against_the_crm_s_fields_before_it_is_saved() {
    assert_eq!(rule().validate(&defs()), Ok(()));
    let check = |change: fn(&mut ConversionRule)| {
        let mut r = rule();
        change(&mut r);
        r.validate(&defs()).expect_err("refused").to_string()
    };
    assert_eq!(
        check(|r| {
            r.call_reference_field = None;
            r.visitor_id_field = None;
        }),
        "choose the field holding the call reference, the visitor id, or both"
    );
    assert_eq!(
        check(|r| r.amount_field = Some("Amount".into())),
        "amount_field: the CRM has no field 'Amount'"
    );
    assert_eq!(
        check(|r| r.amount_field = Some("ClosedDate".into())),
        "amount_field: 'ClosedDate' is a date-time field, not a number"
    );
    assert_eq!(
        check(|r| r.currency = Some(ValueSource::Text("XYZ".into()))),
        "currency: 'XYZ' is not an ISO 4217 currency code (GBP, USD, EUR, …)"
    );
    assert_eq!(
        check(|r| r.action_name = ValueSource::Text("  ".into())),
        "action_name: give the action a name (e.g. sale)"
    );
    assert_eq!(
        check(|r| r.trigger.conditions[0].column = "Stage".into()),
        "trigger: condition 1: the CRM has no field 'Stage'"
    );
}

#[test]
fn the_fields_read_are_each_named_once() {
    assert_eq!(
        rule().fields(),
        vec![
            "Status",
            "CallReference",
            "VisitorId",
            "Product",
            "ClosedDate",
            "OrderNumber",
            "SalesPotential",
            "CurrencyCode",
            "Margin",
        ]
    );
}
