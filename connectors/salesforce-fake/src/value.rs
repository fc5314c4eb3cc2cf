//! Field values as the store keeps them (compact, typed) and their JSON and CSV forms.

use std::cmp::Ordering;

use serde_json::Value as Json;

use crate::id::SfId;
use crate::schema::{FieldSpec, FieldType};
use crate::time::{self, Days, Millis};

/// One field value. Text is never empty: Salesforce stores an empty string as null.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value.
    Null,
    /// Text of a string, email, phone, picklist or textarea field.
    Text(Box<str>),
    /// A checkbox.
    Bool(bool),
    /// A number.
    Num(f64),
    /// An instant in milliseconds since the epoch.
    DateTime(Millis),
    /// A calendar date in days since the epoch.
    Date(Days),
    /// A record Id or reference.
    Id(SfId),
}

impl Value {
    /// Text, or null for an empty string.
    pub fn text(s: &str) -> Value {
        if s.is_empty() {
            Value::Null
        } else {
            Value::Text(s.into())
        }
    }

    /// The value as REST JSON writes it.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Text(s) => Json::String(s.to_string()),
            Value::Bool(b) => Json::Bool(*b),
            Value::Num(n) => serde_json::Number::from_f64(*n).map_or(Json::Null, Json::Number),
            Value::DateTime(ms) => Json::String(time::format_rest(*ms)),
            Value::Date(d) => Json::String(time::format_date(*d)),
            Value::Id(id) => Json::String(id.to_18()),
        }
    }

    /// The value as a Bulk API 2.0 CSV cell (empty for null).
    pub fn to_csv(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Text(s) => s.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Num(n) => format_num(*n),
            Value::DateTime(ms) => time::format_bulk(*ms),
            Value::Date(d) => time::format_date(*d),
            Value::Id(id) => id.to_18(),
        }
    }

    /// The text, when this is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The Id, when this is an Id.
    pub fn as_id(&self) -> Option<SfId> {
        match self {
            Value::Id(id) => Some(*id),
            _ => None,
        }
    }

    /// The boolean (null reads as false, as an unchecked checkbox).
    pub fn is_true(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    /// The instant, when this is a date-time.
    pub fn as_millis(&self) -> Option<Millis> {
        match self {
            Value::DateTime(ms) => Some(*ms),
            _ => None,
        }
    }
}

/// A number as JSON would print it (`12.0`, `0.5`).
pub fn format_num(n: f64) -> String {
    serde_json::Number::from_f64(n).map_or_else(String::new, |x| x.to_string())
}

/// Compares text as SOQL does: case-insensitively.
pub fn cmp_text(a: &str, b: &str) -> Ordering {
    let fold = |c: char| c.to_lowercase();
    a.chars().flat_map(fold).cmp(b.chars().flat_map(fold))
}

/// Orders two values of one field (nulls are handled by the caller).
pub fn cmp_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Text(x), Value::Text(y)) => cmp_text(x, y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Num(x), Value::Num(y)) => x.total_cmp(y),
        (Value::DateTime(x), Value::DateTime(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::Id(x), Value::Id(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// Why a JSON value cannot go into a field: Salesforce's JSON parser refuses the whole
/// request (`JSON_PARSER_ERROR`), or the Id is malformed (`MALFORMED_ID`, per record).
#[derive(Debug, Clone, PartialEq)]
pub enum Coerce {
    /// The JSON type does not fit the field.
    Type(String),
    /// A reference that is not an Id.
    MalformedId(String),
}

/// Converts a JSON value written to `field` into a stored value.
pub fn from_json(field: &FieldSpec, v: &Json) -> Result<Value, Coerce> {
    let wrong = |what: &str| {
        Coerce::Type(format!(
            "Cannot deserialize instance of {what} from {} value {} or request may be missing a required field",
            json_token(v),
            v
        ))
    };
    if v.is_null() {
        return Ok(Value::Null);
    }
    match field.ftype {
        FieldType::String
        | FieldType::Email
        | FieldType::Phone
        | FieldType::Picklist
        | FieldType::TextArea => match v {
            Json::String(s) => Ok(Value::text(s)),
            Json::Number(n) => Ok(Value::text(&n.to_string())),
            Json::Bool(b) => Ok(Value::text(&b.to_string())),
            _ => Err(wrong("string")),
        },
        FieldType::Boolean => match v {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Json::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(wrong("boolean")),
        },
        FieldType::Double => match v {
            Json::Number(n) => n.as_f64().map(Value::Num).ok_or_else(|| wrong("double")),
            Json::String(s) if s.is_empty() => Ok(Value::Null),
            Json::String(s) => s
                .trim()
                .parse::<f64>()
                .map(Value::Num)
                .map_err(|_| wrong("double")),
            _ => Err(wrong("double")),
        },
        FieldType::DateTime => match v {
            Json::String(s) if s.is_empty() => Ok(Value::Null),
            Json::String(s) => time::parse_datetime(s)
                .map(Value::DateTime)
                .ok_or_else(|| wrong("datetime")),
            _ => Err(wrong("datetime")),
        },
        FieldType::Date => match v {
            Json::String(s) if s.is_empty() => Ok(Value::Null),
            Json::String(s) => time::parse_date(s)
                .or_else(|| time::parse_datetime(s).and_then(time::date_of))
                .map(Value::Date)
                .ok_or_else(|| wrong("date")),
            _ => Err(wrong("date")),
        },
        FieldType::Id | FieldType::Reference => match v {
            Json::String(s) if s.is_empty() => Ok(Value::Null),
            Json::String(s) => SfId::parse(s)
                .map(Value::Id)
                .ok_or_else(|| Coerce::MalformedId(s.clone())),
            _ => Err(wrong("id")),
        },
    }
}

fn json_token(v: &Json) -> &'static str {
    match v {
        Json::Null => "VALUE_NULL",
        Json::Bool(true) => "VALUE_TRUE",
        Json::Bool(false) => "VALUE_FALSE",
        Json::Number(n) if n.is_f64() => "VALUE_NUMBER_FLOAT",
        Json::Number(_) => "VALUE_NUMBER_INT",
        Json::String(_) => "VALUE_STRING",
        Json::Array(_) => "START_ARRAY",
        Json::Object(_) => "START_OBJECT",
    }
}

/// Reads a stored value of `field` from its default text (`false`, a picklist value).
pub fn from_default(field: &FieldSpec, text: &str) -> Value {
    match field.ftype {
        FieldType::Boolean => Value::Bool(text == "true"),
        _ => Value::text(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SObject;
    use serde_json::json;

    #[test]
    fn json_values_convert_by_field_type() {
        let lead = SObject::Lead.fields();
        let score = &lead[SObject::Lead.idx("Score__c")];
        assert_eq!(from_json(score, &json!(12)), Ok(Value::Num(12.0)));
        assert_eq!(Value::Num(12.0).to_json(), json!(12.0));
        assert!(matches!(
            from_json(score, &json!("abc")),
            Err(Coerce::Type(_))
        ));
        let email = &lead[SObject::Lead.idx("Email")];
        assert_eq!(from_json(email, &json!("")), Ok(Value::Null));
        let opt = &lead[SObject::Lead.idx("HasOptedOutOfEmail")];
        assert_eq!(from_json(opt, &json!(true)), Ok(Value::Bool(true)));
        assert_eq!(cmp_text("ABC", "abd"), Ordering::Less);
    }
}
