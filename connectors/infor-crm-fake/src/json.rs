//! JSON rendering: `$resources` feeds, entries with `$key`/`$etag`/`$url`, and
//! references as `{"$key": …}`.

use serde_json::{Map, Value as Json, json};

use crate::derive::descriptor;
use crate::model::{FieldType, Kind, Record, Value};
use crate::render::{Ctx, JsonDates, field_value, iso};
use crate::selection::Selection;

/// A value as JSON.
pub(crate) fn value_json(v: &Value, dates: JsonDates) -> Json {
    match v {
        Value::Text(s) => Json::String(s.to_string()),
        Value::Int(i) => json!(i),
        Value::Decimal(d) => json!(d),
        Value::Bool(b) => Json::Bool(*b),
        Value::DateTime(d) => match dates {
            JsonDates::MsDate => Json::String(format!("/Date({})/", d.timestamp_millis())),
            JsonDates::Iso => Json::String(iso(*d)),
        },
        Value::Date(d) => match dates {
            JsonDates::MsDate => {
                let ms = d
                    .and_hms_opt(0, 0, 0)
                    .map_or(0, |n| n.and_utc().timestamp_millis());
                Json::String(format!("/Date({ms})/"))
            }
            JsonDates::Iso => Json::String(d.format("%Y-%m-%d").to_string()),
        },
    }
}

/// One entry object.
pub(crate) fn entry(ctx: &Ctx<'_>, kind: Kind, rec: &Record, sel: &Selection) -> Map<String, Json> {
    let def = kind.def();
    let mut out = Map::new();
    if !rec.key.is_empty() {
        out.insert("$key".into(), Json::String(rec.key.clone()));
        out.insert("$etag".into(), Json::String(rec.etag.clone()));
    }
    out.insert("$name".into(), Json::String(def.name.into()));
    out.insert("$descriptor".into(), Json::String(descriptor(kind, rec)));
    if !rec.key.is_empty() {
        out.insert("$url".into(), Json::String(ctx.entry_url(kind, &rec.key)));
        out.insert(
            "$updated".into(),
            value_json(&Value::DateTime(rec.modify_date), ctx.json_dates),
        );
    }
    if sel.permissions {
        let perms: Vec<Json> = def
            .fields
            .iter()
            .filter(|f| sel.has(f))
            .map(|f| json!({"name": f.name, "access": crate::atom::access(f)}))
            .collect();
        out.insert("$permissions".into(), Json::Array(perms));
    }
    for field in def.fields.iter().filter(|f| sel.has(f)) {
        let value = field_value(rec, field);
        let json = match (field.ty, value) {
            (_, None) => Json::Null,
            (FieldType::Reference { target, lookup }, Some(v)) => {
                let key = v.as_text().unwrap_or_default().to_string();
                let related = target.and_then(|t| ctx.store.get(t, &key).map(|r| (t, r)));
                match (related, sel.expanded(field.name)) {
                    (Some((t, r)), Some(inner)) => Json::Object(entry(ctx, t, r, inner)),
                    (Some((t, r)), None) if sel.descriptors => json!({"$key": key,
                        "$url": ctx.entry_url(t, &key), "$descriptor": descriptor(t, r)}),
                    (Some((t, _)), None) => {
                        json!({"$key": key, "$url": ctx.entry_url(t, &key)})
                    }
                    (None, _) => json!({"$key": key, "$lookup": format!("{}{lookup}", ctx.base)}),
                }
            }
            (_, Some(v)) => value_json(&v, ctx.json_dates),
        };
        out.insert(field.name.into(), json);
    }
    out
}

/// Feed-level paging information shared by both formats.
#[derive(Debug)]
pub(crate) struct FeedMeta {
    pub title: String,
    pub id: String,
    pub self_url: String,
    pub first: String,
    pub last: Option<String>,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub total: usize,
    pub start_index: usize,
    pub items_per_page: usize,
}

/// A whole feed object.
pub(crate) fn feed(
    ctx: &Ctx<'_>,
    kind: Kind,
    meta: &FeedMeta,
    records: &[&Record],
    sel: &Selection,
) -> Json {
    let mut out = Map::new();
    out.insert("$url".into(), Json::String(meta.self_url.clone()));
    out.insert("$descriptor".into(), Json::String(meta.title.clone()));
    out.insert("$totalResults".into(), json!(meta.total));
    out.insert("$startIndex".into(), json!(meta.start_index));
    out.insert("$itemsPerPage".into(), json!(meta.items_per_page));
    out.insert("$first".into(), Json::String(meta.first.clone()));
    for (name, link) in [
        ("$last", &meta.last),
        ("$previous", &meta.previous),
        ("$next", &meta.next),
    ] {
        if let Some(l) = link {
            out.insert(name.into(), Json::String(l.clone()));
        }
    }
    out.insert(
        "$schema".into(),
        Json::String(format!("{}/$schema", ctx.feed_url(kind))),
    );
    let resources: Vec<Json> = records
        .iter()
        .map(|r| Json::Object(entry(ctx, kind, r, sel)))
        .collect();
    out.insert("$resources".into(), Json::Array(resources));
    Json::Object(out)
}
