//! SData errors: `sdata:diagnoses` XML or Infor CRM's top-level JSON array.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use quick_xml::escape::escape;
use serde_json::json;

use crate::atom::ns;
use crate::params::Format;

/// The `sdataCode` of a diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdataCode {
    /// The URL could not be parsed.
    BadUrlSyntax,
    /// A query parameter is invalid (`startIndex=abc`, unknown `select` property).
    BadQueryParameter,
    /// The application segment is not `slx`.
    ApplicationNotFound,
    /// The dataset segment is not `-`.
    DatasetNotFound,
    /// The contract is not `dynamic` or `system`.
    ContractNotFound,
    /// The resource kind does not exist.
    ResourceKindNotFound,
    /// The `where` does not parse or names an unknown property.
    BadWhereSyntax,
    /// Anything the application itself rejects (validation, not found, conflicts).
    ApplicationDiagnosis,
}

impl SdataCode {
    fn as_str(self) -> &'static str {
        match self {
            SdataCode::BadUrlSyntax => "BadUrlSyntax",
            SdataCode::BadQueryParameter => "BadQueryParameter",
            SdataCode::ApplicationNotFound => "ApplicationNotFound",
            SdataCode::DatasetNotFound => "DatasetNotFound",
            SdataCode::ContractNotFound => "ContractNotFound",
            SdataCode::ResourceKindNotFound => "ResourceKindNotFound",
            SdataCode::BadWhereSyntax => "BadWhereSyntax",
            SdataCode::ApplicationDiagnosis => "ApplicationDiagnosis",
        }
    }
}

/// One error the server reports, with its HTTP status.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    /// The HTTP status to answer with.
    pub status: StatusCode,
    /// The SData code.
    pub code: SdataCode,
    /// A message naming the record/field involved.
    pub message: String,
    /// The payload path of the offending property, if any.
    pub payload_path: Option<String>,
}

impl Diagnosis {
    /// A diagnosis with a status, code and message.
    pub fn new(status: StatusCode, code: SdataCode, message: impl Into<String>) -> Diagnosis {
        Diagnosis {
            status,
            code,
            message: message.into(),
            payload_path: None,
        }
    }

    /// A 400 `ApplicationDiagnosis` about one property.
    pub fn field(field: &str, message: impl Into<String>) -> Diagnosis {
        Diagnosis {
            payload_path: Some(field.to_string()),
            ..Diagnosis::new(
                StatusCode::BAD_REQUEST,
                SdataCode::ApplicationDiagnosis,
                message,
            )
        }
    }

    /// A 404 for a missing single resource.
    pub fn not_found(what: impl Into<String>) -> Diagnosis {
        Diagnosis::new(StatusCode::NOT_FOUND, SdataCode::ApplicationDiagnosis, what)
    }

    /// The severity word (`error`, or `transient` for retryable statuses).
    fn severity(&self) -> &'static str {
        if matches!(self.status.as_u16(), 429 | 503) {
            "transient"
        } else {
            "error"
        }
    }

    /// The `<sdata:diagnosis>` element (prefix `sdata` must be bound by the caller).
    pub(crate) fn xml_element(&self) -> String {
        format!(
            "<sdata:diagnosis><sdata:severity>{}</sdata:severity><sdata:sdataCode>{}</sdata:sdataCode><sdata:applicationCode/><sdata:message>{}</sdata:message><sdata:stackTrace/><sdata:payloadPath>{}</sdata:payloadPath></sdata:diagnosis>",
            self.severity(),
            self.code.as_str(),
            escape(self.message.as_str()),
            escape(self.payload_path.as_deref().unwrap_or_default()),
        )
    }

    /// The JSON object of this diagnosis.
    pub(crate) fn json_object(&self) -> serde_json::Value {
        let severity = if self.severity() == "error" {
            "Error"
        } else {
            "Transient"
        };
        json!({
            "severity": severity,
            "sdataCode": self.code.as_str(),
            "applicationCode": "",
            "message": self.message,
            "stackTrace": "",
            "payloadPath": self.payload_path.clone().unwrap_or_default(),
        })
    }

    /// The complete error body in a format.
    pub(crate) fn body(&self, format: Format) -> (String, &'static str) {
        match format {
            Format::Json => (
                serde_json::Value::Array(vec![self.json_object()]).to_string(),
                "application/json; charset=utf-8",
            ),
            Format::Atom => (
                format!(
                    r#"<?xml version="1.0" encoding="utf-8"?><sdata:diagnoses xmlns:sdata="{}">{}</sdata:diagnoses>"#,
                    ns::SDATA,
                    self.xml_element()
                ),
                "application/xml; charset=utf-8",
            ),
        }
    }

    /// The full HTTP response.
    pub(crate) fn respond(&self, format: Format) -> Response {
        let (body, content_type) = self.body(format);
        let mut resp = (self.status, body).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        resp
    }
}

impl std::fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code.as_str(),
            self.message
        )
    }
}
