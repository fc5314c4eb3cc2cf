//! Segment filters: a saved condition set over a list's member values.
//!
//! A segment's members are computed by evaluating its filter against the list's
//! members whenever they are needed, never copied, so a segment is always current.
//! The segment services save filters and the engine's push evaluates them, so the
//! filter lives in the domain below both.

use serde::{Deserialize, Serialize};

/// How a segment combines its conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// Every condition must hold.
    #[default]
    All,
    /// At least one condition must hold.
    Any,
}

/// A comparison a condition applies to one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// Same text, ignoring case and surrounding spaces.
    Equals,
    /// Not the same text (ignoring case); an empty value is not equal to a given text.
    NotEquals,
    /// The text contains the value (ignoring case).
    Contains,
    /// The text starts with the value (ignoring case).
    StartsWith,
    /// No value, or only spaces.
    IsEmpty,
    /// Any non-blank value.
    IsNotEmpty,
    /// A number or date greater than the value.
    GreaterThan,
    /// A number or date less than the value.
    LessThan,
}

impl Operator {
    /// Every operator, in the order a filter builder offers them.
    pub const ALL: [Operator; 8] = [
        Operator::Equals,
        Operator::NotEquals,
        Operator::Contains,
        Operator::StartsWith,
        Operator::IsEmpty,
        Operator::IsNotEmpty,
        Operator::GreaterThan,
        Operator::LessThan,
    ];

    /// Whether the operator compares against a value.
    pub fn needs_value(self) -> bool {
        !matches!(self, Operator::IsEmpty | Operator::IsNotEmpty)
    }

    /// The name the API and stored filters use (`contains`, `is_empty`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equals => "equals",
            Operator::NotEquals => "not_equals",
            Operator::Contains => "contains",
            Operator::StartsWith => "starts_with",
            Operator::IsEmpty => "is_empty",
            Operator::IsNotEmpty => "is_not_empty",
            Operator::GreaterThan => "greater_than",
            Operator::LessThan => "less_than",
        }
    }

    /// The operator named `name` (as [`Operator::as_str`] spells it).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str() == name)
    }
}

/// One condition: `column operator value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Condition {
    /// The list column it tests (`email` is the member email).
    pub column: String,
    /// The comparison.
    pub op: Operator,
    /// The value compared against, for operators that need one.
    #[serde(default)]
    pub value: Option<String>,
}

/// A segment's whole filter.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SegmentFilter {
    /// How conditions combine.
    #[serde(default)]
    pub combine: Combine,
    /// The conditions; an empty list matches every member.
    pub conditions: Vec<Condition>,
}

/// A filter that cannot be saved, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// A value-comparing operator without a value.
    #[error("condition {index} on '{column}' needs a value")]
    MissingValue {
        /// 1-based position of the condition.
        index: usize,
        /// Its column.
        column: String,
    },
    /// A number/date comparison with a value that is neither.
    #[error("condition {index} on '{column}': '{value}' is neither a number nor a date")]
    NotComparable {
        /// 1-based position.
        index: usize,
        /// Its column.
        column: String,
        /// The value given.
        value: String,
    },
    /// The column is not in the list.
    #[error("condition {index}: the list has no column '{column}'")]
    UnknownColumn {
        /// 1-based position.
        index: usize,
        /// The missing column.
        column: String,
    },
}

impl FilterError {
    /// The 1-based position of the condition at fault, to show the message beside it.
    pub fn index(&self) -> usize {
        match self {
            FilterError::MissingValue { index, .. }
            | FilterError::NotComparable { index, .. }
            | FilterError::UnknownColumn { index, .. } => *index,
        }
    }
}

/// A value compared by order: numbers first, then dates.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
enum Ordered {
    Number(f64),
    Instant(i64),
}

