//! Conversion between wire values and listbridge's canonical field values, driven by the
//! entity's field types from `$schema`: reading an entry into a [`CrmRecord`], and
//! validating and encoding [`FieldValues`] for a write.

use chrono::{DateTime, Utc};
use listbridge_connector::{
    ConnectorError, CrmRecord, EntityKind, FieldType, FieldValues, SourceKind, SourceRecord,
    Watermark,
};

use crate::{
    dates,
    resource::Resource,
    schema::EntitySchema,
    wire::{OutNode, OutValue, RawValue, WireEntry},
};

/// A record as read from any resource, before it becomes a person's [`CrmRecord`] or
/// a conversion source's [`SourceRecord`]: the read pipeline is the same for both.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// The CRM's key (trimmed).
    pub key: String,
    /// Opaque version for conditional writes.
    pub etag: Option<String>,
    /// When the CRM last changed it.
    pub modify_date: Option<DateTime<Utc>>,
    /// Canonical values of the fields the entry carried.
    pub fields: FieldValues,
}

impl Row {
    /// The keyset position of this row.
    pub fn watermark(&self) -> Option<Watermark> {
        self.modify_date.map(|modified| Watermark {
            modified,
            key: self.key.clone(),
        })
    }

    /// The row as a person record.
    pub fn into_record(self, entity: EntityKind) -> CrmRecord {
        CrmRecord {
            entity,
            key: self.key,
            etag: self.etag,
            modify_date: self.modify_date,
            fields: self.fields,
        }
    }

    /// The row as a conversion source record.
    pub fn into_source(self, source: SourceKind) -> SourceRecord {
        SourceRecord {
            source,
            key: self.key,
            modify_date: self.modify_date,
            fields: self.fields,
        }
    }
}

/// Turns a wire entry into a record with canonical values. Fails only when the entry
/// has no key at all (a malformed answer).
pub(crate) fn to_record(
    entity: EntityKind,
    entry: &WireEntry,
    schema: &EntitySchema,
) -> Result<CrmRecord, String> {
    to_row(entity.into(), entry, schema).map(|row| row.into_record(entity))
}

/// Turns a wire entry of any resource into a [`Row`] with canonical values. Fails only
/// when the entry has no key at all (a malformed answer).
pub(crate) fn to_row(
    of: Resource,
    entry: &WireEntry,
    schema: &EntitySchema,
) -> Result<Row, String> {
    let key = entry
        .effective_key()
        .ok_or_else(|| format!("a {of} entry came back without a key"))?;
    let mut fields = FieldValues::new();
    for (name, raw) in &entry.fields {
        fields.insert(name.clone(), canonical(name, raw, schema.type_of(name)));
    }
    let modify_date = fields
        .get("ModifyDate")
        .and_then(|v| v.as_deref())
        .and_then(dates::parse_datetime);
    Ok(Row {
        key,
        etag: entry.etag.clone(),
        modify_date,
        fields,
    })
}

fn canonical(name: &str, raw: &RawValue, field_type: Option<FieldType>) -> Option<String> {
    let text = match raw {
        RawValue::Null => return None,
        RawValue::Ref(key) => return Some(key.trim().to_string()),
        RawValue::Bool(flag) => return Some(flag.to_string()),
        RawValue::Number(number) => number.clone(),
        RawValue::Text(text) => text.clone(),
    };
    let converted = match field_type {
        Some(FieldType::DateTime) => dates::parse_datetime(&text).map(dates::canonical),
        Some(FieldType::Date) => dates::parse_date(&text).map(|d| d.format("%Y-%m-%d").to_string()),
        Some(FieldType::Boolean) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "t" | "yes" => Some("true".to_string()),
            "false" | "0" | "f" | "no" => Some("false".to_string()),
            _ => None,
        },
        Some(FieldType::Integer) => canonical_integer(&text),
        Some(FieldType::Decimal) => Some(text.trim().to_string()),
        Some(FieldType::Reference) => Some(text.trim().to_string()),
        Some(FieldType::Text) => Some(text.clone()),
        // Not described: only the unmistakable Microsoft date form is converted.
        None if text.starts_with("/Date(") => dates::parse_datetime(&text).map(dates::canonical),
        None => Some(text.clone()),
    };
    match converted {
        Some(value) => Some(value),
        None => {
            tracing::warn!(
                field = name,
                ?field_type,
                "the CRM sent a value that does not match the field type; kept as sent"
            );
            Some(text)
        }
    }
}

