//! Reading replies: feeds and entries in whichever format the server answered, and
//! non-success statuses mapped to typed errors that keep the CRM's own message.

use reqwest::StatusCode;

use listbridge_connector::ConnectorError;

use crate::{
    atom::{self, AtomDoc},
    client::{Rejection, Reply},
    diagnoses::{self, Diagnosis},
    json::{self, JsonDoc},
    wire::{WireEntry, WireFeed},
};

/// What a body looks like, judged by its content type and, failing that, its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Json,
    Xml,
    Html,
    Other,
}

/// Classifies a reply body.
pub(crate) fn body_kind(reply: &Reply) -> BodyKind {
    let start = reply.body.trim_start();
    let lower_start: String = start
        .chars()
        .take(15)
        .collect::<String>()
        .to_ascii_lowercase();
    if reply.content_type.contains("html")
        || lower_start.starts_with("<!doctype html")
        || lower_start.starts_with("<html")
    {
        BodyKind::Html
    } else if reply.content_type.contains("json")
        || start.starts_with('{')
        || start.starts_with('[')
    {
        BodyKind::Json
    } else if reply.content_type.contains("xml") || start.starts_with('<') {
        BodyKind::Xml
    } else {
        BodyKind::Other
    }
}

/// What a request was about, for error messages.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// Entity name (`lead`, `contact`, `history`).
    pub entity: &'static str,
    /// The record's key, for single-record requests.
    pub key: Option<String>,
    /// The base URL, for endpoint errors.
    pub base_url: String,
}

enum Doc {
    Feed(WireFeed),
    Entry(WireEntry),
}

fn document(reply: &Reply, context: &Context) -> Result<Doc, Rejection> {
    match body_kind(reply) {
        BodyKind::Json => match json::parse(&reply.body) {
            Ok(JsonDoc::Feed(feed)) => Ok(Doc::Feed(feed)),
            Ok(JsonDoc::Entry(entry)) => Ok(Doc::Entry(entry)),
            Err(e) => Err(Rejection::Malformed(format!(
                "{} answer: {e}",
                context.entity
            ))),
        },
        BodyKind::Xml => match atom::parse(&reply.body) {
            Ok(AtomDoc::Feed(feed)) => Ok(Doc::Feed(feed)),
            Ok(AtomDoc::Entry(entry)) => Ok(Doc::Entry(entry)),
            Err(e) => Err(Rejection::Malformed(format!(
                "{} answer: {e}",
                context.entity
            ))),
        },
        BodyKind::Html => Err(Rejection::Final(not_sdata(
            context,
            "it answered with a web page",
        ))),
        BodyKind::Other => Err(Rejection::Malformed(format!(
            "{} answer is neither JSON nor XML",
            context.entity
        ))),
    }
}

/// A feed page from a success reply, or the mapped error.
pub(crate) fn feed(reply: &Reply, context: &Context) -> Result<WireFeed, Rejection> {
    if !reply.status.is_success() {
        return Err(Rejection::Final(error_for(reply, context)));
    }
    match document(reply, context)? {
        Doc::Feed(feed) => Ok(feed),
        Doc::Entry(_) => Err(Rejection::Malformed(format!(
            "expected a {} feed, got a single entry",
            context.entity
        ))),
    }
}

/// A single entry from a success reply (the `ETag` header fills a missing entry etag).
pub(crate) fn entry(reply: &Reply, context: &Context) -> Result<WireEntry, Rejection> {
    if !reply.status.is_success() {
        return Err(Rejection::Final(error_for(reply, context)));
    }
    match document(reply, context)? {
        Doc::Entry(mut entry) => {
            if entry.etag.is_none() {
                entry.etag = reply.etag.clone();
            }
            if entry.location.is_none() {
                entry.location = reply.location.clone();
            }
            Ok(entry)
        }
        Doc::Feed(_) => Err(Rejection::Malformed(format!(
            "expected one {}, got a feed",
            context.entity
        ))),
    }
}