fn ordered(raw: &str) -> Option<Ordered> {
    let raw = raw.trim();
    if let Ok(n) = raw.parse::<f64>() {
        return n.is_finite().then_some(Ordered::Number(n));
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Some(Ordered::Instant(dt.timestamp()));
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| Ordered::Instant(d.and_utc().timestamp()))
}

fn compare(a: Option<Ordered>, b: Option<Ordered>) -> Option<std::cmp::Ordering> {
    match (a?, b?) {
        (Ordered::Number(x), Ordered::Number(y)) => x.partial_cmp(&y),
        (Ordered::Instant(x), Ordered::Instant(y)) => Some(x.cmp(&y)),
        _ => None,
    }
}

impl SegmentFilter {
    /// Checks the filter against the list's columns before it is saved.
    pub fn validate<'a>(
        &self,
        columns: impl Iterator<Item = &'a str> + Clone,
    ) -> Result<(), FilterError> {
        for (i, c) in self.conditions.iter().enumerate() {
            let index = i + 1;
            let known = c.column.eq_ignore_ascii_case("email")
                || columns
                    .clone()
                    .any(|col| col.eq_ignore_ascii_case(&c.column));
            if !known {
                return Err(FilterError::UnknownColumn {
                    index,
                    column: c.column.clone(),
                });
            }
            if c.op.needs_value() && c.value.is_none() {
                return Err(FilterError::MissingValue {
                    index,
                    column: c.column.clone(),
                });
            }
            if matches!(c.op, Operator::GreaterThan | Operator::LessThan) {
                let value = c.value.clone().unwrap_or_default();
                if ordered(&value).is_none() {
                    return Err(FilterError::NotComparable {
                        index,
                        column: c.column.clone(),
                        value,
                    });
                }
            }
        }
        Ok(())
    }

    /// Whether a member matches; `lookup` gives a column's value (`None` when blank or absent).
    pub fn matches<'v>(&self, lookup: impl Fn(&str) -> Option<&'v str>) -> bool {
        let mut results = self
            .conditions
            .iter()
            .map(|c| condition_holds(c, lookup(&c.column)));
        match self.combine {
            Combine::All => results.all(|r| r),
            Combine::Any => self.conditions.is_empty() || results.any(|r| r),
        }
    }
}

