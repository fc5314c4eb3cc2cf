//! Routing rule sets: how a phone system that only reads a destination (PBXware and
//! IPVoice "CRM Routing") routes a caller by one value of their CRM record. A rule set
//! names a field, an ordered list of rows (operator, value, destination) and a default
//! destination; the first row whose comparison holds wins, and no value, or no matching
//! row, is the default.
//!
//! Comparison (the seeds' semantics): when both the record's value and the row's value
//! parse as finite numbers they compare as numbers; otherwise `=` compares
//! case-insensitive text, and `<`, `>`, `<=`, `>=` compare case-insensitive text only
//! when the row's value is itself text. A numeric row (`LeadScore >= 80`) never matches a
//! value that is not a number: it falls through to the next row.
//!
//! A row may name its own `field` (e.g. `Region = gold` in a `LeadScore` rule set); rows
//! without one compare the rule set's field.

use std::{cmp::Ordering, fmt};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    callers::keys::validate_field_name,
    store::{RuleSetId, StoreError, StoredRuleSet},
};

mod service;

pub use service::RoutingRules;

/// The most rows a rule set holds.
pub const MAX_ROWS: usize = 100;
/// The longest rule set name, row value or destination option accepted.
const MAX_TEXT_LEN: usize = 100;

/// Why a rule set could not be saved, found or read.
#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    /// A part of the rule set is invalid; the message names the row or the part.
    #[error("{reason}")]
    Invalid {
        /// What is invalid: `name`, `field`, `rows[2].value`, `default.option`…
        at: String,
        /// What is wrong.
        reason: String,
    },
    /// The account already has a rule set with this name.
    #[error("a routing rule set named '{0}' already exists; choose another name")]
    NameTaken(String),
    /// No rule set with that id in the account.
    #[error("routing rule set {0} not found")]
    NotFound(RuleSetId),
    /// The stored rule set cannot be read.
    #[error("stored routing rule set {id} is unreadable: {message}")]
    Corrupt {
        /// The rule set.
        id: RuleSetId,
        /// What is wrong.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RoutingError {
    /// Where the invalid part is (`rows[2].value`), for the API's details and the
    /// console's field messages.
    pub fn at(&self) -> Option<&str> {
        match self {
            RoutingError::Invalid { at, .. } => Some(at),
            _ => None,
        }
    }
}

/// How a row compares the record's value (left) with the row's value (right). Named
/// `RoutingOperator` in the OpenAPI document: the segment filters' `Operator` is another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = RoutingOperator)]
pub enum Operator {
    /// Less than.
    #[serde(rename = "<")]
    Lt,
    /// Greater than.
    #[serde(rename = ">")]
    Gt,
    /// Equal (numbers) or the same text ignoring case.
    #[serde(rename = "=")]
    Eq,
    /// Less than or equal.
    #[serde(rename = "<=")]
    Le,
    /// Greater than or equal.
    #[serde(rename = ">=")]
    Ge,
}

impl Operator {
    /// Every operator, in the order the console offers them.
    pub const ALL: [Operator; 5] = [
        Operator::Eq,
        Operator::Lt,
        Operator::Gt,
        Operator::Le,
        Operator::Ge,
    ];

    /// The operator's symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Operator::Lt => "<",
            Operator::Gt => ">",
            Operator::Eq => "=",
            Operator::Le => "<=",
            Operator::Ge => ">=",
        }
    }

    /// Parses a symbol (`<`, `>`, `=`, `<=`, `>=`).
    pub fn parse(raw: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|o| o.symbol() == raw.trim())
    }

    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Operator::Lt => ordering == Ordering::Less,
            Operator::Gt => ordering == Ordering::Greater,
            Operator::Eq => ordering == Ordering::Equal,
            Operator::Le => ordering != Ordering::Greater,
            Operator::Ge => ordering != Ordering::Less,
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// Where a call goes: the phone system's destination types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DestinationKind {
    /// A call queue (option: its number).
    Queue,
    /// An IVR (option: its number).
    Ivr,
    /// Play a recording (option: its file name).
    Recording,
}

impl DestinationKind {
    /// Every kind, in the order the console offers them.
    pub const ALL: [DestinationKind; 3] = [
        DestinationKind::Queue,
        DestinationKind::Ivr,
        DestinationKind::Recording,
    ];