/// The entry a 412 carries (the CRM's current version), when it sent one.
pub(crate) fn conflict_entry(reply: &Reply, context: &Context) -> Option<WireEntry> {
    match document(reply, context).ok()? {
        Doc::Entry(mut entry) => {
            if entry.etag.is_none() {
                entry.etag = reply.etag.clone();
            }
            Some(entry)
        }
        Doc::Feed(_) => None,
    }
}

fn not_sdata(context: &Context, why: &str) -> ConnectorError {
    ConnectorError::NotCrmEndpoint {
        url: context.base_url.clone(),
        message: why.to_string(),
    }
}

/// Maps a non-success status to a typed error, keeping the CRM's message.
pub(crate) fn error_for(reply: &Reply, context: &Context) -> ConnectorError {
    let found = diagnoses::parse_body(&reply.body);
    let html = body_kind(reply) == BodyKind::Html;
    error_from(
        reply.status,
        &found,
        None,
        reply.location.as_deref(),
        html,
        context,
    )
}

/// Maps the status of one `$batch` response entry to a typed error.
pub(crate) fn entry_error(entry: &WireEntry, context: &Context) -> ConnectorError {
    let status = entry
        .http_status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    error_from(
        status,
        &entry.diagnoses,
        entry.http_message.as_deref(),
        entry.location.as_deref(),
        false,
        context,
    )
}

fn error_from(
    status: StatusCode,
    found: &[Diagnosis],
    status_message: Option<&str>,
    location: Option<&str>,
    html: bool,
    context: &Context,
) -> ConnectorError {
    let said = diagnoses::summary(found);
    let message = said
        .clone()
        .or_else(|| status_message.map(|m| format!("HTTP {}: {m}", status.as_u16())))
        .unwrap_or_else(|| format!("HTTP {status}"));
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            let expired = found
                .iter()
                .any(|d| d.stack_trace.contains("IsValidPassword"));
            ConnectorError::Auth {
                message: match (expired, said) {
                    (true, Some(text)) => format!("the password has expired: {text}"),
                    (true, None) => "the password has expired".to_string(),
                    (false, Some(text)) => text,
                    (false, None) if status == StatusCode::FORBIDDEN => {
                        "the user may not use the CRM's SData API".into()
                    }
                    (false, None) => "wrong user name or password".into(),
                },
            }
        }
        StatusCode::NOT_FOUND | StatusCode::GONE => match &context.key {
            Some(key) => ConnectorError::NotFound {
                entity: context.entity.to_string(),
                key: key.clone(),
            },
            None if html || found.is_empty() => not_sdata(
                context,
                &format!(
                    "no SData service for {} (HTTP {})",
                    context.entity,
                    status.as_u16()
                ),
            ),
            None => not_sdata(context, &message),
        },
        StatusCode::PRECONDITION_FAILED => ConnectorError::Conflict {
            entity: context.entity.to_string(),
            key: context.key.clone().unwrap_or_default(),
            current: None,
        },
        status if status.is_redirection() => not_sdata(
            context,
            &format!(
                "it redirects to {} — enter that address instead",
                location.unwrap_or("another address")
            ),
        ),
        status if status.is_server_error() => ConnectorError::Transient { message },
        _ => ConnectorError::Rejected { message },
    }
}

#[cfg(test)]
mod tests {
    //! Reply classification and status mapping.

    use super::*;

