//! SData JSON feeds and entries: `$resources`, `$key`, `$etag`, `$url`, `{"$key":…}`
//! references and nested single records; writing entries and `$batch` bodies.

use serde_json::{Map, Value};

use crate::{
    diagnoses,
    wire::{OutEntry, OutNode, OutValue, RawValue, WireEntry, WireFeed},
};

/// A parsed JSON body: a feed page or one entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonDoc {
    /// An object with `$resources`.
    Feed(WireFeed),
    /// A bare entry object.
    Entry(WireEntry),
}

/// Why a JSON body could not be read as SData.
#[derive(Debug, thiserror::Error)]
#[error("malformed SData JSON: {0}")]
pub(crate) struct JsonError(String);

/// Parses a JSON feed or entry.
pub(crate) fn parse(body: &str) -> Result<JsonDoc, JsonError> {
    let value: Value = serde_json::from_str(body).map_err(|e| JsonError(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(JsonError("expected an object".into()));
    };
    match map.get("$resources") {
        Some(Value::Array(items)) => {
            let entries = items
                .iter()
                .map(|item| match item {
                    Value::Object(entry_map) => Ok(entry(entry_map)),
                    _ => Err(JsonError("an item of $resources is not an object".into())),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(JsonDoc::Feed(WireFeed {
                entries,
                total_results: number(&map, "$totalResults"),
                start_index: number(&map, "$startIndex"),
                items_per_page: number(&map, "$itemsPerPage"),
                next: string(&map, "$next"),
            }))
        }
        Some(_) => Err(JsonError("$resources is not an array".into())),
        None => Ok(JsonDoc::Entry(entry(&map))),
    }
}

fn number(map: &Map<String, Value>, name: &str) -> Option<u64> {
    match map.get(name)? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn string(map: &Map<String, Value>, name: &str) -> Option<String> {
    match map.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn entry(map: &Map<String, Value>) -> WireEntry {
    let mut out = WireEntry {
        key: string(map, "$key")
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty()),
        etag: string(map, "$etag"),
        url: string(map, "$url"),
        http_status: number(map, "$httpStatus").and_then(|n| u16::try_from(n).ok()),
        http_message: string(map, "$httpMessage"),
        location: string(map, "$location"),
        diagnoses: map
            .get("$diagnoses")
            .map(diagnoses::from_json)
            .unwrap_or_default(),
        ..WireEntry::default()
    };
    for (name, value) in map.iter().filter(|(name, _)| !name.starts_with('$')) {
        match value {
            Value::Object(nested) => flatten_nested(name, nested, &mut out.fields),
            Value::Array(_) => {}
            simple => out.fields.push((name.clone(), raw(simple))),
        }
    }
    out
}

fn raw(value: &Value) -> RawValue {
    match value {
        Value::Null => RawValue::Null,
        Value::Bool(b) => RawValue::Bool(*b),
        Value::Number(n) => RawValue::Number(n.to_string()),
        Value::String(s) => RawValue::Text(s.clone()),
        Value::Array(_) | Value::Object(_) => RawValue::Null,
    }
}

/// A related record: `{"$key":…}` alone is a reference; with properties it is flattened
/// to `Rel.Field`; a collection (`$resources`, or `$url` without `$key`) is skipped.
fn flatten_nested(name: &str, nested: &Map<String, Value>, fields: &mut Vec<(String, RawValue)>) {
    if nested.contains_key("$resources")
        || (nested.contains_key("$url") && !nested.contains_key("$key"))
    {
        return;
    }
    let properties: Vec<(&String, &Value)> =
        nested.iter().filter(|(k, _)| !k.starts_with('$')).collect();
    if properties.is_empty() {
        if let Some(key) = string(nested, "$key")
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
        {
            fields.push((name.to_string(), RawValue::Ref(key)));
        }
        return;
    }
    for (child, value) in properties {
        let child_name = format!("{name}.{child}");
        match value {
            Value::Object(reference) => {
                if let Some(key) = string(reference, "$key").map(|k| k.trim().to_string()) {
                    fields.push((child_name, RawValue::Ref(key)));
                }
            }
            Value::Array(_) => {}
            simple => fields.push((child_name, raw(simple))),
        }
    }
}

/// The JSON object of one entry (for POST/PUT, or inside `$batch`).
pub(crate) fn entry_value(entry: &OutEntry) -> Value {
    let mut map = Map::new();
    if let Some(method) = entry.batch_method {
        map.insert("$httpMethod".into(), Value::String(method.as_str().into()));
    }
    if let Some(url) = &entry.url {
        map.insert("$url".into(), Value::String(url.clone()));
    }
    if let Some(key) = &entry.key {
        map.insert("$key".into(), Value::String(key.clone()));
    }
    if let Some(etag) = &entry.if_match {
        map.insert("$ifMatch".into(), Value::String(etag.clone()));
    }
    map.insert("$name".into(), Value::String(entry.entity_name.into()));
    for (name, node) in &entry.fields {
        let value = match node {
            OutNode::Value(value) => out_value(value),
            OutNode::Group(children) => Value::Object(
                children
                    .iter()
                    .map(|(child, value)| (child.clone(), out_value(value)))
                    .collect(),
            ),
        };
        map.insert(name.clone(), value);
    }
    Value::Object(map)
}

fn out_value(value: &OutValue) -> Value {
    match value {
        OutValue::Null => Value::Null,
        OutValue::Text(text) => Value::String(text.clone()),
        OutValue::Bool(flag) => Value::Bool(*flag),
        // Validated digits; fall back to a string if serde_json cannot hold the number.
        OutValue::Number(text) => serde_json::from_str::<serde_json::Number>(text)
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(text.clone())),
        OutValue::Ref(key) => {
            let mut reference = Map::new();
            reference.insert("$key".into(), Value::String(key.clone()));
            Value::Object(reference)
        }
    }
}

/// Writes one entry body.
pub(crate) fn write_entry(entry: &OutEntry) -> String {
    entry_value(entry).to_string()
}

/// Writes a `$batch` body: `{"$resources":[…]}`.
pub(crate) fn write_batch(entries: &[OutEntry]) -> String {
    let mut map = Map::new();
    map.insert(
        "$resources".into(),
        Value::Array(entries.iter().map(entry_value).collect()),
    );
    Value::Object(map).to_string()
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
