//! Write payloads from either wire format, and converting their values to typed fields
//! with the schema's type and length rules.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{Map, Value as Json};

use crate::diagnose::Diagnosis;
use crate::model::{FieldDef, FieldType, Kind, Value};
use crate::schema::history_type_name;
use crate::where_parser::parse_date_literal;

/// A property value as sent by a client.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PValue {
    /// `xsi:nil="true"` / JSON `null`: clear the field.
    Null,
    /// Element text or a JSON string.
    Text(String),
    /// A JSON number or boolean.
    Json(Json),
    /// A related record (`{"$key":…}`, `<Address sdata:key=…>` or a nested payload).
    Nested(Payload),
}

/// One resource's properties as sent by a client.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Payload {
    /// `sdata:key` / `$key`, when given.
    pub key: Option<String>,
    /// Properties in the order sent.
    pub fields: Vec<(String, PValue)>,
}

impl Payload {
    /// Builds a payload from a JSON object; `$`-prefixed protocol keys other than `$key`
    /// are ignored.
    pub(crate) fn from_json(obj: &Map<String, Json>) -> Payload {
        let mut p = Payload::default();
        for (name, value) in obj {
            if name == "$key" {
                p.key = value.as_str().map(str::to_string);
                continue;
            }
            if name.starts_with('$') {
                continue;
            }
            let v = match value {
                Json::Null => PValue::Null,
                Json::String(s) => PValue::Text(s.clone()),
                Json::Object(o) => PValue::Nested(Payload::from_json(o)),
                other => PValue::Json(other.clone()),
            };
            p.fields.push((name.clone(), v));
        }
        p
    }
}

fn invalid(kind: Kind, field: &FieldDef, what: &str, got: &str) -> Diagnosis {
    Diagnosis::field(
        field.name,
        format!(
            "{}.{}: '{got}' is not a valid {what}",
            kind.def().name,
            field.name
        ),
    )
}

/// Parses `/Date(ms)/`, `/Date(ms+hhmm)/`, ISO 8601 with or without a zone, or a date.
pub(crate) fn parse_date_value(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Some(inner) = t.strip_prefix("/Date(").and_then(|s| s.strip_suffix(")/")) {
        let digits_end = inner
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '+' || *c == '-')
            .map_or(inner.len(), |(i, _)| i);
        let ms: i64 = inner[..digits_end].parse().ok()?;
        return Utc.timestamp_millis_opt(ms).single();
    }
    parse_date_literal(t)
}

/// Converts a client value for `field` of `kind` into a stored value (`None` = null),
/// enforcing type, `maxLength` and History `Type` names.
pub(crate) fn convert(
    kind: Kind,
    field: &FieldDef,
    value: &PValue,
) -> Result<Option<Value>, Diagnosis> {
    let text = match value {
        PValue::Null => return Ok(None),
        PValue::Text(s) => s.clone(),
        PValue::Json(j) => match j {
            Json::Bool(b) => b.to_string(),
            Json::Number(n) => n.to_string(),
            other => other.to_string(),
        },
        PValue::Nested(p) => match (field.ty, &p.key) {
            (FieldType::Reference { .. }, Some(k)) => k.clone(),
            _ => {
                return Err(Diagnosis::field(
                    field.name,
                    format!(
                        "{}.{}: a nested object is not allowed here",
                        kind.def().name,
                        field.name
                    ),
                ));
            }
        },
    };
    let v = match field.ty {
        FieldType::String => {
            let mut text = text;
            if kind == Kind::History && field.name == "Type" {
                text = history_type_name(&text)
                    .ok_or_else(|| {
                        invalid(kind, field, "History type (atNote, atEMail, …)", &text)
                    })?
                    .to_string();
            }
            if let Some(max) = field.max_length {
                let len = text.chars().count();
                if len > max as usize {
                    return Err(Diagnosis::field(
                        field.name,
                        format!(
                            "{}.{} is {len} characters long; the maximum is {max}",
                            kind.def().name,
                            field.name
                        ),
                    ));
                }
            }
            Value::Text(text.into())
        }
        FieldType::Reference { .. } => Value::Text(text.into()),
        FieldType::Int => {
            let t = text.trim();
            let n = t
                .parse::<i64>()
                .ok()
                .or_else(|| {
                    t.parse::<f64>()
                        .ok()
                        .filter(|f| f.fract() == 0.0)
                        .map(|f| f as i64)
                })
                .ok_or_else(|| invalid(kind, field, "whole number", &text))?;
            Value::Int(n)
        }
        FieldType::Decimal => Value::Decimal(
            text.trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| invalid(kind, field, "decimal", &text))?,
        ),
        FieldType::Boolean => Value::Bool(match text.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "1" => true,
            "false" | "f" | "0" => false,
            _ => return Err(invalid(kind, field, "boolean", &text)),
        }),
        FieldType::DateTime => Value::DateTime(
            parse_date_value(&text).ok_or_else(|| invalid(kind, field, "date-time", &text))?,
        ),
        FieldType::Date => {
            let d = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .ok()
                .or_else(|| parse_date_value(&text).map(|d| d.date_naive()))
                .ok_or_else(|| invalid(kind, field, "date", &text))?;
            Value::Date(d)
        }
    };
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead_field(name: &str) -> &'static FieldDef {
        Kind::Lead
            .def()
            .field(name)
            .unwrap_or(&Kind::Lead.def().fields[0])
    }

    #[test]
    fn converts_types_and_enforces_max_length() {
        let f = lead_field("LeadScore");
        assert_eq!(
            convert(Kind::Lead, f, &PValue::Text("42".into())).ok(),
            Some(Some(Value::Int(42)))
        );
        assert!(convert(Kind::Lead, f, &PValue::Text("x".into())).is_err());
        let f = lead_field("FirstName");
        let long = PValue::Text("x".repeat(33));
        let err = convert(Kind::Lead, f, &long).err().map(|d| d.message);
        assert!(err.is_some_and(|m| m.contains("Lead.FirstName") && m.contains("32")));
        let f = lead_field("DoNotEmail");
        assert_eq!(
            convert(Kind::Lead, f, &PValue::Json(Json::Bool(true))).ok(),
            Some(Some(Value::Bool(true)))
        );
    }

    #[test]
    fn dates_accept_ms_and_iso_forms() {
        let a = parse_date_value("/Date(1293870600000)/");
        let b = parse_date_value("2011-01-01T08:30:00Z");
        let c = parse_date_value("/Date(1293870600000+0300)/");
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_eq!(a, c);
    }

    #[test]
    fn history_type_is_normalised_by_name() {
        let f = Kind::History
            .def()
            .field("Type")
            .unwrap_or(&Kind::History.def().fields[0]);
        let v = convert(Kind::History, f, &PValue::Text("ATEMAIL".into()));
        assert_eq!(v.ok(), Some(Some(Value::Text("atEMail".into()))));
        assert!(convert(Kind::History, f, &PValue::Text("atBogus".into())).is_err());
    }
}
