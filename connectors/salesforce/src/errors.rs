//! Salesforce's error shapes → [`ConnectorError`]s.
//!
//! REST errors are `[{"message", "errorCode", "fields"?}]`; save results of sObject
//! Collections carry `errors: [{"statusCode", "message", "fields"}]`. Messages keep
//! Salesforce's code and words and name the fields, so a refusal says what to fix.

use std::time::Duration;

use listbridge_connector::ConnectorError;
use reqwest::StatusCode;
use serde::Deserialize;

/// One error of a REST answer or a save result.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApiError {
    #[serde(default)]
    pub message: String,
    #[serde(default, alias = "statusCode")]
    pub error_code: String,
    #[serde(default)]
    pub fields: Vec<String>,
}

impl ApiError {
    /// `CODE: message (fields: A, B)`.
    pub fn describe(&self) -> String {
        let mut text = if self.error_code.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.error_code, self.message)
        };
        if !self.fields.is_empty() {
            text.push_str(&format!(" (fields: {})", self.fields.join(", ")));
        }
        text
    }
}

/// The errors of a REST error body (empty when it is not one).
pub(crate) fn parse(body: &str) -> Vec<ApiError> {
    serde_json::from_str::<Vec<ApiError>>(body).unwrap_or_default()
}

/// The errors of a body, joined, if it held any.
pub(crate) fn summary(body: &str) -> Option<String> {
    let errors = parse(body);
    (!errors.is_empty()).then(|| {
        errors
            .iter()
            .map(ApiError::describe)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Whether the body holds an error with this code.
pub(crate) fn has_code(body: &str, code: &str) -> bool {
    parse(body).iter().any(|e| e.error_code == code)
}

/// The error a retryable status becomes once retries run out.
pub(crate) fn status_error(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &str,
) -> ConnectorError {
    if status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::SERVICE_UNAVAILABLE && retry_after.is_some())
    {
        return ConnectorError::RateLimited { retry_after };
    }
    ConnectorError::Transient {
        message: match summary(body) {
            Some(said) => format!("HTTP {}: {said}", status.as_u16()),
            None => format!("HTTP {status}"),
        },
    }
}

/// The error of a definite, non-success answer to a request about `entity`/`key`.
pub(crate) fn answer_error(
    status: StatusCode,
    body: &str,
    entity: &str,
    key: &str,
) -> ConnectorError {
    let errors = parse(body);
    let gone = errors
        .iter()
        .any(|e| e.error_code == "ENTITY_IS_DELETED" || e.error_code == "NOT_FOUND");
    if (status == StatusCode::NOT_FOUND || gone) && !key.is_empty() {
        return ConnectorError::NotFound {
            entity: entity.to_string(),
            key: key.to_string(),
        };
    }
    let said = summary(body).unwrap_or_else(|| format!("HTTP {status}"));
    match status.as_u16() {
        401 => ConnectorError::Auth { message: said },
        // 403 here is a permission on a record or field (INSUFFICIENT_ACCESS…): the login
        // is fine, this write is not allowed.
        400 | 403 | 404 | 409 | 412 | 415 => ConnectorError::Rejected { message: said },
        _ => ConnectorError::Transient { message: said },
    }
}

/// `api-usage=n/m` of a `Sforce-Limit-Info` header.
pub(crate) fn api_usage(header: &str) -> Option<(u64, u64)> {
    let usage = header
        .split(',')
        .find_map(|part| part.trim().strip_prefix("api-usage="))?;
    let (used, max) = usage.split_once('/')?;
    Some((used.trim().parse().ok()?, max.trim().parse().ok()?))
}

/// A transport error and its causes, without the URL (its query may hold emails).
pub(crate) fn chain(error: &reqwest::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_header_and_errors_read() {
        assert_eq!(api_usage("api-usage=25/15000"), Some((25, 15000)));
        assert_eq!(
            api_usage("per-app-api-usage=1/2, api-usage=3/4"),
            Some((3, 4))
        );
        let body = r#"[{"message":"Last Name: data value too large","errorCode":"STRING_TOO_LONG","fields":["LastName"]}]"#;
        assert_eq!(
            summary(body).as_deref(),
            Some("STRING_TOO_LONG: Last Name: data value too large (fields: LastName)")
        );
        assert!(has_code(
            r#"[{"message":"x","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#,
            "REQUEST_LIMIT_EXCEEDED"
        ));
    }
}
