//! Loading records from a JSON file and dumping them in the same shape:
//! `{"accounts":[{"$key":…,"AccountName":…,"ModifyDate":"…"}],"leads":[…],…}`.
//! References are `{"$key":…}`; dates are ISO 8601.

use std::path::Path;

use serde_json::{Map, Value as Json, json};

use crate::diagnose::Diagnosis;
use crate::json::value_json;
use crate::model::{FieldType, Kind, Record, Value};
use crate::payload::Payload;
use crate::render::{JsonDates, field_value};
use crate::server::FakeError;
use crate::store::Store;
use crate::write::{Opts, create_record};

/// Kinds in an order where references resolve (addresses, then accounts, then people
/// and opportunities, then the links between opportunities and contacts).
const LOAD_ORDER: [Kind; 8] = [
    Kind::LeadAddress,
    Kind::Address,
    Kind::Account,
    Kind::Lead,
    Kind::Contact,
    Kind::History,
    Kind::Opportunity,
    Kind::OpportunityContact,
];

/// Loads every record in `doc` into `store`; errors name the kind, position and field.
pub(crate) fn load_json(
    store: &mut Store,
    doc: &Json,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, String> {
    let obj = doc
        .as_object()
        .ok_or("the file must hold a JSON object keyed by resource kind (\"leads\": [...])")?;
    for name in obj.keys() {
        if Kind::from_plural(name).is_none() {
            return Err(format!("unknown resource kind '{name}'"));
        }
    }
    let mut loaded = 0;
    for kind in LOAD_ORDER {
        let Some((_, list)) = obj.iter().find(|(k, _)| Kind::from_plural(k) == Some(kind)) else {
            continue;
        };
        let list = list
            .as_array()
            .ok_or_else(|| format!("'{}' must be an array of records", kind.plural()))?;
        for (i, item) in list.iter().enumerate() {
            let fields = item
                .as_object()
                .ok_or_else(|| format!("{}[{i}] is not an object", kind.plural()))?;
            let payload = Payload::from_json(fields);
            let opts = Opts {
                now,
                server_fields: true,
                rules: &[],
                user: crate::seed::ADMIN_USER_ID,
            };
            create_record(store, kind, &payload, opts)
                .map_err(|d: Diagnosis| format!("{}[{i}]: {}", kind.plural(), d.message))?;
            loaded += 1;
        }
    }
    Ok(loaded)
}

/// Loads a JSON data file.
pub(crate) fn load_file(store: &mut Store, path: &Path) -> Result<(), FakeError> {
    let err = |message: String| FakeError::DataFile {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let doc: Json = serde_json::from_str(&text).map_err(|e| err(format!("invalid JSON: {e}")))?;
    let now = chrono::Utc::now();
    load_json(store, &doc, now).map_err(err)?;
    Ok(())
}

/// One record in the dump/load shape.
pub(crate) fn dump_record(kind: Kind, rec: &Record) -> Json {
    let mut out = Map::new();
    out.insert("$key".into(), json!(rec.key));
    out.insert("$etag".into(), json!(rec.etag));
    for field in kind.def().fields {
        let Some(v) = field_value(rec, field) else {
            continue;
        };
        let value = match (field.ty, v.as_ref()) {
            (FieldType::Reference { .. }, Value::Text(k)) => json!({"$key": k.as_str()}),
            (_, v) => value_json(v, JsonDates::Iso),
        };
        out.insert(field.name.into(), value);
    }
    Json::Object(out)
}

/// Every record of every kind in the load shape.
pub(crate) fn dump_all(store: &Store) -> Json {
    let mut out = Map::new();
    for kind in Kind::ALL {
        let list: Vec<Json> = store.records(kind).map(|r| dump_record(kind, r)).collect();
        out.insert(kind.plural().into(), Json::Array(list));
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{SeedSpec, generate};

    #[test]
    fn a_dump_loads_back_into_the_same_records() {
        let mut store = Store::new(3);
        generate(
            &mut store,
            SeedSpec {
                leads: 20,
                contacts: 20,
                accounts: 5,
                opportunities: 7,
                seed: 3,
            },
        );
        let dump = dump_all(&store);
        let mut copy = Store::new(4);
        let loaded = load_json(&mut copy, &dump, chrono::Utc::now());
        assert_eq!(loaded, Ok(20 + 20 + 5 + 20 + 25 + 7));
        for kind in Kind::ALL {
            let a: Vec<_> = store
                .records(kind)
                .map(|r| (&r.key, &r.fields, r.modify_date, r.create_date))
                .collect();
            let b: Vec<_> = copy
                .records(kind)
                .map(|r| (&r.key, &r.fields, r.modify_date, r.create_date))
                .collect();
            assert_eq!(a, b, "{kind} differs after a round trip");
        }
    }

    #[test]
    fn errors_name_the_record_and_field() {
        let mut store = Store::new(1);
        let doc =
            json!({"leads": [{"LastName": "Smith", "Company": "Acme"}, {"LastName": "Jones"}]});
        let err = load_json(&mut store, &doc, chrono::Utc::now());
        assert!(matches!(err, Err(m) if m.contains("leads[1]") && m.contains("Company")));
    }
}
