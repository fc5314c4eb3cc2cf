//! Read filters ([`Filter`]) as SData `where` clauses.
//!
//! A filter names a field and gives canonical values; both are untrusted. Field names
//! must be fields the CRM described in `$schema` (rendered as its own dotted path), and
//! every value becomes a literal of the field's type: text through [`query::quote`]
//! (quotes doubled), numbers and booleans only after they parse, instants as `@…Z@`.
//! Nothing a caller passes is pasted into the clause as syntax.

use listbridge_connector::{
    ConnectorError, ConnectorResult, EntityKind, FieldType, Filter, Watermark,
};

use crate::{dates, query, schema::EntitySchema};

/// The `where` of a read: its filters and, for an incremental read, the keyset clause
/// after `since`, all combined with `and`; `None` when the read is unrestricted.
pub(crate) fn where_param(
    entity: EntityKind,
    filters: &[Filter],
    since: Option<&Watermark>,
    schema: &EntitySchema,
) -> ConnectorResult<Option<String>> {
    let clauses: Vec<String> = render(entity, filters, schema)?
        .into_iter()
        .chain(since.map(query::after))
        .collect();
    Ok((!clauses.is_empty()).then(|| clauses.join(" and ")))
}

/// The conjunction of `filters` (each parenthesised), or `None` when there are none.
pub(crate) fn render(
    entity: EntityKind,
    filters: &[Filter],
    schema: &EntitySchema,
) -> ConnectorResult<Option<String>> {
    if filters.is_empty() {
        return Ok(None);
    }
    let clauses = filters
        .iter()
        .map(|filter| one(entity, filter, schema).map(|clause| format!("({clause})")))
        .collect::<ConnectorResult<Vec<_>>>()?;
    Ok(Some(clauses.join(" and ")))
}

fn one(entity: EntityKind, filter: &Filter, schema: &EntitySchema) -> ConnectorResult<String> {
    Ok(match filter {
        Filter::Equals { field, value } => {
            let target = Target::of(entity, field, schema)?;
            format!("{} eq {}", target.compared(), target.literal(value)?)
        }
        Filter::In { field, values } => {
            let target = Target::of(entity, field, schema)?;
            if values.is_empty() {
                return Err(ConnectorError::Invalid {
                    message: format!("the filter on {entity} field {field} lists no values"),
                });
            }
            let literals = values
                .iter()
                .map(|value| target.literal(value))
                .collect::<ConnectorResult<Vec<_>>>()?;
            format!("{} in ({})", target.compared(), literals.join(","))
        }
        Filter::IsNull { field } => format!("{} eq null", Target::of(entity, field, schema)?.path),
        Filter::NotNull { field } => format!("{} ne null", Target::of(entity, field, schema)?.path),
        Filter::ModifiedBefore { at } => format!("ModifyDate lt {}", query::instant(*at)),
    })
}

/// A described field a filter compares.
struct Target<'a> {
    entity: EntityKind,
    /// The where path: the CRM's name, dotted for related records (`Address.City`).
    path: &'a str,
    field_type: FieldType,
}

impl<'a> Target<'a> {
    fn of(entity: EntityKind, name: &str, schema: &'a EntitySchema) -> ConnectorResult<Target<'a>> {
        let def = schema.field(name).ok_or_else(|| ConnectorError::Invalid {
            message: format!("{entity} has no field {name} in the CRM"),
        })?;
        // The name comes from the CRM's own schema; still, only a plain property path
        // may stand in the clause.
        if !is_path(&def.name) {
            return Err(ConnectorError::Invalid {
                message: format!("{entity} field {name} cannot be filtered on"),
            });
        }
        Ok(Target {
            entity,
            path: &def.name,
            field_type: def.field_type,
        })
    }

    /// What a value is compared with: a reference compares its related record's key.
    fn compared(&self) -> String {
        match self.field_type {
            FieldType::Reference => format!("{}.Id", self.path),
            _ => self.path.to_string(),
        }
    }

    /// A canonical value as a literal of this field's type.
    fn literal(&self, value: &str) -> ConnectorResult<String> {
        let invalid = |expected: &str| ConnectorError::Invalid {
            message: format!(
                "the filter on {} field {} expects {expected}, got a value that is not",
                self.entity, self.path
            ),
        };
        Ok(match self.field_type {
            FieldType::Text => query::quote(value),
            FieldType::Reference => {
                let key = value.trim();
                if key.is_empty() {
                    return Err(invalid("the key of a related record"));
                }
                query::quote(key)
            }
            FieldType::Boolean => match value.trim() {
                "true" => "true".to_string(),
                "false" => "false".to_string(),
                _ => return Err(invalid("true or false")),
            },
            FieldType::Integer => value
                .trim()
                .parse::<i64>()
                .map_err(|_| invalid("a whole number"))?
                .to_string(),
            FieldType::Decimal => {
                let trimmed = value.trim();
                if !is_plain_decimal(trimmed) {
                    return Err(invalid("a decimal number"));
                }
                trimmed.to_string()
            }
            FieldType::DateTime => {
                query::instant(dates::parse_datetime(value).ok_or_else(|| invalid("a date-time"))?)
            }
            FieldType::Date => {
                let date =
                    dates::parse_date(value).ok_or_else(|| invalid("a date (YYYY-MM-DD)"))?;
                format!("@{}@", date.format("%Y-%m-%d"))
            }
        })
    }
}

/// `Name` or `Rel.Name`: letters, digits and `_`, segments joined by single dots.
fn is_path(name: &str) -> bool {
    name.split('.').all(|segment| {
        segment
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// `-12.5`, `3`, `.5`: an optional minus, digits and at most one point.
fn is_plain_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    digits.chars().any(|c| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1
}

#[cfg(test)]
#[path = "filter_tests.rs"]
mod tests;
