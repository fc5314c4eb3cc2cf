//! Salesforce JSON records ↔ the SDK's flat records with canonical string values.
//!
//! Reading: booleans `true`/`false`, numbers in plain decimals, date-times in RFC 3339 UTC
//! (Salesforce writes `2026-12-05T10:15:30.000+0000`), Ids in their 18-character form.
//! `etag` is the `SystemModstamp` text (the record's version), `modify_date` that instant.
//! Writing: each value typed by its described field, so `"true"` goes as a JSON boolean.

use chrono::{DateTime, SecondsFormat, Utc};
use listbridge_connector::{ConnectorError, CrmRecord, FieldType, FieldValues};
use serde_json::{Map, Number, Value as Json};

use crate::describe::Schema;

/// Parses a Salesforce date-time (`…000+0000`, or RFC 3339).
pub(crate) fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A value as its canonical string.
fn canonical(field_type: FieldType, value: &Json) -> Option<String> {
    match value {
        Json::Null => None,
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => f.to_string(),
            _ => n.to_string(),
        }),
        Json::String(s) => Some(match field_type {
            FieldType::DateTime => parse_instant(s)
                .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                .unwrap_or_else(|| s.clone()),
            FieldType::Reference => crate::id::to_18(s).unwrap_or_else(|| s.clone()),
            _ => s.clone(),
        }),
        other => Some(other.to_string()),
    }
}

/// One queried record as a [`CrmRecord`] holding the fields `names` (described names).
pub(crate) fn from_json(
    schema: &Schema,
    names: &[String],
    record: &Map<String, Json>,
) -> Result<CrmRecord, ConnectorError> {
    let malformed = |what: &str| ConnectorError::Transient {
        message: format!("a Salesforce record came without a readable {what}"),
    };
    let key = record
        .get("Id")
        .and_then(Json::as_str)
        .and_then(crate::id::to_18)
        .ok_or_else(|| malformed("Id"))?;
    let stamp = record.get("SystemModstamp").and_then(Json::as_str);
    let modify_date = stamp.and_then(parse_instant);
    let mut fields = FieldValues::new();
    for name in names {
        let field_type = schema
            .field(name)
            .map(|f| f.field_type)
            .unwrap_or(FieldType::Text);
        let value = record.get(name).unwrap_or(&Json::Null);
        fields.insert(name.clone(), canonical(field_type, value));
    }
    Ok(CrmRecord {
        entity: schema.entity,
        key,
        etag: stamp.map(str::to_string),
        modify_date,
        fields,
    })
}

/// The JSON body of a write of `fields`, each checked against `schema` and typed.
pub(crate) fn to_json(
    schema: &Schema,
    fields: &FieldValues,
) -> Result<Map<String, Json>, ConnectorError> {
    let mut body = Map::new();
    for (name, value) in fields {
        let def = schema.field(name)?;
        let bad = |v: &str| ConnectorError::Invalid {
            message: format!(
                "'{v}' is not a valid {:?} value for {}",
                def.field_type, def.name
            ),
        };
        let json = match value.as_deref().map(str::trim) {
            None | Some("") => Json::Null,
            Some(v) => match def.field_type {
                FieldType::Boolean => match v.to_ascii_lowercase().as_str() {
                    "true" => Json::Bool(true),
                    "false" => Json::Bool(false),
                    _ => return Err(bad(v)),
                },
                FieldType::Integer => Json::Number(v.parse::<i64>().map_err(|_| bad(v))?.into()),
                FieldType::Decimal => v
                    .parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Json::Number)
                    .ok_or_else(|| bad(v))?,
                FieldType::DateTime => Json::String(
                    DateTime::parse_from_rfc3339(v)
                        .map_err(|_| bad(v))?
                        .with_timezone(&Utc)
                        .to_rfc3339_opts(SecondsFormat::Millis, true),
                ),
                // Text keeps its spaces: only emptiness was judged on the trimmed value.
                _ => Json::String(value.clone().unwrap_or_default()),
            },
        };
        body.insert(def.name.clone(), json);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use listbridge_connector::EntityKind;

    #[test]
    fn values_read_canonically() {
        assert_eq!(
            canonical(
                FieldType::DateTime,
                &Json::String("2026-12-05T10:15:30.000+0000".into())
            )
            .as_deref(),
            Some("2026-12-05T10:15:30Z")
        );
        assert_eq!(
            canonical(FieldType::Boolean, &Json::Bool(false)).as_deref(),
            Some("false")
        );
        assert_eq!(
            canonical(FieldType::Decimal, &serde_json::json!(12.0)).as_deref(),
            Some("12")
        );
        assert_eq!(
            canonical(FieldType::Decimal, &serde_json::json!(12.5)).as_deref(),
            Some("12.5")
        );
        let schema = Schema {
            entity: EntityKind::Lead,
            fields: vec![],
        };
        assert!(to_json(&schema, &FieldValues::from([("Nope".into(), None)])).is_err());
    }
}
