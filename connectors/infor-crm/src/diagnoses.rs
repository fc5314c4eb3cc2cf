//! SData error bodies ("diagnoses") in all the forms servers send them:
//! XML `<sdata:diagnoses>`, a JSON top-level array (what Infor CRM returns) and the
//! SData specification draft's JSON `{"$diagnoses":[…]}`. The CRM's own message text is
//! kept so users see the CRM's words.

use serde_json::Value;

use crate::xml::{self, Element, NS_SDATA};

/// One diagnosis.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Diagnosis {
    /// `info`, `warning`, `transient`, `error`, `fatal` (lower-cased).
    pub severity: String,
    /// e.g. `BadWhereSyntax`, `ApplicationDiagnosis`.
    pub sdata_code: String,
    /// The CRM's message.
    pub message: String,
    /// The payload path the message is about, when given.
    pub payload_path: String,
    /// The server stack trace (only used to recognise expired passwords).
    pub stack_trace: String,
}

/// Joins the messages of several diagnoses for an error text.
pub(crate) fn summary(diagnoses: &[Diagnosis]) -> Option<String> {
    let parts: Vec<String> = diagnoses
        .iter()
        .filter(|d| !d.message.trim().is_empty() || !d.sdata_code.is_empty())
        .map(|d| match (d.message.trim(), d.sdata_code.as_str()) {
            ("", code) => code.to_string(),
            (msg, _) => msg.to_string(),
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Reads diagnoses from an error body in any of the known forms; empty when none found.
pub(crate) fn parse_body(body: &str) -> Vec<Diagnosis> {
    let trimmed = body.trim_start();
    if trimmed.starts_with('<') {
        return xml::parse(trimmed)
            .map(|root| from_xml_root(&root))
            .unwrap_or_default();
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(value) => from_json(&value),
        Err(_) => Vec::new(),
    }
}

/// Diagnoses from an XML document whose root is `sdata:diagnoses`, `sdata:diagnosis`,
/// or a feed/entry carrying them.
pub(crate) fn from_xml_root(root: &Element) -> Vec<Diagnosis> {
    if root.is(NS_SDATA, "diagnosis") {
        return vec![from_xml(root)];
    }
    let mut found = Vec::new();
    collect_xml(root, &mut found);
    found
}

fn collect_xml(element: &Element, found: &mut Vec<Diagnosis>) {
    for child in &element.children {
        if child.is(NS_SDATA, "diagnosis") {
            found.push(from_xml(child));
        } else if child.is(NS_SDATA, "diagnoses") {
            collect_xml(child, found);
        }
    }
}

/// One `<sdata:diagnosis>` element.
pub(crate) fn from_xml(element: &Element) -> Diagnosis {
    let text = |name: &str| {
        element
            .child_text(NS_SDATA, name)
            .unwrap_or_default()
            .to_string()
    };
    Diagnosis {
        severity: text("severity").to_ascii_lowercase(),
        sdata_code: text("sdataCode"),
        message: text("message"),
        payload_path: text("payloadPath"),
        stack_trace: text("stackTrace"),
    }
}

/// Diagnoses from a JSON value: an array, `{"$diagnoses":[…]}`, or one diagnosis object.
pub(crate) fn from_json(value: &Value) -> Vec<Diagnosis> {
    match value {
        Value::Array(items) => items.iter().filter_map(json_one).collect(),
        Value::Object(map) => match map.get("$diagnoses").or_else(|| map.get("diagnoses")) {
            Some(Value::Array(items)) => items.iter().filter_map(json_one).collect(),
            _ => json_one(value).into_iter().collect(),
        },
        _ => Vec::new(),
    }
}

fn json_one(value: &Value) -> Option<Diagnosis> {
    let map = value.as_object()?;
    let field = |name: &str| {
        map.get(name)
            .or_else(|| map.get(&format!("${name}")))
            .map(|v| match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            })
            .unwrap_or_default()
    };
    let diagnosis = Diagnosis {
        severity: field("severity").to_ascii_lowercase(),
        sdata_code: field("sdataCode"),
        message: field("message"),
        payload_path: field("payloadPath"),
        stack_trace: field("stackTrace"),
    };
    (!diagnosis.message.is_empty() || !diagnosis.sdata_code.is_empty()).then_some(diagnosis)
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<sdata:diagnoses xmlns:sdata="http://schemas.sage.com/sdata/2008/1">
  <sdata:diagnosis>
    <sdata:severity>error</sdata:severity><sdata:sdataCode>BadWhereSyntax</sdata:sdataCode>
    <sdata:applicationCode/><sdata:message>Invalid query syntax: function 'foo' does not exist</sdata:message>
    <sdata:stackTrace/><sdata:payloadPath/>
  </sdata:diagnosis>
</sdata:diagnoses>"#;

    #[test]
    fn xml_diagnoses() {
        let found = parse_body(XML);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, "error");
        assert_eq!(found[0].sdata_code, "BadWhereSyntax");
        assert_eq!(
            found[0].message,
            "Invalid query syntax: function 'foo' does not exist"
        );
    }

    #[test]
    fn json_top_level_array() {
        let body = r#"[{"severity":"Error","sdataCode":"ApplicationDiagnosis","message":"LastName is required","stackTrace":"at X"}]"#;
        let found = parse_body(body);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, "error");
        assert_eq!(found[0].sdata_code, "ApplicationDiagnosis");
        assert_eq!(summary(&found).as_deref(), Some("LastName is required"));
    }

    #[test]
    fn json_diagnoses_object() {
        let body = r#"{"$diagnoses":[{"severity":"error","sdataCode":"ApplicationDiagnosis","message":"Company is too long"},
            {"severity":"warning","sdataCode":"ApplicationDiagnosis","message":"second"}]}"#;
        let found = parse_body(body);
        assert_eq!(found.len(), 2);
        assert_eq!(
            summary(&found).as_deref(),
            Some("Company is too long; second")
        );
    }

    #[test]
    fn nothing_recognisable() {
        assert!(parse_body("<html><body>Server Error</body></html>").is_empty());
        assert!(parse_body("oops").is_empty());
        assert!(parse_body(r#"{"hello":"world"}"#).is_empty());
        assert_eq!(summary(&[]), None);
    }
}
