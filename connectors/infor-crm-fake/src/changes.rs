//! CRM-side changes, as a CRM user (or a bulk update) would make them, plus fault
//! control: the in-process [`FakeState`] methods that `/_admin` exposes over HTTP.

use chrono::{DateTime, TimeDelta, Utc};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::diagnose::{Diagnosis, SdataCode};
use crate::faults::{Engine, FaultConfig};
use crate::model::{Kind, Record};
use crate::payload::Payload;
use crate::state::FakeState;
use crate::write::{Opts, WriteError, create_record, delete_record, update_record};

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.plural())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        let name = String::deserialize(d)?;
        Kind::from_plural(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown resource kind '{name}'")))
    }
}

/// Which records to change and how.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateSpec {
    /// The records, by key. When empty, the first `count` records in key order.
    #[serde(default)]
    pub keys: Vec<String>,
    /// How many records when `keys` is empty.
    #[serde(default)]
    pub count: Option<usize>,
    /// Field values to set (`null` clears), e.g. `{"Title":"CTO","DoNotEmail":true}`.
    #[serde(default)]
    pub set: Map<String, Json>,
    /// The ModifyDate every changed record gets; default: the server clock's now.
    #[serde(default)]
    pub modify_date: Option<DateTime<Utc>>,
    /// Give the records distinct ModifyDates one second apart (ending at the chosen
    /// date) instead of one identical bulk-update date.
    #[serde(default)]
    pub distinct_dates: bool,
}

/// A request to change records of one kind (the `/_admin/update` body).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordUpdate {
    /// The resource kind (`leads`).
    pub kind: Kind,
    /// What to change.
    #[serde(flatten)]
    pub spec: UpdateSpec,
}

/// A record to add as if a CRM user typed it in (the `/_admin/insert` body).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewRecord {
    /// The resource kind (`leads`).
    pub kind: Kind,
    /// Field values (`{"LastName":"Smith","Company":"Acme","Address":{"City":"Austin"}}`);
    /// may include `$key`, `CreateDate` and `ModifyDate`.
    pub fields: Map<String, Json>,
}

/// Names the record a multi-record change failed on and says nothing was changed.
fn nothing_changed(mut d: Diagnosis, kind: Kind, key: &str, of: usize) -> Diagnosis {
    let prefix = format!("{} '{key}'", kind.def().name);
    if !d.message.contains(&prefix) {
        d.message = format!("{prefix}: {}", d.message);
    }
    if of > 1 {
        d.message = format!("{}; none of the {of} records was changed", d.message);
    }
    d
}

fn diag(e: WriteError) -> Diagnosis {
    match e {
        WriteError::Diag(d) => d,
        WriteError::Stale(r) => Diagnosis::new(
            StatusCode::PRECONDITION_FAILED,
            SdataCode::ApplicationDiagnosis,
            format!("record '{}' changed concurrently", r.key),
        ),
    }
}

impl FakeState {
    /// Replaces the active faults (the RNG restarts from the new seed).
    pub fn set_faults(&self, config: FaultConfig) {
        *self.faults_mut() = Engine::new(config);
    }

    /// Switches every fault off.
    pub fn clear_faults(&self) {
        self.set_faults(FaultConfig::default());
    }

    /// The active faults (rules with `next` show what is left).
    pub fn faults(&self) -> FaultConfig {
        self.faults_mut().config().clone()
    }

    /// Changes fields of several records like a CRM user or a bulk update would: each
    /// changed record gets a new etag and the chosen ModifyDate. Returns the keys changed.
    /// All or nothing: when one record cannot be changed (no such key, a bad value), the
    /// error names it and no record is changed.
    pub fn update_records(&self, kind: Kind, spec: &UpdateSpec) -> Result<Vec<String>, Diagnosis> {
        let mut store = self.write();
        let keys: Vec<String> = if spec.keys.is_empty() {
            let Some(n) = spec.count else {
                return Err(Diagnosis::new(
                    StatusCode::BAD_REQUEST,
                    SdataCode::ApplicationDiagnosis,
                    "say which records: \"keys\" or \"count\"",
                ));
            };
            store.records(kind).take(n).map(|r| r.key.clone()).collect()
        } else {
            spec.keys.clone()
        };
        let at = spec.modify_date.unwrap_or_else(|| self.clock().now());
        let payload = Payload::from_json(&spec.set);
        let total = keys.len() as i64;
        store.atomically(|store| {
            for (i, key) in keys.iter().enumerate() {
                let date = if spec.distinct_dates {
                    at - TimeDelta::seconds(total - 1 - i as i64)
                } else {
                    at
                };
                let mut p = payload.clone();
                p.fields.push((
                    "ModifyDate".into(),
                    crate::payload::PValue::Text(date.to_rfc3339()),
                ));
                let opts = Opts {
                    now: date,
                    server_fields: true,
                    rules: &[],
                    user: crate::seed::ADMIN_USER_ID,
                };
                update_record(store, kind, key, &p, None, opts)
                    .map_err(|e| nothing_changed(diag(e), kind, key, keys.len()))?;
            }
            Ok(keys.clone())
        })
    }