    /// The word the phone system reads: `queue`, `ivr`, `recording`.
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationKind::Queue => "queue",
            DestinationKind::Ivr => "ivr",
            DestinationKind::Recording => "recording",
        }
    }

    /// Parses a kind word, ignoring case.
    pub fn parse(raw: &str) -> Option<DestinationKind> {
        DestinationKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(raw.trim()))
    }
}

impl fmt::Display for DestinationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A destination: a type and its option (queue or IVR number, recording name).
/// Displayed as the phone system reads it: `queue 200`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    /// Queue, IVR or recording.
    #[serde(rename = "type")]
    pub kind: DestinationKind,
    /// The queue or IVR number, or the recording's name.
    pub option: String,
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.option)
    }
}

/// One row: when `field` (or the rule set's field) `operator` `value` holds, the call
/// goes to `destination`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRow {
    /// The field this row compares, when not the rule set's field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// How the record's value compares with `value`.
    pub operator: Operator,
    /// The value compared with (a number or text).
    pub value: String,
    /// Where the call goes when the row matches.
    pub destination: Destination,
}

impl RuleRow {
    /// Whether the record's `actual` value satisfies this row.
    pub fn matches(&self, actual: &str) -> bool {
        let actual = actual.trim();
        let expected = self.value.trim();
        match (number(actual), number(expected)) {
            (Some(a), Some(e)) => a.partial_cmp(&e).is_some_and(|o| self.operator.holds(o)),
            // A numeric row never matches a value that is not a number: it falls through.
            (None, Some(_)) if self.operator != Operator::Eq => false,
            _ => self.operator.holds(compare_text(actual, expected)),
        }
    }
}

/// A finite number, or `None` for text (including `inf` and `NaN`).
fn number(raw: &str) -> Option<f64> {
    raw.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn compare_text(a: &str, b: &str) -> Ordering {
    a.to_lowercase().cmp(&b.to_lowercase())
}

/// What a client sends to create or replace a rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSetInput {
    /// Name, unique in the account.
    pub name: String,
    /// The CRM field (API name) or Standard Field Name whose value the rows compare.
    pub field: String,
    /// The rows, in the order they are tried.
    #[serde(default)]
    pub rows: Vec<RuleRow>,
    /// Where the call goes when there is no value or no row matches.
    pub default: Destination,
}

/// The JSON the store keeps for a rule set.
#[derive(Debug, Serialize, Deserialize)]
struct Definition {
    rows: Vec<RuleRow>,
    default: Destination,
}

/// A saved rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RuleSet {
    /// Rule set id (in `/crm-lookup/{lookup_key}/route/{rule_set_id}`).
    pub id: RuleSetId,
    /// Name, unique in the account.
    pub name: String,
    /// The field the rows compare.
    pub field: String,
    /// The rows, in the order they are tried.
    pub rows: Vec<RuleRow>,
    /// Where the call goes when there is no value or no row matches.
    pub default: Destination,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl RuleSet {
    /// The destination for a record whose value of the rule set's field is `value`:
    /// the first matching row's, else the default (also for no value or a blank one).
    /// Rows naming another field see no value and do not match; use [`RuleSet::route_by`]
    /// when rows name other fields.
    pub fn route(&self, value: Option<&str>) -> &Destination {
        self.route_by(|field| {
            if field == self.field {
                value.map(str::to_string)
            } else {
                None
            }
        })
    }

    /// The destination for a record whose field values `value_of` answers: each row
    /// asks for its field (the rule set's unless the row names one); a row whose field
    /// has no value, or a blank one, does not match. First matching row wins, else the
    /// default.
    pub fn route_by(&self, mut value_of: impl FnMut(&str) -> Option<String>) -> &Destination {
        self.rows
            .iter()
            .find(|row| {
                value_of(self.row_field(row))
                    .filter(|v| !v.trim().is_empty())
                    .is_some_and(|v| row.matches(&v))
            })
            .map_or(&self.default, |row| &row.destination)
    }

    /// The field a row compares.
    pub fn row_field<'r>(&'r self, row: &'r RuleRow) -> &'r str {
        row.field.as_deref().unwrap_or(&self.field)
    }

    /// Every field the rows compare, the rule set's first, each once: what a lookup
    /// must read from the matched record.
    pub fn fields(&self) -> Vec<&str> {
        let mut fields = vec![self.field.as_str()];
        for row in &self.rows {
            let f = self.row_field(row);
            if !fields.contains(&f) {
                fields.push(f);
            }
        }
        fields
    }

    fn from_stored(stored: StoredRuleSet) -> Result<RuleSet, RoutingError> {
        let definition: Definition =
            serde_json::from_str(&stored.definition).map_err(|e| RoutingError::Corrupt {
                id: stored.id,
                message: e.to_string(),
            })?;
        Ok(RuleSet {
            id: stored.id,
            name: stored.name,
            field: stored.field,
            rows: definition.rows,
            default: definition.default,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        })
    }
}

