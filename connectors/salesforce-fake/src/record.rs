//! One stored record: its object type and one typed value per schema field.

use serde_json::{Map, Value as Json};

use crate::id::SfId;
use crate::schema::SObject;
use crate::time::Millis;
use crate::value::Value;

/// A record of one sObject: `values[i]` is the value of `object.fields()[i]`; position 0
/// holds the Id.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The record's object type.
    pub object: SObject,
    values: Box<[Value]>,
}

impl Record {
    /// A record of `object` with Id `id` and every other field null.
    pub fn new(object: SObject, id: SfId) -> Record {
        let mut values = vec![Value::Null; object.fields().len()].into_boxed_slice();
        values[0] = Value::Id(id);
        Record { object, values }
    }

    /// The Id.
    pub fn id(&self) -> SfId {
        self.values[0].as_id().unwrap_or_else(SfId::min)
    }

    /// The value at schema position `idx` (null when out of range).
    pub fn get(&self, idx: usize) -> &Value {
        self.values.get(idx).unwrap_or(&Value::Null)
    }

    /// The value of the field named `name` (null when there is none).
    pub fn field(&self, name: &str) -> &Value {
        match self.object.field_index(name) {
            Some(i) => self.get(i),
            None => &Value::Null,
        }
    }

    /// Sets the value at schema position `idx` (the Id at 0 cannot change).
    pub fn set(&mut self, idx: usize, value: Value) {
        if idx > 0
            && let Some(slot) = self.values.get_mut(idx)
        {
            *slot = value;
        }
    }

    /// Sets the field named `name`, if the object has it.
    pub fn set_field(&mut self, name: &str, value: Value) {
        if let Some(i) = self.object.field_index(name) {
            self.set(i, value);
        }
    }

    /// SystemModstamp in milliseconds (0 when unset).
    pub fn stamp(&self) -> Millis {
        self.field("SystemModstamp").as_millis().unwrap_or(0)
    }

    /// Whether the record is in the recycle bin.
    pub fn is_deleted(&self) -> bool {
        self.field("IsDeleted").is_true()
    }

    /// Whether this is a converted lead.
    pub fn is_converted(&self) -> bool {
        self.field("IsConverted").is_true()
    }

    /// The REST JSON of the fields at `positions`, after an `attributes` map.
    pub fn to_json(&self, version: &str, positions: &[usize]) -> Json {
        let mut map = Map::new();
        map.insert("attributes".into(), self.attributes(version));
        let fields = self.object.fields();
        for &i in positions {
            if let Some(spec) = fields.get(i) {
                map.insert(spec.name.into(), self.get(i).to_json());
            }
        }
        Json::Object(map)
    }

    /// The REST JSON of every field.
    pub fn to_json_all(&self, version: &str) -> Json {
        let all: Vec<usize> = (0..self.values.len()).collect();
        self.to_json(version, &all)
    }

    /// `{"type": "Lead", "url": "/services/data/v62.0/sobjects/Lead/00Q…"}`.
    pub fn attributes(&self, version: &str) -> Json {
        serde_json::json!({
            "type": self.object.name(),
            "url": format!("/services/data/{version}/sobjects/{}/{}", self.object.name(), self.id()),
        })
    }
}
