//! CRM-side write rules: the business rules and unique indexes an Infor CRM customer adds,
//! which refuse some creates and updates the protocol itself would accept.
//!
//! A sync must cope with the CRM saying no to a well-formed record (a blocked company, a
//! duplicate email under a customer's unique index). Rules let tests set that up, at start
//! ([`crate::FakeConfig::write_rules`]) or at run time (`/_admin/rules`), and apply to every
//! POST and PUT through `/sdata`, inside `$batch` too. CRM-side changes made through
//! `/_admin` are not checked, so a test can still put a record the rules would refuse.

use http::StatusCode;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value as Json;

use crate::diagnose::{Diagnosis, SdataCode};
use crate::model::{FieldDef, Kind, Record, Value};
use crate::payload::{PValue, convert};
use crate::render::{field_value, value_text};
use crate::state::FakeState;
use crate::store::Store;

/// One write rule, as set in [`crate::FakeConfig::write_rules`] or `POST /_admin/rules`:
/// `{"kind":"leads","field":"Company","equals":"Rejected Inc","message":"…"}` refuses a
/// write whose resulting record has that value (400, like a business rule), and
/// `{"kind":"leads","field":"Email","unique":true}` refuses one whose value another record
/// of the kind already has (409, like a unique index).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteRule {
    /// The resource kind the rule guards (`leads`); nested children (a lead's
    /// `leadAddresses`) are checked against their own kind's rules.
    pub kind: Kind,
    /// The property tested (`Company`), matched like payload names (case-insensitively).
    pub field: String,
    /// Refuse a record whose field equals this value; `null` refuses an empty field. Text
    /// compares case-insensitively, as the CRM's database collation does.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub equals: Option<Json>,
    /// Refuse a record whose (non-empty) field value another record of the kind has.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unique: bool,
    /// The diagnosis message; a default names the entity, field and value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl WriteRule {
    /// A business rule: refuse records of `kind` whose `field` equals `value` (HTTP 400).
    pub fn equals(kind: Kind, field: &str, value: Json, message: &str) -> WriteRule {
        WriteRule {
            kind,
            field: field.to_string(),
            equals: Some(value),
            unique: false,
            message: Some(message.to_string()),
        }
    }

    /// A unique index: refuse records of `kind` whose `field` another record has (409).
    pub fn unique(kind: Kind, field: &str) -> WriteRule {
        WriteRule {
            kind,
            field: field.to_string(),
            equals: None,
            unique: true,
            message: None,
        }
    }
}

/// Keeps an explicit `"equals": null` apart from a missing `equals`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Json>, D::Error> {
    Json::deserialize(d).map(Some)
}

/// What a rule tests, resolved against the schema.
#[derive(Debug, Clone)]
enum Test {
    /// The field's value equals this one (`None` = the field is empty).
    Equals(Option<Value>),
    /// No other record of the kind has the field's value.
    Unique,
}

/// A validated rule, ready to check writes against.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    rule: WriteRule,
    field: &'static FieldDef,
    test: Test,
}

impl CompiledRule {
    /// The rule as it was set.
    pub(crate) fn rule(&self) -> &WriteRule {
        &self.rule
    }
}

/// Validates a rule: the field must exist and the value must suit its type.
pub(crate) fn compile(rule: WriteRule) -> Result<CompiledRule, String> {
    let def = rule.kind.def();
    let field = def
        .field(&rule.field)
        .ok_or_else(|| format!("property '{}' does not exist on {}", rule.field, def.name))?;
    let test = match (&rule.equals, rule.unique) {
        (Some(_), true) => {
            return Err("a rule has either \"equals\" or \"unique\", not both".into());
        }
        (None, false) => return Err("a rule needs \"equals\" or \"unique\": true".into()),
        (None, true) => Test::Unique,
        (Some(value), false) => {
            let pvalue = match value {
                Json::Null => PValue::Null,
                Json::String(s) => PValue::Text(s.clone()),
                Json::Array(_) | Json::Object(_) => {
                    return Err(format!(
                        "\"equals\" must be a single value for {}.{}",
                        def.name, field.name
                    ));
                }
                other => PValue::Json(other.clone()),
            };
            let converted = convert(rule.kind, field, &pvalue).map_err(|d| d.message)?;
            Test::Equals(converted)
        }
    };
    Ok(CompiledRule { rule, field, test })
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Text(x), Value::Text(y)) => x.to_lowercase() == y.to_lowercase(),
        _ => a == b,
    }
}

