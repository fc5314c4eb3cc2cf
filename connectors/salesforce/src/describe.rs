//! `sobjects/{Type}/describe` → the SDK's field definitions, and the per-entity
//! [`Schema`] every query and write is checked against (fetched once per connector).
//!
//! Type mapping: `boolean` → Boolean; `int` → Integer; `double`, `currency`, `percent`
//! → Decimal; `datetime` → DateTime; `date` → Date; `id` and `reference` → Reference;
//! everything else (`string`, `email`, `phone`, `url`, `picklist`, `textarea`, …) → Text.
//! `required` is `!nillable && createable && !defaultedOnCreate` (a guess: Salesforce
//! documents no single "required" flag; this is what its own UIs treat as required).
//! `read_only` is neither `createable` nor `updateable`.

use listbridge_connector::{ConnectorError, EntityKind, FieldDef, FieldType};
use serde::Deserialize;

/// The Salesforce object behind an entity.
pub(crate) fn sobject(entity: EntityKind) -> &'static str {
    match entity {
        EntityKind::Lead => "Lead",
        EntityKind::Contact => "Contact",
    }
}

/// One field as `describe` answers it (the properties the connector uses).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Described {
    name: String,
    #[serde(default)]
    label: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    length: u32,
    #[serde(default)]
    createable: bool,
    #[serde(default)]
    updateable: bool,
    #[serde(default = "yes")]
    nillable: bool,
    #[serde(default)]
    defaulted_on_create: bool,
    #[serde(default)]
    custom: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
struct DescribeBody {
    fields: Vec<Described>,
}

/// The described fields of one entity.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    /// The entity described.
    pub entity: EntityKind,
    /// Every field, as the SDK defines them.
    pub fields: Vec<FieldDef>,
}

fn field_type(kind: &str) -> FieldType {
    match kind {
        "boolean" => FieldType::Boolean,
        "int" | "long" => FieldType::Integer,
        "double" | "currency" | "percent" => FieldType::Decimal,
        "datetime" => FieldType::DateTime,
        "date" => FieldType::Date,
        "id" | "reference" => FieldType::Reference,
        _ => FieldType::Text,
    }
}

impl Schema {
    /// Reads a `describe` answer.
    pub fn parse(entity: EntityKind, body: &str) -> Result<Schema, String> {
        let parsed: DescribeBody =
            serde_json::from_str(body).map_err(|e| format!("unreadable describe answer: {e}"))?;
        let fields = parsed
            .fields
            .into_iter()
            .map(|d| {
                let field_type = field_type(&d.kind);
                FieldDef {
                    label: if d.label.is_empty() {
                        d.name.clone()
                    } else {
                        d.label
                    },
                    name: d.name,
                    field_type,
                    max_length: (field_type == FieldType::Text && d.length > 0).then_some(d.length),
                    required: !d.nillable && d.createable && !d.defaulted_on_create,
                    read_only: !d.createable && !d.updateable,
                    custom: d.custom,
                }
            })
            .collect();
        Ok(Schema { entity, fields })
    }

    /// The field named `name` (any case), or an error naming it: a name never reaches a
    /// query or a write unless Salesforce described it.
    pub fn field(&self, name: &str) -> Result<&FieldDef, ConnectorError> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| ConnectorError::Invalid {
                message: format!(
                    "Salesforce's {} has no field '{name}'",
                    sobject(self.entity)
                ),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_and_read_only_follow_the_flags() {
        let body = r#"{"fields":[
            {"name":"LastName","label":"Last Name","type":"string","length":80,"createable":true,"updateable":true,"nillable":false,"defaultedOnCreate":false,"custom":false},
            {"name":"Status","label":"Status","type":"picklist","length":255,"createable":true,"updateable":true,"nillable":false,"defaultedOnCreate":true,"custom":false},
            {"name":"SystemModstamp","label":"System Modstamp","type":"datetime","length":0,"createable":false,"updateable":false,"nillable":false,"defaultedOnCreate":true,"custom":false},
            {"name":"Score__c","label":"Score","type":"double","length":0,"createable":true,"updateable":true,"nillable":true,"custom":true}
        ]}"#;
        let schema = Schema::parse(EntityKind::Lead, body).unwrap_or_else(|e| panic!("{e}"));
        let f = |n: &str| schema.field(n).unwrap_or_else(|e| panic!("{e}")).clone();
        assert!(f("lastname").required);
        assert_eq!(f("LastName").max_length, Some(80));
        assert!(!f("Status").required);
        assert!(f("SystemModstamp").read_only);
        assert_eq!(f("SystemModstamp").field_type, FieldType::DateTime);
        assert!(f("Score__c").custom);
        assert!(schema.field("Nope").is_err());
    }
}
