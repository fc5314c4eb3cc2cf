//! What both wire formats share: URLs, field values in order, dates.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::model::{FieldDef, Kind, Record, Value};
use crate::store::Store;

/// How JSON dates are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonDates {
    /// `"/Date(1293870600000)/"`, as Infor CRM's JSON usually does.
    #[default]
    MsDate,
    /// ISO 8601 with `+00:00`.
    Iso,
}

/// Per-request rendering context.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub store: &'a Store,
    /// `http://host/sdata/slx/dynamic/-/`.
    pub base: &'a str,
    pub json_dates: JsonDates,
}

impl Ctx<'_> {
    /// The URL of one record (`…/leads('KEY')`).
    pub(crate) fn entry_url(&self, kind: Kind, key: &str) -> String {
        format!("{}{}('{}')", self.base, kind.plural(), key)
    }

    /// The URL of a kind's feed.
    pub(crate) fn feed_url(&self, kind: Kind) -> String {
        format!("{}{}", self.base, kind.plural())
    }
}

/// ISO 8601 with an explicit `+00:00` offset, as the Atom payload uses.
pub(crate) fn iso(d: DateTime<Utc>) -> String {
    d.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// A field's value, including the server-maintained dates kept outside `fields`.
pub(crate) fn field_value<'r>(rec: &'r Record, field: &FieldDef) -> Option<Cow<'r, Value>> {
    match field.name {
        "CreateDate" => Some(Cow::Owned(Value::DateTime(rec.create_date))),
        "ModifyDate" => Some(Cow::Owned(Value::DateTime(rec.modify_date))),
        name => rec.fields.get(name).map(Cow::Borrowed),
    }
}

/// A decimal without exponent or a trailing `.0` for whole numbers.
pub(crate) fn decimal_text(d: f64) -> String {
    if d.fract() == 0.0 && d.abs() < 1e15 {
        format!("{d:.0}")
    } else {
        d.to_string()
    }
}

/// The text form of a value in Atom payloads.
pub(crate) fn value_text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Decimal(d) => decimal_text(*d),
        Value::Bool(b) => b.to_string(),
        Value::DateTime(d) => iso(*d),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
    }
}