/// Checks a rule set and returns it trimmed. The error's message names the row
/// ("row 2: the value is empty", rows counted from 1 as the console shows them) and its
/// [`RoutingError::at`] the part (`rows[2].value`).
pub fn validate(input: &RuleSetInput) -> Result<RuleSetInput, RoutingError> {
    let invalid = |at: String, reason: String| RoutingError::Invalid { at, reason };
    let name = text("name", "the name", &input.name)?;
    let field = validate_field_name(input.field.trim())
        .map_err(|reason| invalid("field".into(), format!("the field name {reason}")))?;
    if input.rows.len() > MAX_ROWS {
        return Err(invalid(
            "rows".into(),
            format!("a rule set holds at most {MAX_ROWS} rows"),
        ));
    }
    let mut rows = Vec::with_capacity(input.rows.len());
    for (i, row) in input.rows.iter().enumerate() {
        let n = i + 1;
        let row_field = match row.field.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(f) => Some(validate_field_name(f).map_err(|reason| {
                invalid(
                    format!("rows[{n}].field"),
                    format!("row {n}: the field name {reason}"),
                )
            })?),
        };
        let value = text(
            &format!("rows[{n}].value"),
            &format!("row {n}: the value"),
            &row.value,
        )?;
        let option = text(
            &format!("rows[{n}].destination.option"),
            &format!("row {n}: the destination option"),
            &row.destination.option,
        )?;
        rows.push(RuleRow {
            field: row_field.filter(|f| *f != field),
            operator: row.operator,
            value,
            destination: Destination {
                kind: row.destination.kind,
                option,
            },
        });
    }
    let default = Destination {
        kind: input.default.kind,
        option: text(
            "default.option",
            "the default destination's option",
            &input.default.option,
        )?,
    };
    Ok(RuleSetInput {
        name,
        field,
        rows,
        default,
    })
}