fn condition_holds(c: &Condition, actual: Option<&str>) -> bool {
    let actual = actual.map(str::trim).filter(|v| !v.is_empty());
    let want = c.value.as_deref().map(str::trim).unwrap_or_default();
    let lower = |v: &str| v.to_lowercase();
    match c.op {
        Operator::IsEmpty => actual.is_none(),
        Operator::IsNotEmpty => actual.is_some(),
        Operator::Equals => actual.is_some_and(|a| lower(a) == lower(want)),
        Operator::NotEquals => actual.is_none_or(|a| lower(a) != lower(want)),
        Operator::Contains => actual.is_some_and(|a| lower(a).contains(&lower(want))),
        Operator::StartsWith => actual.is_some_and(|a| lower(a).starts_with(&lower(want))),
        Operator::GreaterThan => {
            actual.and_then(|a| compare(ordered(a), ordered(want)))
                == Some(std::cmp::Ordering::Greater)
        }
        Operator::LessThan => {
            actual.and_then(|a| compare(ordered(a), ordered(want)))
                == Some(std::cmp::Ordering::Less)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn cond(column: &str, op: Operator, value: Option<&str>) -> Condition {
        Condition {
            column: column.into(),
            op,
            value: value.map(String::from),
        }
    }

    fn check(c: Condition, values: &[(&str, &str)]) -> bool {
        let map: HashMap<String, String> = values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SegmentFilter {
            combine: Combine::All,
            conditions: vec![c],
        }
        .matches(|k| map.get(k).map(String::as_str))
    }

    #[test]
    fn every_operator() {
        let row = [
            ("City", "Chicago"),
            ("Score", "42"),
            ("Since", "2024-03-01"),
            ("Blank", "  "),
        ];
        assert!(check(
            cond("City", Operator::Equals, Some("chicago ")),
            &row
        ));
        assert!(!check(cond("City", Operator::Equals, Some("Boston")), &row));
        assert!(check(
            cond("City", Operator::NotEquals, Some("Boston")),
            &row
        ));
        assert!(!check(
            cond("City", Operator::NotEquals, Some("CHICAGO")),
            &row
        ));
        assert!(check(cond("Blank", Operator::NotEquals, Some("x")), &row));
        assert!(check(cond("City", Operator::Contains, Some("CAG")), &row));
        assert!(!check(cond("City", Operator::Contains, Some("xyz")), &row));
        assert!(check(cond("City", Operator::StartsWith, Some("chi")), &row));
        assert!(!check(
            cond("City", Operator::StartsWith, Some("cago")),
            &row
        ));
        assert!(check(cond("Blank", Operator::IsEmpty, None), &row));
        assert!(check(cond("Missing", Operator::IsEmpty, None), &row));
        assert!(!check(cond("City", Operator::IsEmpty, None), &row));
        assert!(check(cond("City", Operator::IsNotEmpty, None), &row));
        assert!(!check(cond("Blank", Operator::IsNotEmpty, None), &row));
        assert!(
            check(cond("Score", Operator::GreaterThan, Some("9")), &row),
            "numeric, not text, order"
        );
        assert!(!check(
            cond("Score", Operator::GreaterThan, Some("42")),
            &row
        ));
        assert!(check(cond("Score", Operator::LessThan, Some("100")), &row));
        assert!(check(
            cond("Since", Operator::GreaterThan, Some("2024-01-31")),
            &row
        ));
        assert!(check(
            cond("Since", Operator::LessThan, Some("2024-03-01T10:00:00Z")),
            &row
        ));
        assert!(
            !check(cond("City", Operator::GreaterThan, Some("5")), &row),
            "text is not a number"
        );
    }

    #[test]
    fn all_and_any() {
        let map: HashMap<&str, &str> = [("A", "1"), ("B", "2")].into();
        let conds = vec![
            cond("A", Operator::Equals, Some("1")),
            cond("B", Operator::Equals, Some("9")),
        ];
        let all = SegmentFilter {
            combine: Combine::All,
            conditions: conds.clone(),
        };
        let any = SegmentFilter {
            combine: Combine::Any,
            conditions: conds,
        };
        assert!(!all.matches(|k| map.get(k).copied()));
        assert!(any.matches(|k| map.get(k).copied()));
        assert!(SegmentFilter::default().matches(|_| None));
    }

    #[test]
    fn validation_names_the_problem() {
        let cols = ["City", "Score"];
        let f = SegmentFilter {
            combine: Combine::All,
            conditions: vec![cond("Score", Operator::GreaterThan, Some("lots"))],
        };
        assert_eq!(
            f.validate(cols.iter().copied()).unwrap_err().to_string(),
            "condition 1 on 'Score': 'lots' is neither a number nor a date"
        );
        let f = SegmentFilter {
            combine: Combine::All,
            conditions: vec![cond("Nope", Operator::IsEmpty, None)],
        };
        assert!(matches!(
            f.validate(cols.iter().copied()),
            Err(FilterError::UnknownColumn { .. })
        ));
        let f = SegmentFilter {
            combine: Combine::All,
            conditions: vec![cond("City", Operator::Equals, None)],
        };
        assert!(matches!(
            f.validate(cols.iter().copied()),
            Err(FilterError::MissingValue { .. })
        ));
    }

    #[test]
    fn operator_names_match_the_wire_form() {
        for op in Operator::ALL {
            let wire = serde_json::to_value(op).unwrap();
            assert_eq!(wire.as_str(), Some(op.as_str()));
            assert_eq!(Operator::parse(op.as_str()), Some(op));
        }
        assert_eq!(Operator::parse("nope"), None);
    }
}
