//! `describe` and the object lists: what a connector reads to learn fields, types,
//! lengths, writability and picklist values.

use serde_json::{Value as Json, json};

use crate::schema::{ALL, FieldSpec, FieldType, SObject};

fn urls(object: SObject, version: &str) -> Json {
    let base = format!("/services/data/{version}/sobjects/{}", object.name());
    json!({
        "sobject": base,
        "describe": format!("{base}/describe"),
        "rowTemplate": format!("{base}/{{ID}}"),
    })
}

fn summary(object: SObject, version: &str) -> Json {
    json!({
        "name": object.name(),
        "label": object.name(),
        "labelPlural": object.label_plural(),
        "keyPrefix": object.prefix(),
        "custom": false,
        "createable": true,
        "updateable": true,
        "deletable": true,
        "queryable": true,
        "searchable": true,
        "urls": urls(object, version),
    })
}

/// `GET /sobjects`: every served object.
pub(crate) fn global(version: &str) -> Json {
    let list: Vec<Json> = ALL.iter().map(|o| summary(*o, version)).collect();
    json!({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": list})
}

/// `GET /sobjects/{Type}`: the object's summary.
pub(crate) fn basic(object: SObject, version: &str) -> Json {
    json!({"objectDescribe": summary(object, version), "recentItems": []})
}

fn field(spec: &FieldSpec) -> Json {
    let picklist: Vec<Json> = spec
        .picklist
        .iter()
        .map(|v| {
            json!({
                "active": true,
                "defaultValue": spec.default_on_create == Some(*v),
                "label": v,
                "value": v,
                "validFor": null,
            })
        })
        .collect();
    let text = spec.ftype.is_text() || spec.ftype.is_id();
    let (precision, scale) = if spec.ftype == FieldType::Double {
        (18, 0)
    } else {
        (0, 0)
    };
    json!({
        "name": spec.name,
        "label": spec.label,
        "type": spec.ftype.describe_name(),
        "soapType": spec.ftype.soap_type(),
        "length": if text { spec.length } else { 0 },
        "byteLength": if text { spec.length * 3 } else { 0 },
        "precision": precision,
        "scale": scale,
        "createable": spec.createable,
        "updateable": spec.updateable,
        "nillable": spec.nillable,
        "defaultedOnCreate": spec.default_on_create.is_some() || !spec.createable,
        "custom": spec.custom,
        "calculated": false,
        "filterable": spec.filterable,
        "sortable": spec.filterable,
        "unique": false,
        "externalId": false,
        "idLookup": spec.ftype == FieldType::Id || spec.ftype == FieldType::Email,
        "picklistValues": picklist,
        "referenceTo": spec.reference_to,
        "relationshipName": if spec.ftype == FieldType::Reference {
            Json::String(spec.name.trim_end_matches("Id").to_string())
        } else {
            Json::Null
        },
    })
}

/// `GET /sobjects/{Type}/describe`.
pub(crate) fn describe(object: SObject, version: &str) -> Json {
    let mut out = summary(object, version);
    out["fields"] = Json::Array(object.fields().iter().map(field).collect());
    out
}
