//! Conversion between wire values and listbridge's canonical field values, driven by the
//! entity's field types from `$schema`: reading an entry into a [`CrmRecord`], and
//! validating and encoding [`FieldValues`] for a write.

use listbridge_connector::{ConnectorError, CrmRecord, EntityKind, FieldType, FieldValues};

use crate::{
    dates,
    schema::EntitySchema,
    wire::{OutNode, OutValue, RawValue, WireEntry},
};

/// Turns a wire entry into a record with canonical values. Fails only when the entry
/// has no key at all (a malformed answer).
pub(crate) fn to_record(
    entity: EntityKind,
    entry: &WireEntry,
    schema: &EntitySchema,
) -> Result<CrmRecord, String> {
    let key = entry
        .effective_key()
        .ok_or_else(|| format!("a {entity} entry came back without a key"))?;
    let mut fields = FieldValues::new();
    for (name, raw) in &entry.fields {
        fields.insert(name.clone(), canonical(name, raw, schema.type_of(name)));
    }
    let modify_date = fields
        .get("ModifyDate")
        .and_then(|v| v.as_deref())
        .and_then(dates::parse_datetime);
    Ok(CrmRecord {
        entity,
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
    entity: EntityKind,
    fields: &FieldValues,
    schema: &EntitySchema,
) -> Result<Vec<(String, OutNode)>, ConnectorError> {
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
    entity: EntityKind,
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
#[path = "record_tests.rs"]
mod tests;