/// A trimmed text part: not empty, at most 100 characters, no control characters;
/// `what` names it in the message ("row 2: the value").
fn text(at: &str, what: &str, raw: &str) -> Result<String, RoutingError> {
    let value = raw.trim();
    let reason = if value.is_empty() {
        Some("is empty")
    } else if value.chars().count() > MAX_TEXT_LEN {
        Some("is longer than 100 characters")
    } else if value.chars().any(char::is_control) {
        Some("contains control characters")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(RoutingError::Invalid {
            at: at.to_string(),
            reason: format!("{what} {reason}"),
        }),
        None => Ok(value.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(kind: DestinationKind, option: &str) -> Destination {
        Destination {
            kind,
            option: option.into(),
        }
    }

    fn row(field: Option<&str>, op: &str, value: &str, d: Destination) -> RuleRow {
        RuleRow {
            field: field.map(str::to_string),
            operator: Operator::parse(op).expect("operator"),
            value: value.into(),
            destination: d,
        }
    }

    fn set(rows: Vec<RuleRow>) -> RuleSet {
        RuleSet {
            id: RuleSetId(uuid::Uuid::nil()),
            name: "score".into(),
            field: "LeadScore".into(),
            rows,
            default: dest(DestinationKind::Queue, "100"),
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn evaluation_table() {
        use DestinationKind::*;
        let rules = set(vec![
            row(None, ">=", "80", dest(Queue, "200")),
            row(None, "<", "10", dest(Recording, "sorry")),
            row(None, "=", "GOLD", dest(Ivr, "3")),
            row(None, ">", "m", dest(Queue, "300")),
        ]);
        let cases: &[(Option<&str>, &str)] = &[
            (Some("80"), "queue 200"),
            (Some("80.0"), "queue 200"),
            (Some(" 95 "), "queue 200"),
            (Some("100"), "queue 200"), // numbers, not text ("100" < "80" as text)
            (Some("79.9"), "queue 100"),
            (Some("9"), "recording sorry"),
            (Some("-1"), "recording sorry"),
            (Some("gold"), "ivr 3"), // text, case-insensitive; numeric rows fall through
            (Some("Gold"), "ivr 3"),
            (Some("zinc"), "queue 300"), // text > text
            (Some("apple"), "queue 100"),
            (Some("NaN"), "queue 300"), // not a number: text, and "nan" > "m"
            (Some(""), "queue 100"),
            (Some("   "), "queue 100"),
            (None, "queue 100"),
        ];
        for (value, expected) in cases {
            assert_eq!(
                rules.route(*value).to_string(),
                *expected,
                "value {value:?}"
            );
        }
    }

    #[test]
    fn first_matching_row_wins() {
        use DestinationKind::*;
        let rules = set(vec![
            row(None, ">", "50", dest(Queue, "1")),
            row(None, ">", "10", dest(Queue, "2")),
        ]);
        assert_eq!(rules.route(Some("60")).to_string(), "queue 1");
        assert_eq!(rules.route(Some("20")).to_string(), "queue 2");
    }

    #[test]
    fn rows_on_other_fields_ask_for_their_field() {
        use DestinationKind::*;
        let rules = set(vec![
            row(None, ">=", "80", dest(Queue, "200")),
            row(Some("Region"), "=", "gold", dest(Ivr, "3")),
        ]);
        assert_eq!(rules.fields(), vec!["LeadScore", "Region"]);
        let record = |score: Option<&str>, region: Option<&str>| {
            let (score, region) = (score.map(String::from), region.map(String::from));
            move |f: &str| match f {
                "LeadScore" => score.clone(),
                "Region" => region.clone(),
                _ => None,
            }
        };
        let cases = [
            (Some("90"), Some("gold"), "queue 200"),
            (Some("50"), Some("GOLD"), "ivr 3"),
            (Some("high"), Some("gold"), "ivr 3"),
            (Some("50"), Some("silver"), "queue 100"),
            (None, None, "queue 100"),
        ];
        for (score, region, expected) in cases {
            assert_eq!(
                rules.route_by(record(score, region)).to_string(),
                expected,
                "{score:?} {region:?}"
            );
        }
        // `route` sees only the rule set's own field.
        assert_eq!(rules.route(Some("gold")).to_string(), "queue 100");
    }

    #[test]
    fn validation_names_the_row() {
        use DestinationKind::*;
        let input = |rows: Vec<RuleRow>| RuleSetInput {
            name: "VIP".into(),
            field: "LeadScore".into(),
            rows,
            default: dest(Queue, "100"),
        };
        let err = validate(&input(vec![
            row(None, ">=", "80", dest(Queue, "200")),
            row(None, "=", "  ", dest(Ivr, "3")),
        ]))
        .expect_err("blank value");
        assert_eq!(err.to_string(), "row 2: the value is empty");
        assert_eq!(err.at(), Some("rows[2].value"));
        let err = validate(&input(vec![row(None, "=", "gold", dest(Ivr, ""))]))
            .expect_err("blank option");
        assert_eq!(err.to_string(), "row 1: the destination option is empty");
        let err = validate(&input(vec![row(Some("Re gion"), "=", "x", dest(Ivr, "3"))]))
            .expect_err("bad field");
        assert_eq!(
            err.to_string(),
            "row 1: the field name contains spaces or control characters"
        );
        let mut bad_default = input(vec![]);
        bad_default.default.option = String::new();
        assert_eq!(
            validate(&bad_default).expect_err("default").to_string(),
            "the default destination's option is empty"
        );
        let ok = validate(&input(vec![row(
            Some("LeadScore"),
            "=",
            " gold ",
            dest(Ivr, " 3 "),
        )]))
        .expect("valid");
        assert_eq!(
            ok.rows[0].field, None,
            "the set's own field is not repeated"
        );
        assert_eq!(ok.rows[0].value, "gold");
        assert_eq!(ok.rows[0].destination.option, "3");
    }

    #[test]
    fn wire_form_uses_symbols_and_type_words() {
        let json = serde_json::json!({
            "operator": ">=", "value": "80",
            "destination": {"type": "queue", "option": "200"}
        });
        let row: RuleRow = serde_json::from_value(json.clone()).expect("row");
        assert_eq!(row.operator, Operator::Ge);
        assert_eq!(serde_json::to_value(&row).expect("json"), json);
    }
}