/// `17`, `17.0`, ` 17 ` → `17`.
fn canonical_integer(text: &str) -> Option<String> {
    let trimmed = text.trim();
    if let Ok(n) = trimmed.parse::<i64>() {
        return Some(n.to_string());
    }
    trimmed
        .parse::<f64>()
        .ok()
        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
        .map(|f| format!("{}", f as i64))
}

/// Validates canonical values against the schema and converts them to wire nodes,
/// grouping `Rel.Field` names under their related record.
pub(crate) fn encode_fields(
    entity: impl Into<Resource>,
    fields: &FieldValues,
    schema: &EntitySchema,
) -> Result<Vec<(String, OutNode)>, ConnectorError> {
    let entity = entity.into();
    let mut out: Vec<(String, OutNode)> = Vec::new();
    for (name, value) in fields {
        let def = schema.field(name).ok_or_else(|| ConnectorError::Invalid {
            message: format!("{entity} has no field {name} in the CRM"),
        })?;
        if def.read_only {
            return Err(ConnectorError::Invalid {
                message: format!("{entity} field {name} is read-only in the CRM"),
            });
        }
        let wire = match value {
            None => OutValue::Null,
            Some(value) => encode_value(entity, &def.name, value, def.field_type, def.max_length)?,
        };
        match def.name.split_once('.') {
            Some((group, child)) => match out.iter_mut().find(|(n, _)| n == group) {
                Some((_, OutNode::Group(children))) => children.push((child.to_string(), wire)),
                _ => out.push((
                    group.to_string(),
                    OutNode::Group(vec![(child.to_string(), wire)]),
                )),
            },
            None => out.push((def.name.clone(), OutNode::Value(wire))),
        }
    }
    Ok(out)
}

fn encode_value(
    entity: Resource,
    name: &str,
    value: &str,
    field_type: FieldType,
    max_length: Option<u32>,
) -> Result<OutValue, ConnectorError> {
    let invalid = |expected: &str| ConnectorError::Invalid {
        message: format!("{entity} field {name} expects {expected}, got a value that is not"),
    };
    Ok(match field_type {
        FieldType::Text => {
            if let Some(max) = max_length {
                let length = value.chars().count();
                if length > max as usize {
                    return Err(ConnectorError::Invalid {
                        message: format!(
                            "{entity} field {name} holds at most {max} characters, the value has {length}"
                        ),
                    });
                }
            }
            OutValue::Text(value.to_string())
        }
        FieldType::Boolean => match value.trim() {
            "true" => OutValue::Bool(true),
            "false" => OutValue::Bool(false),
            _ => return Err(invalid("true or false")),
        },
        FieldType::Integer => {
            let n: i64 = value
                .trim()
                .parse()
                .map_err(|_| invalid("a whole number"))?;
            OutValue::Number(n.to_string())
        }
        FieldType::Decimal => {
            let trimmed = value.trim();
            let plain = !trimmed.is_empty()
                && trimmed
                    .trim_start_matches('-')
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.')
                && trimmed.matches('.').count() <= 1
                && trimmed
                    .trim_start_matches('-')
                    .chars()
                    .any(|c| c.is_ascii_digit());
            if !plain {
                return Err(invalid("a decimal number"));
            }
            OutValue::Number(trimmed.to_string())
        }
        FieldType::DateTime => {
            let instant =
                dates::parse_datetime(value).ok_or_else(|| invalid("an RFC 3339 date-time"))?;
            OutValue::Text(dates::payload_value(instant))
        }
        FieldType::Date => {
            let date = dates::parse_date(value).ok_or_else(|| invalid("a date (YYYY-MM-DD)"))?;
            OutValue::Text(date.format("%Y-%m-%d").to_string())
        }
        FieldType::Reference => {
            if value.trim().is_empty() {
                return Err(invalid("the key of a related record"));
            }
            OutValue::Ref(value.trim().to_string())
        }
    })
}

/// True when the record already holds every value in `wanted` (canonical comparison;
/// empty text and null count as equal, as the CRM stores both the same way).
pub(crate) fn holds(record: &CrmRecord, wanted: &FieldValues) -> bool {
    wanted.iter().all(|(name, value)| {
        let current = record
            .fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_deref())
            .filter(|v| !v.is_empty());
        let wanted = value.as_deref().filter(|v| !v.is_empty());
        match (current, wanted) {
            (Some(current), Some(wanted)) => same_value(current, wanted),
            (None, None) => true,
            _ => false,
        }
    })
}

fn same_value(current: &str, wanted: &str) -> bool {
    if current == wanted {
        return true;
    }
    match (
        dates::parse_datetime(current),
        dates::parse_datetime(wanted),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
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
}
