//! Checking values against the CRM's own field definitions before anything is written,
//! so a too-long or mistyped value fails early with the field's name, instead of late
//! as a CRM write error (such as Salesforce's `STRING_TOO_LONG`) in the middle of a run.

use listbridge_connector::{FieldDef, FieldType};

/// Why a value cannot be written to a CRM field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The CRM does not have the field.
    #[error("the CRM has no field '{field}'")]
    UnknownField {
        /// Field name.
        field: String,
    },
    /// The CRM maintains the field itself.
    #[error("the CRM field '{field}' is read-only")]
    ReadOnly {
        /// Field name.
        field: String,
    },
    /// Longer than the CRM accepts.
    #[error("'{field}' is {len} characters long; the CRM accepts at most {max}")]
    TooLong {
        /// Field name.
        field: String,
        /// Length of the value in characters.
        len: usize,
        /// The CRM's limit.
        max: u32,
    },
    /// Not a value of the field's type.
    #[error("'{field}' expects {expected}, got '{value}'")]
    WrongType {
        /// Field name.
        field: String,
        /// What the type accepts.
        expected: &'static str,
        /// The offending value.
        value: String,
    },
    /// A create lacks a field the CRM requires.
    #[error("the CRM requires '{field}' and the record has no value for it")]
    MissingRequired {
        /// Field name.
        field: String,
    },
}

/// Checks a whole write against the CRM's field definitions before it is sent: every
/// field exists and takes its value, and a create fills every field the CRM requires.
/// The error names the field.
pub fn check_write(
    defs: &[FieldDef],
    fields: &listbridge_connector::FieldValues,
    create: bool,
) -> Result<(), ValueError> {
    for (name, value) in fields {
        let def = find_def(defs, name).ok_or_else(|| ValueError::UnknownField {
            field: name.clone(),
        })?;
        check_value(def, value.as_deref())?;
    }
    if create {
        for def in defs.iter().filter(|d| d.required && !d.read_only) {
            if fields
                .get(&def.name)
                .and_then(|v| v.as_deref())
                .is_none_or(|v| v.trim().is_empty())
            {
                return Err(ValueError::MissingRequired {
                    field: def.name.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Checks one value for one field; `None` (clear) is always acceptable unless required.
pub fn check_value(def: &FieldDef, value: Option<&str>) -> Result<(), ValueError> {
    if def.read_only {
        return Err(ValueError::ReadOnly {
            field: def.name.clone(),
        });
    }
    let Some(value) = value else {
        return Ok(());
    };
    let wrong = |expected| ValueError::WrongType {
        field: def.name.clone(),
        expected,
        value: value.to_string(),
    };
    match def.field_type {
        FieldType::Text | FieldType::Reference => {}
        FieldType::Integer => {
            value
                .trim()
                .parse::<i64>()
                .map_err(|_| wrong("a whole number"))?;
        }
        FieldType::Decimal => {
            value
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| wrong("a number"))?;
        }
        FieldType::Boolean => {
            if !matches!(value.trim().to_ascii_lowercase().as_str(), "true" | "false") {
                return Err(wrong("true or false"));
            }
        }
        FieldType::DateTime => {
            chrono::DateTime::parse_from_rfc3339(value.trim())
                .map_err(|_| wrong("a date-time like 2024-05-01T10:00:00Z"))?;
        }
        FieldType::Date => {
            chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
                .map_err(|_| wrong("a date like 2024-05-01"))?;
        }
    }
    if let Some(max) = def.max_length {
        let len = value.chars().count();
        if len > max as usize {
            return Err(ValueError::TooLong {
                field: def.name.clone(),
                len,
                max,
            });
        }
    }
    Ok(())
}

/// Finds a field definition by name, case-insensitively (CRM field names are not case-sensitive).
pub fn find_def<'a>(defs: &'a [FieldDef], name: &str) -> Option<&'a FieldDef> {
    defs.iter().find(|d| d.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, t: FieldType, max: Option<u32>) -> FieldDef {
        FieldDef {
            name: name.into(),
            label: name.into(),
            field_type: t,
            max_length: max,
            required: false,
            read_only: false,
            custom: false,
        }
    }

    #[test]
    fn checks_length_and_types() {
        let title = def("title", FieldType::Text, Some(5));
        assert!(check_value(&title, Some("abc")).is_ok());
        let err = check_value(&title, Some("abcdef")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'title' is 6 characters long; the CRM accepts at most 5"
        );
        assert!(check_value(&def("N", FieldType::Integer, None), Some("12")).is_ok());
        assert!(check_value(&def("N", FieldType::Integer, None), Some("1.5")).is_err());
        assert!(check_value(&def("B", FieldType::Boolean, None), Some("yes")).is_err());
        assert!(
            check_value(
                &def("D", FieldType::DateTime, None),
                Some("2024-05-01T10:00:00Z")
            )
            .is_ok()
        );
        assert!(check_value(&def("D", FieldType::Date, None), Some("05/01/2024")).is_err());
        assert!(check_value(&def("D", FieldType::Decimal, None), Some("NaN")).is_err());
    }

    #[test]
    fn read_only_is_refused() {
        let mut d = def("modified_at", FieldType::DateTime, None);
        d.read_only = true;
        assert_eq!(
            check_value(&d, None),
            Err(ValueError::ReadOnly {
                field: "modified_at".into()
            })
        );
    }
}
