//! Read filters ([`Filter`]) as SData `where` clauses.
//!
//! A filter names a field and gives canonical values; both are untrusted. Field names
//! must be fields the CRM described in `$schema` (rendered as its own dotted path), and
//! every value becomes a literal of the field's type: text through [`query::quote`]
//! (quotes doubled), numbers and booleans only after they parse, instants as `@…Z@`.
//! Nothing a caller passes is pasted into the clause as syntax.

use listbridge_connector::{ConnectorError, ConnectorResult, FieldType, Filter, Watermark};

use crate::{dates, query, resource::Resource, schema::EntitySchema};

/// The `where` of a read: its filters and, for an incremental read, the keyset clause
/// after `since`, all combined with `and`; `None` when the read is unrestricted.
pub(crate) fn where_param(
    entity: impl Into<Resource>,
    filters: &[Filter],
    since: Option<&Watermark>,
    schema: &EntitySchema,
) -> ConnectorResult<Option<String>> {
    let entity = entity.into();
    let clauses: Vec<String> = render(entity, filters, schema)?
        .into_iter()
        .chain(since.map(query::after))
        .collect();
    Ok((!clauses.is_empty()).then(|| clauses.join(" and ")))
}

/// The conjunction of `filters` (each parenthesised), or `None` when there are none.
pub(crate) fn render(
    entity: impl Into<Resource>,
    filters: &[Filter],
    schema: &EntitySchema,
) -> ConnectorResult<Option<String>> {
    let entity = entity.into();
    if filters.is_empty() {
        return Ok(None);
    }
    let clauses = filters
        .iter()
        .map(|filter| one(entity, filter, schema).map(|clause| format!("({clause})")))
        .collect::<ConnectorResult<Vec<_>>>()?;
    Ok(Some(clauses.join(" and ")))
}

fn one(entity: Resource, filter: &Filter, schema: &EntitySchema) -> ConnectorResult<String> {
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
    entity: Resource,
    /// The where path: the CRM's name, dotted for related records (`Address.City`).
    path: &'a str,
    field_type: FieldType,
}

impl<'a> Target<'a> {
    fn of(entity: Resource, name: &str, schema: &'a EntitySchema) -> ConnectorResult<Target<'a>> {
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
mod tests {
    use chrono::{DateTime, Utc};
    use listbridge_connector::{EntityKind, FieldDef, FieldType};

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
}
