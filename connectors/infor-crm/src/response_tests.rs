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