    fn reply(status: u16, content_type: &str, body: &str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            content_type: content_type.into(),
            etag: Some("hdr-etag".into()),
            location: None,
            retry_after: None,
            body: body.into(),
        }
    }

    fn context(key: Option<&str>) -> Context {
        Context {
            entity: "lead",
            key: key.map(str::to_string),
            base_url: "https://h".into(),
        }
    }

    #[test]
    fn body_kinds() {
        assert_eq!(
            body_kind(&reply(200, "application/json; charset=utf-8", "")),
            BodyKind::Json
        );
        assert_eq!(body_kind(&reply(200, "", "  [1]")), BodyKind::Json);
        assert_eq!(
            body_kind(&reply(200, "application/atom+xml;type=feed", "")),
            BodyKind::Xml
        );
        assert_eq!(
            body_kind(&reply(200, "", "<!DOCTYPE html><html>")),
            BodyKind::Html
        );
        assert_eq!(
            body_kind(&reply(200, "text/html", "<html>")),
            BodyKind::Html
        );
        assert_eq!(
            body_kind(&reply(200, "text/plain", "garbage")),
            BodyKind::Other
        );
    }

    #[test]
    fn entries_take_the_etag_header_when_the_body_has_none() {
        let r = reply(200, "application/json", r#"{"$key":"K1","LastName":"A"}"#);
        let e = entry(&r, &context(Some("K1"))).ok().unwrap_or_default();
        assert_eq!(e.etag.as_deref(), Some("hdr-etag"));
    }

    #[test]
    fn malformed_success_bodies_are_retryable_html_is_not() {
        let truncated = reply(200, "application/json", r#"{"$resources":[{"$key":"#);
        assert!(matches!(
            feed(&truncated, &context(None)),
            Err(Rejection::Malformed(_))
        ));
        let html = reply(200, "text/html", "<html><body>Welcome</body></html>");
        assert!(matches!(
            feed(&html, &context(None)),
            Err(Rejection::Final(ConnectorError::NotCrmEndpoint { .. }))
        ));
        let single = reply(200, "application/json", r#"{"$key":"K"}"#);
        assert!(matches!(
            feed(&single, &context(None)),
            Err(Rejection::Malformed(_))
        ));
    }

    #[test]
    fn statuses_map_to_typed_errors_with_the_crm_text() {
        let bad = reply(
            400,
            "application/json",
            r#"[{"severity":"Error","sdataCode":"ApplicationDiagnosis","message":"LastName is required"}]"#,
        );
        assert!(
            matches!(error_for(&bad, &context(None)), ConnectorError::Rejected { message } if message == "LastName is required")
        );

        let auth = reply(401, "", "");
        assert!(matches!(
            error_for(&auth, &context(None)),
            ConnectorError::Auth { .. }
        ));
        let expired = reply(
            401,
            "application/json",
            r#"[{"severity":"Error","message":"Password expired","stackTrace":"at Sage.SalesLogix.User.Rules.IsValidPassword"}]"#,
        );
        assert!(
            matches!(error_for(&expired, &context(None)), ConnectorError::Auth { message } if message.contains("expired"))
        );

        let gone = reply(404, "", "");
        assert!(
            matches!(error_for(&gone, &context(Some("K9"))), ConnectorError::NotFound { key, .. } if key == "K9")
        );
        assert!(matches!(
            error_for(&gone, &context(None)),
            ConnectorError::NotCrmEndpoint { .. }
        ));

        let stale = reply(412, "", "");
        assert!(
            matches!(error_for(&stale, &context(Some("K1"))), ConnectorError::Conflict { key, .. } if key == "K1")
        );

        let moved = Reply {
            location: Some("https://other".into()),
            ..reply(302, "", "")
        };
        assert!(
            matches!(error_for(&moved, &context(None)), ConnectorError::NotCrmEndpoint { message, .. } if message.contains("https://other"))
        );

        let xml = reply(
            409,
            "application/xml",
            r#"<sdata:diagnoses xmlns:sdata="http://schemas.sage.com/sdata/2008/1"><sdata:diagnosis>
           <sdata:severity>error</sdata:severity><sdata:message>duplicate key</sdata:message></sdata:diagnosis></sdata:diagnoses>"#,
        );
        assert!(
            matches!(error_for(&xml, &context(None)), ConnectorError::Rejected { message } if message == "duplicate key")
        );
    }
}
