//! SOQL text: literals that can never change a query's meaning, and the SDK's filters
//! rendered against the entity's described fields.
//!
//! String literals escape backslashes, quotes and control characters as the SOQL
//! reference's "Quoted String Escape Sequences" lists; every other literal is checked
//! against its field's type and written in a form that holds no quote at all. Field names
//! come only from `describe`, never from the caller's text.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use listbridge_connector::{ConnectorError, FieldType, Filter, Watermark};

use crate::describe::Schema;

/// `text` as a quoted SOQL string literal.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            other => out.push(other),
        }
    }
    out.push('\'');
    out
}

/// An instant as a SOQL date-time literal (unquoted, UTC, milliseconds when it has them).
pub(crate) fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The keyset condition for records strictly after `since` in (SystemModstamp, Id)
/// order. An empty key stands before every Id (the engine's read overlap starts a
/// little before its watermark with no key), so the whole instant is included.
pub(crate) fn after(since: &Watermark) -> Result<String, ConnectorError> {
    let at = instant(since.modified);
    if since.key.is_empty() {
        return Ok(format!("SystemModstamp >= {at}"));
    }
    let key = crate::id::to_18(&since.key)
        .ok_or_else(|| invalid(format!("'{}' is not a Salesforce Id", since.key)))?;
    Ok(format!(
        "(SystemModstamp > {at} OR (SystemModstamp = {at} AND Id > {}))",
        quote(&key)
    ))
}

fn invalid(message: String) -> ConnectorError {
    ConnectorError::Invalid { message }
}

/// `value` (canonical text) as a literal for a field of `field_type`.
pub(crate) fn literal(
    field: &str,
    field_type: FieldType,
    value: &str,
) -> Result<String, ConnectorError> {
    let bad = || {
        invalid(format!(
            "'{value}' is not a valid {field_type:?} value for {field}"
        ))
    };
    match field_type {
        FieldType::Text => Ok(quote(value)),
        FieldType::Reference => crate::id::to_18(value).map(|id| quote(&id)).ok_or_else(bad),
        FieldType::Boolean => match value.trim().to_ascii_lowercase().as_str() {
            "true" => Ok("true".into()),
            "false" => Ok("false".into()),
            _ => Err(bad()),
        },
        FieldType::Integer => value
            .trim()
            .parse::<i64>()
            .map(|n| n.to_string())
            .map_err(|_| bad()),
        FieldType::Decimal => {
            let n = value.trim().parse::<f64>().map_err(|_| bad())?;
            if n.is_finite() {
                Ok(n.to_string())
            } else {
                Err(bad())
            }
        }
        FieldType::DateTime => DateTime::parse_from_rfc3339(value.trim())
            .map(|t| instant(t.with_timezone(&Utc)))
            .map_err(|_| bad()),
        FieldType::Date => NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
            .map(|d| d.format("%Y-%m-%d").to_string())
            .map_err(|_| bad()),
    }
}

/// One filter as a SOQL condition, its field checked against `schema`.
pub(crate) fn condition(schema: &Schema, filter: &Filter) -> Result<String, ConnectorError> {
    match filter {
        Filter::Equals { field, value } => {
            let def = schema.field(field)?;
            Ok(format!(
                "{} = {}",
                def.name,
                literal(&def.name, def.field_type, value)?
            ))
        }
        Filter::In { field, values } => {
            let def = schema.field(field)?;
            if values.is_empty() {
                return Err(invalid(format!(
                    "an 'in' filter on {field} needs at least one value"
                )));
            }
            let list = values
                .iter()
                .map(|v| literal(&def.name, def.field_type, v))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!("{} IN ({})", def.name, list.join(", ")))
        }
        Filter::IsNull { field } => Ok(format!("{} = null", schema.field(field)?.name)),
        Filter::NotNull { field } => Ok(format!("{} != null", schema.field(field)?.name)),
        Filter::ModifiedBefore { at } => Ok(format!("SystemModstamp < {}", instant(*at))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(quote(r"O'Brien"), r"'O\'Brien'");
        assert_eq!(quote(r"a\' OR Id != null"), r"'a\\\' OR Id != null'");
        assert_eq!(quote("line\nbreak"), r"'line\nbreak'");
    }

    #[test]
    fn typed_literals_hold_no_quotes() {
        assert_eq!(
            literal("X", FieldType::Boolean, "TRUE").ok().as_deref(),
            Some("true")
        );
        assert!(literal("X", FieldType::Boolean, "true OR Id != null").is_err());
        assert!(literal("X", FieldType::Decimal, "1) OR (1=1").is_err());
        assert_eq!(
            literal("X", FieldType::DateTime, "2026-12-01T09:30:00Z")
                .ok()
                .as_deref(),
            Some("2026-12-01T09:30:00Z")
        );
        assert!(literal("X", FieldType::Reference, "00Q' OR Id != '").is_err());
    }
}
