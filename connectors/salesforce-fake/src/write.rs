//! Creating and updating records as Salesforce validates them.
//!
//! Two stages, as Salesforce has them: reading the JSON body (an unknown field or a value
//! of the wrong JSON type fails the whole request: `INVALID_FIELD`,
//! `JSON_PARSER_ERROR`), then saving each record (its own error, in its save result:
//! `INVALID_FIELD_FOR_INSERT_UPDATE`, `REQUIRED_FIELD_MISSING`, `INVALID_EMAIL_ADDRESS`,
//! `STRING_TOO_LONG`, `MALFORMED_ID`, `ENTITY_IS_DELETED`,
//! `CANNOT_UPDATE_CONVERTED_LEAD`, …).

use serde_json::{Map, Value as Json};

use crate::errors::{ApiError, RecordError};
use crate::id::SfId;
use crate::record::Record;
use crate::schema::{FieldType, SObject};
use crate::store::Store;
use crate::time::Millis;
use crate::value::{Coerce, Value, from_default, from_json};

/// Whether a body creates a record or updates one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Create,
    Update,
}

/// One record's body, read: the values to set, and a problem that fails only this
/// record.
#[derive(Debug, Clone)]
pub(crate) struct Body {
    pub object: SObject,
    pub values: Vec<(usize, Value)>,
    pub problem: Option<RecordError>,
}

/// Reads one record's JSON fields for `object` (`attributes` and, for updates, `Id`
/// are skipped). `system` lets the admin API set read-only fields.
pub(crate) fn read_body(
    object: SObject,
    map: &Map<String, Json>,
    op: Op,
    system: bool,
) -> Result<Body, ApiError> {
    let mut body = Body {
        object,
        values: Vec::new(),
        problem: None,
    };
    let mut locked = Vec::new();
    for (name, json) in map {
        if name == "attributes" || (name.eq_ignore_ascii_case("id") && (op == Op::Update || system))
        {
            continue;
        }
        let Some(i) = object.field_index(name) else {
            return Err(ApiError::bad(
                "INVALID_FIELD",
                format!(
                    "No such column '{name}' on sobject of type {}",
                    object.name()
                ),
            ));
        };
        let spec = &object.fields()[i];
        let value = match from_json(spec, json) {
            Ok(v) => v,
            Err(Coerce::Type(message)) => return Err(ApiError::json(message)),
            Err(Coerce::MalformedId(text)) => {
                body.problem.get_or_insert_with(|| {
                    RecordError::new(
                        "MALFORMED_ID",
                        format!("{}: id value of incorrect type: {text}", spec.label),
                        &[spec.name],
                    )
                });
                continue;
            }
        };
        let writable = match op {
            Op::Create => spec.createable,
            Op::Update => spec.updateable,
        };
        if !writable && !system {
            locked.push(spec.name);
        }
        body.values.push((i, value));
    }
    if !locked.is_empty() {
        body.problem = Some(RecordError::new(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            format!(
                "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                locked.join(", ")
            ),
            &locked,
        ));
    }
    Ok(body)
}

/// The record `body` would make (a create gets a placeholder Id), or why it cannot be
/// saved. `target` is the Id an update names.
pub(crate) fn check(
    store: &Store,
    body: &Body,
    op: Op,
    target: Option<SfId>,
    system: bool,
) -> Result<Record, RecordError> {
    let object = body.object;
    let mut rec = match (op, target) {
        (Op::Update, Some(id)) => {
            let Some(existing) = store.table(object).get(id) else {
                return Err(if SObject::from_prefix(id.prefix()) == Some(object) {
                    RecordError::new("ENTITY_IS_DELETED", "entity is deleted", &[])
                } else {
                    RecordError::new(
                        "MALFORMED_ID",
                        format!("{} ID: id value of incorrect type: {id}", object.name()),
                        &["Id"],
                    )
                });
            };
            if existing.is_deleted() {
                return Err(RecordError::new(
                    "ENTITY_IS_DELETED",
                    "entity is deleted",
                    &[],
                ));
            }
            if existing.is_converted() && !system {
                return Err(RecordError::new(
                    "CANNOT_UPDATE_CONVERTED_LEAD",
                    "cannot reference converted lead",
                    &[],
                ));
            }
            existing.clone()
        }
        (Op::Update, None) => {
            return Err(RecordError::new(
                "MISSING_ARGUMENT",
                "Id not specified in an update call",
                &[],
            ));
        }
        (Op::Create, _) => defaults(object),
    };
    if let Some(problem) = &body.problem {
        return Err(problem.clone());
    }
    for (i, v) in &body.values {
        rec.set(*i, v.clone());
    }
    if !system {
        validate(store, &rec)?;
    }
    Ok(rec)
}

/// A new record of `object` with its create-time defaults.
fn defaults(object: SObject) -> Record {
    let mut rec = Record::new(object, SfId::min());
    for (i, spec) in object.fields().iter().enumerate() {
        if let Some(d) = spec.default_on_create {
            rec.set(i, from_default(spec, d));
        }
    }
    rec.set_field("IsDeleted", Value::Bool(false));
    if object == SObject::Lead {
        rec.set_field("IsConverted", Value::Bool(false));
    }
    rec
}