/// Checks the records a write is about to store; the first rule broken is the error.
pub(crate) fn check(
    store: &Store,
    staged: &[(Kind, &Record)],
    rules: &[CompiledRule],
) -> Result<(), Diagnosis> {
    for (kind, rec) in staged {
        let mut applicable = rules.iter().filter(|r| r.rule.kind == *kind).peekable();
        if applicable.peek().is_none() {
            continue;
        }
        // Derived fields (LastNameUpper, LeadFullName) as they will be stored.
        let mut rec = (*rec).clone();
        crate::derive::apply(*kind, &mut rec);
        for rule in applicable {
            broken(store, *kind, &rec, rule)?;
        }
    }
    Ok(())
}

fn broken(store: &Store, kind: Kind, rec: &Record, rule: &CompiledRule) -> Result<(), Diagnosis> {
    let name = kind.def().name;
    let field = rule.field;
    let value = field_value(rec, field);
    let shown = value
        .as_deref()
        .map_or_else(|| "null".to_string(), value_text);
    match &rule.test {
        Test::Equals(expected) => {
            let hit = match (value.as_deref(), expected) {
                (None, None) => true,
                (Some(v), Some(e)) => same(v, e),
                _ => false,
            };
            if hit {
                let message = rule.rule.message.clone().unwrap_or_else(|| {
                    format!("{name}.{} may not be '{shown}' (business rule)", field.name)
                });
                return Err(Diagnosis::field(field.name, message));
            }
        }
        Test::Unique => {
            let Some(value) = value.as_deref() else {
                return Ok(());
            };
            let other = store.records(kind).find(|o| {
                o.key != rec.key && field_value(o, field).is_some_and(|v| same(&v, value))
            });
            if let Some(other) = other {
                let message = rule.rule.message.clone().unwrap_or_else(|| {
                    format!(
                        "Cannot insert duplicate key: {name}.{} '{shown}' is already used by {name} '{}' (unique index)",
                        field.name, other.key
                    )
                });
                return Err(Diagnosis {
                    payload_path: Some(field.name.to_string()),
                    ..Diagnosis::new(
                        StatusCode::CONFLICT,
                        SdataCode::ApplicationDiagnosis,
                        message,
                    )
                });
            }
        }
    }
    Ok(())
}

impl FakeState {
    /// Adds a write rule; `Err` says why it is invalid (unknown field, wrong value type).
    pub fn add_write_rule(&self, rule: WriteRule) -> Result<(), Diagnosis> {
        let compiled = compile(rule).map_err(|m| {
            Diagnosis::new(StatusCode::BAD_REQUEST, SdataCode::ApplicationDiagnosis, m)
        })?;
        self.rules_mut().push(compiled);
        Ok(())
    }

    /// Removes every write rule.
    pub fn clear_write_rules(&self) {
        self.rules_mut().clear();
    }

    /// The active write rules, in the order they are checked.
    pub fn write_rules(&self) -> Vec<WriteRule> {
        self.rules().iter().map(|r| r.rule().clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(v: Json) -> Result<CompiledRule, String> {
        let parsed: WriteRule = serde_json::from_value(v).map_err(|e| e.to_string())?;
        compile(parsed)
    }

    #[test]
    fn rules_are_validated_against_the_schema() {
        assert!(rule(json!({"kind": "leads", "field": "Company", "equals": "X"})).is_ok());
        assert!(rule(json!({"kind": "leads", "field": "company", "equals": null})).is_ok());
        assert!(rule(json!({"kind": "leads", "field": "Email", "unique": true})).is_ok());
        let e = rule(json!({"kind": "leads", "field": "Bogus", "equals": "X"}));
        assert!(matches!(e, Err(m) if m.contains("Bogus")));
        let e = rule(json!({"kind": "leads", "field": "LeadScore", "equals": "high"}));
        assert!(matches!(e, Err(m) if m.contains("LeadScore")));
        assert!(rule(json!({"kind": "leads", "field": "Company"})).is_err());
        let both = json!({"kind": "leads", "field": "Email", "equals": "a", "unique": true});
        assert!(rule(both).is_err());
        let e = rule(json!({"kind": "widgets", "field": "Company", "equals": "X"}));
        assert!(matches!(e, Err(m) if m.contains("widgets")));
    }

    #[test]
    fn an_explicit_null_is_kept_apart_from_a_missing_value() {
        let parsed: Result<WriteRule, _> =
            serde_json::from_value(json!({"kind": "leads", "field": "Email", "equals": null}));
        assert!(matches!(
            parsed,
            Ok(WriteRule {
                equals: Some(Json::Null),
                ..
            })
        ));
        let back = parsed.map(|r| serde_json::to_value(r).ok());
        assert_eq!(
            back.ok().flatten(),
            Some(json!({"kind": "leads", "field": "Email", "equals": null}))
        );
    }
}