    /// Sets one record's email (`Email`) as a CRM user would.
    pub fn set_email(&self, kind: Kind, key: &str, email: &str) -> Result<(), Diagnosis> {
        let mut set = Map::new();
        set.insert("Email".into(), Json::String(email.to_string()));
        let spec = UpdateSpec {
            keys: vec![key.to_string()],
            set,
            ..UpdateSpec::default()
        };
        self.update_records(kind, &spec).map(|_| ())
    }

    /// Stores `text` in one field of one record as it is, skipping the schema's type
    /// check. Real CRMs often keep custom fields such as `LeadScore` as text, so a
    /// record may hold "n/a" where the fake's schema types a number; tests of callers'
    /// routing need such a value to show a numeric rule falling through.
    pub fn set_text_unchecked(
        &self,
        kind: Kind,
        key: &str,
        field: &str,
        text: &str,
    ) -> Result<(), Diagnosis> {
        let name = kind.def().name;
        let def = kind
            .def()
            .field(field)
            .ok_or_else(|| Diagnosis::not_found(format!("{name}.{field} is not a field")))?;
        let mut store = self.write();
        let mut record = store
            .get(kind, key)
            .cloned()
            .ok_or_else(|| Diagnosis::not_found(format!("{name} '{key}' not found")))?;
        record
            .fields
            .insert(def.name, crate::model::Value::Text(text.into()));
        record.etag = store.new_etag();
        store.put(kind, record);
        Ok(())
    }

    /// Sets one record's `DoNotEmail` opt-out flag.
    pub fn set_do_not_email(&self, kind: Kind, key: &str, value: bool) -> Result<(), Diagnosis> {
        let mut set = Map::new();
        set.insert("DoNotEmail".into(), Json::Bool(value));
        let spec = UpdateSpec {
            keys: vec![key.to_string()],
            set,
            ..UpdateSpec::default()
        };
        self.update_records(kind, &spec).map(|_| ())
    }

    /// Adds several records of one kind, all or nothing: when one is refused, the error
    /// names it (by its place in the list) and none is added. Returns them as stored.
    pub fn insert_records(
        &self,
        kind: Kind,
        items: &[Map<String, Json>],
    ) -> Result<Vec<Record>, Diagnosis> {
        let mut store = self.write();
        let opts = Opts {
            now: self.clock().now(),
            server_fields: true,
            rules: &[],
            user: crate::seed::ADMIN_USER_ID,
        };
        store.atomically(|store| {
            let mut added = Vec::with_capacity(items.len());
            for (i, fields) in items.iter().enumerate() {
                let (key, _) = create_record(store, kind, &Payload::from_json(fields), opts)
                    .map_err(|mut d| {
                        d.message = format!(
                            "record {} of {}: {}; no record was added",
                            i + 1,
                            items.len(),
                            d.message
                        );
                        d
                    })?;
                let rec = store.get(kind, &key).cloned().ok_or_else(|| {
                    Diagnosis::not_found(format!("{} '{key}' vanished", kind.def().name))
                })?;
                added.push(rec);
            }
            Ok(added)
        })
    }

    /// Adds a record with the same validation as a POST; returns it as stored.
    pub fn insert_record(
        &self,
        kind: Kind,
        fields: &Map<String, Json>,
    ) -> Result<Record, Diagnosis> {
        let mut store = self.write();
        let opts = Opts {
            now: self.clock().now(),
            server_fields: true,
            rules: &[],
            user: crate::seed::ADMIN_USER_ID,
        };
        let (key, _) = create_record(&mut store, kind, &Payload::from_json(fields), opts)?;
        store
            .get(kind, &key)
            .cloned()
            .ok_or_else(|| Diagnosis::not_found(format!("{} '{key}' vanished", kind.def().name)))
    }

    /// Deletes records by key; returns the keys that existed and are now gone.
    pub fn delete_records(&self, kind: Kind, keys: &[String]) -> Vec<String> {
        let mut store = self.write();
        keys.iter()
            .filter(|k| delete_record(&mut store, kind, k, None).is_ok())
            .cloned()
            .collect()
    }

    /// Every record of `kind` in the dump/load JSON shape.
    pub fn dump(&self, kind: Kind) -> Json {
        let store = self.read();
        Json::Array(
            store
                .records(kind)
                .map(|r| crate::load::dump_record(kind, r))
                .collect(),
        )
    }

    /// Every record of every kind in the data-file shape (`--data` can load it back).
    pub fn dump_all(&self) -> Json {
        crate::load::dump_all(&self.read())
    }
}