/// The field rules every saved record meets.
fn validate(store: &Store, rec: &Record) -> Result<(), RecordError> {
    let fields = rec.object.fields();
    let missing: Vec<&str> = fields
        .iter()
        .enumerate()
        .filter(|(i, f)| f.required() && matches!(rec.get(*i), Value::Null))
        .map(|(_, f)| f.name)
        .collect();
    if !missing.is_empty() {
        return Err(RecordError::new(
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{}]", missing.join(", ")),
            &missing,
        ));
    }
    for (i, spec) in fields.iter().enumerate() {
        let value = rec.get(i);
        if let Some(text) = value.as_text() {
            if spec.length > 0 && text.chars().count() > spec.length as usize {
                return Err(RecordError::new(
                    "STRING_TOO_LONG",
                    format!(
                        "{}: data value too large: {text} (max length={})",
                        spec.label, spec.length
                    ),
                    &[spec.name],
                ));
            }
            if spec.ftype == FieldType::Email && !valid_email(text) {
                return Err(RecordError::new(
                    "INVALID_EMAIL_ADDRESS",
                    format!("{}: invalid email address: {text}", spec.label),
                    &[spec.name],
                ));
            }
        }
        if spec.ftype == FieldType::Reference
            && i > 0
            && let Some(id) = value.as_id()
        {
            check_reference(store, spec.name, spec.label, spec.reference_to, id)?;
        }
    }
    Ok(())
}

fn check_reference(
    store: &Store,
    name: &str,
    label: &str,
    to: &[&str],
    id: SfId,
) -> Result<(), RecordError> {
    let target = SObject::from_prefix(id.prefix()).map(SObject::name);
    let account = id.prefix() == "001" && to.contains(&"Account");
    if !account && !target.is_some_and(|t| to.contains(&t)) {
        return Err(RecordError::new(
            "FIELD_INTEGRITY_EXCEPTION",
            format!("{label}: id value of incorrect type: {id}"),
            &[name],
        ));
    }
    if !account && store.get(id).is_none_or(Record::is_deleted) {
        return Err(RecordError::new(
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            &[name],
        ));
    }
    Ok(())
}

/// A plausible address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub(crate) fn valid_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty())
}

/// Saves a checked record: a create gets its Id and CreatedDate; both get
/// LastModifiedDate and SystemModstamp `now`. Returns the Id.
pub(crate) fn commit(store: &mut Store, mut rec: Record, op: Op, now: Millis) -> SfId {
    let object = rec.object;
    if op == Op::Create && rec.id() == SfId::min() {
        let id = store.table_mut(object).next_id();
        let mut fresh = Record::new(object, id);
        for i in 1..object.fields().len() {
            fresh.set(i, rec.get(i).clone());
        }
        rec = fresh;
    }
    if op == Op::Create && matches!(rec.field("CreatedDate"), Value::Null) {
        rec.set_field("CreatedDate", Value::DateTime(now));
    }
    rec.set_field("LastModifiedDate", Value::DateTime(now));
    rec.set_field("SystemModstamp", Value::DateTime(now));
    let id = rec.id();
    store.table_mut(object).put(rec);
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Json, op: Op) -> Body {
        let Json::Object(map) = v else {
            panic!("object");
        };
        match read_body(SObject::Lead, &map, op, false) {
            Ok(b) => b,
            Err(e) => panic!("{e:?}"),
        }
    }

    fn code(store: &Store, b: &Body, op: Op, target: Option<SfId>) -> String {
        match check(store, b, op, target, false) {
            Ok(_) => "OK".into(),
            Err(e) => e.status_code,
        }
    }

    #[test]
    fn record_rules_give_salesforce_codes() {
        let mut store = Store::new();
        let ok = body(
            json!({"LastName": "A", "Company": "C", "Email": "a@b.io"}),
            Op::Create,
        );
        assert_eq!(code(&store, &ok, Op::Create, None), "OK");
        let no_company = body(json!({"LastName": "A"}), Op::Create);
        assert_eq!(
            code(&store, &no_company, Op::Create, None),
            "REQUIRED_FIELD_MISSING"
        );
        let bad_email = body(
            json!({"LastName": "A", "Company": "C", "Email": "nope"}),
            Op::Create,
        );
        assert_eq!(
            code(&store, &bad_email, Op::Create, None),
            "INVALID_EMAIL_ADDRESS"
        );
        let long = body(
            json!({"LastName": "x".repeat(81), "Company": "C"}),
            Op::Create,
        );
        assert_eq!(code(&store, &long, Op::Create, None), "STRING_TOO_LONG");
        let locked = body(
            json!({"LastName": "A", "Company": "C", "IsConverted": true}),
            Op::Create,
        );
        assert_eq!(
            code(&store, &locked, Op::Create, None),
            "INVALID_FIELD_FOR_INSERT_UPDATE"
        );
        let Ok(rec) = check(&store, &ok, Op::Create, None, false) else {
            panic!("valid");
        };
        let id = commit(&mut store, rec, Op::Create, 1_000);
        let blank = body(json!({"LastName": ""}), Op::Update);
        assert_eq!(
            code(&store, &blank, Op::Update, Some(id)),
            "REQUIRED_FIELD_MISSING"
        );
        let missing = SfId::new("00Q", 999);
        let any = body(json!({"Title": "x"}), Op::Update);
        assert_eq!(
            code(&store, &any, Op::Update, Some(missing)),
            "ENTITY_IS_DELETED"
        );
    }

    #[test]
    fn unknown_fields_and_wrong_json_types_fail_the_request() {
        let Json::Object(map) = json!({"Nope__c": 1}) else {
            panic!("object");
        };
        assert!(
            matches!(read_body(SObject::Lead, &map, Op::Create, false), Err(e) if e.code == "INVALID_FIELD")
        );
        let Json::Object(map) = json!({"HasOptedOutOfEmail": [1]}) else {
            panic!("object");
        };
        assert!(
            matches!(read_body(SObject::Lead, &map, Op::Create, false), Err(e) if e.code == "JSON_PARSER_ERROR")
        );
        assert!(valid_email("a.b@c.example"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("a b@c.io"));
    }
}
