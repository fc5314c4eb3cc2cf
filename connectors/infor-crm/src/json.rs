//! SData JSON feeds and entries: `$resources`, `$key`, `$etag`, `$url`, `{"$key":…}`
//! references and nested single records; writing entries and `$batch` bodies.

use serde_json::{Map, Value};

use crate::{
    diagnoses,
    wire::{MAX_RELATION_NAME, OutEntry, OutNode, OutValue, RawValue, WireEntry, WireFeed},
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
    if name.len() > MAX_RELATION_NAME {
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
mod tests {
    //! JSON parsing and writing against hand-written samples in the shapes Infor CRM's
    //! SData JSON format takes (`$resources`, `$key`, `$etag`, `$url`, `/Date(ms)/` dates).

    use super::*;
    use crate::wire::BatchMethod;

    const FEED: &str = r#"{"$url":"http://10.40.201.25/sdata/slx/dynamic/-/leads?startIndex=1&count=2&format=json",
 "$totalResults":15,"$startIndex":1,"$itemsPerPage":2,
 "$first":"http://10.40.201.25/sdata/slx/dynamic/-/leads?startIndex=1&count=2&format=json",
 "$next":"http://10.40.201.25/sdata/slx/dynamic/-/leads?startIndex=3&count=2&format=json",
 "$resources":[
  {"$httpStatus":200,"$etag":"D5GhoP////8=","$descriptor":"Hogan, Lee","$key":"LDEMOA00000I  ",
   "$url":"http://10.40.201.25/sdata/slx/dynamic/-/leads('LDEMOA00000I')",
   "FirstName":"Lee","LastName":"O'Hogan","Email":"lee@example.com","Title":null,
   "LeadScore":17,"Revenue":601069883.0,"DoNotEmail":false,
   "Owner":{"$key":"SYST00000001"},
   "Address":{"$name":"Address","$key":"aGHEA0002738","$url":".../addresses('aGHEA0002738')","City":"Chicago","IsPrimary":"true","CreateUser":"ADMIN       "},
   "Addresses":{"$url":".../leadAddresses?where=LeadId","$resources":[]},
   "ModifyDate":"/Date(1371247200000+0300)/"},
  {"$key":"LDEMOA00000J","$url":"http://10.40.201.25/sdata/slx/dynamic/-/leads('LDEMOA00000J')",
   "LastName":"Two","ModifyDate":"2013-06-14T22:00:00Z"}
 ]}"#;

    fn text(s: &str) -> RawValue {
        RawValue::Text(s.to_string())
    }

    #[test]
    fn feed_with_references_nested_records_and_both_date_forms() {
        let Ok(JsonDoc::Feed(feed)) = parse(FEED) else {
            panic!("not a feed")
        };
        assert_eq!(feed.total_results, Some(15));
        assert_eq!(feed.start_index, Some(1));
        assert_eq!(feed.items_per_page, Some(2));
        assert_eq!(
            feed.next.as_deref(),
            Some("http://10.40.201.25/sdata/slx/dynamic/-/leads?startIndex=3&count=2&format=json")
        );
        let first = &feed.entries[0];
        assert_eq!(first.key.as_deref(), Some("LDEMOA00000I"));
        assert_eq!(first.etag.as_deref(), Some("D5GhoP////8="));
        assert_eq!(first.http_status, Some(200));
        let get = |name: &str| {
            first
                .fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("LastName"), Some(text("O'Hogan")));
        assert_eq!(get("Title"), Some(RawValue::Null));
        assert_eq!(get("LeadScore"), Some(RawValue::Number("17".into())));
        assert_eq!(get("Revenue"), Some(RawValue::Number("601069883.0".into())));
        assert_eq!(get("DoNotEmail"), Some(RawValue::Bool(false)));
        assert_eq!(get("Owner"), Some(RawValue::Ref("SYST00000001".into())));
        assert_eq!(get("Address.City"), Some(text("Chicago")));
        assert_eq!(get("Address.CreateUser"), Some(text("ADMIN       ")));
        assert_eq!(get("Address"), None);
        assert_eq!(get("Addresses"), None);
        assert_eq!(get("ModifyDate"), Some(text("/Date(1371247200000+0300)/")));
        assert_eq!(
            feed.entries[1].get_text("ModifyDate"),
            Some("2013-06-14T22:00:00Z")
        );
    }

    impl WireEntry {
        fn get_text(&self, name: &str) -> Option<&str> {
            self.fields
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, v)| match v {
                    RawValue::Text(t) => Some(t.as_str()),
                    _ => None,
                })
        }
    }

    #[test]
    fn single_entry_and_key_from_url() {
        let body = r#"{"$url":"https://h/sdata/slx/dynamic/-/leads('LNEW00000001')","$etag":"e1","LastName":"X"}"#;
        let Ok(JsonDoc::Entry(entry)) = parse(body) else {
            panic!("not an entry")
        };
        assert_eq!(entry.key, None);
        assert_eq!(entry.effective_key().as_deref(), Some("LNEW00000001"));
        assert_eq!(entry.etag.as_deref(), Some("e1"));
    }

    #[test]
    fn malformed_bodies() {
        assert!(parse("{\"$resources\":[").is_err());
        assert!(parse("[1,2]").is_err());
        assert!(parse("{\"$resources\":{}}").is_err());
        assert!(parse("<html></html>").is_err());
    }

    #[test]
    fn batch_response_with_statuses_and_diagnoses() {
        let body = r#"{"$resources":[
        {"$httpStatus":201,"$key":"LNEW00000001","$etag":"e","$location":"https://h/x/leads('LNEW00000001')","LastName":"A"},
        {"$httpStatus":412,"$httpMessage":"Precondition Failed","$key":"K2","$etag":"new"},
        {"$httpStatus":400,"$diagnoses":[{"severity":"error","sdataCode":"ApplicationDiagnosis","message":"Company is required"}]}]}"#;
        let Ok(JsonDoc::Feed(feed)) = parse(body) else {
            panic!("not a feed")
        };
        let statuses: Vec<_> = feed.entries.iter().map(|e| e.http_status).collect();
        assert_eq!(statuses, vec![Some(201), Some(412), Some(400)]);
        assert_eq!(feed.entries[2].diagnoses[0].message, "Company is required");
    }

    fn sample(batch: Option<BatchMethod>) -> OutEntry {
        OutEntry {
            entity_name: "Lead",
            fields: vec![
                (
                    "FirstName".into(),
                    OutNode::Value(OutValue::Text("Ann \"Q\" O'Neil".into())),
                ),
                ("Title".into(), OutNode::Value(OutValue::Null)),
                ("Newsletter".into(), OutNode::Value(OutValue::Bool(true))),
                (
                    "LeadScore".into(),
                    OutNode::Value(OutValue::Number("42".into())),
                ),
                (
                    "Owner".into(),
                    OutNode::Value(OutValue::Ref("SYST00000001".into())),
                ),
                (
                    "Address".into(),
                    OutNode::Group(vec![("City".into(), OutValue::Text("Chicago".into()))]),
                ),
            ],
            batch_method: batch,
            url: batch.map(|_| "https://h/x/leads('K1')".into()),
            key: batch.map(|_| "K1".into()),
            if_match: batch.map(|_| "etag1".into()),
        }
    }

    #[test]
    fn written_entry_has_typed_values_and_reads_back() {
        let body = write_entry(&sample(None));
        let value: Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(value["$name"], "Lead");
        assert_eq!(value["Title"], Value::Null);
        assert_eq!(value["Newsletter"], Value::Bool(true));
        assert_eq!(value["LeadScore"], serde_json::json!(42));
        assert_eq!(value["Owner"], serde_json::json!({"$key":"SYST00000001"}));
        assert_eq!(value["Address"], serde_json::json!({"City":"Chicago"}));
        let Ok(JsonDoc::Entry(entry)) = parse(&body) else {
            panic!("not an entry")
        };
        assert_eq!(entry.get_text("FirstName"), Some("Ann \"Q\" O'Neil"));
    }

    #[test]
    fn written_batch() {
        let body = write_batch(&[
            sample(Some(BatchMethod::Put)),
            sample(Some(BatchMethod::Post)),
        ]);
        let value: Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(value["$resources"][0]["$httpMethod"], "PUT");
        assert_eq!(value["$resources"][0]["$ifMatch"], "etag1");
        assert_eq!(value["$resources"][0]["$url"], "https://h/x/leads('K1')");
        assert_eq!(value["$resources"][1]["$httpMethod"], "POST");
    }
}
