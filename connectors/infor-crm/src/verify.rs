//! Logging in: `POST /sdata/slx/system/-/$service/getCurrentUser`. Its answer tells
//! apart a wrong password (401/403 → `Auth`), a host that cannot be reached
//! (`Unreachable`) and an address that answers but is not SData — a web page, a 404,
//! anything without a CRM user in it (`NotCrmEndpoint`).

use listbridge_connector::{ConnectorError, ConnectorResult, CrmUser};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::{
    client::{Accept, Failure, Rejection, Reply, Request},
    connector::Inner,
    response::{self, BodyKind, Context},
    xml,
};

/// How many attempts a login check gets: a person is waiting for the answer.
const VERIFY_ATTEMPTS: u32 = 2;

/// [`listbridge_connector::CrmConnector::verify`].
pub(crate) async fn verify(inner: &Inner) -> ConnectorResult<CrmUser> {
    let request = Request {
        method: Method::POST,
        url: inner.client.endpoint.current_user()?,
        body: Some(("application/json", "{}".to_string())),
        if_match: None,
        resource: "getCurrentUser",
        accept: Accept::Json,
        idempotent: true,
        max_attempts: Some(VERIFY_ATTEMPTS),
        method_override: None,
    };
    let context = inner.context("getCurrentUser", None);
    inner
        .client
        .execute(&request, |reply| current_user(reply, &context))
        .await
        .map_err(Failure::into_error)
}

fn not_sdata(context: &Context, message: String) -> Rejection {
    Rejection::Final(ConnectorError::NotCrmEndpoint {
        url: context.base_url.clone(),
        message,
    })
}

fn current_user(reply: &Reply, context: &Context) -> Result<CrmUser, Rejection> {
    if !reply.status.is_success() {
        return Err(match reply.status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                Rejection::Final(response::error_for(reply, context))
            }
            status if status.is_client_error() => not_sdata(
                context,
                format!(
                    "there is no SData getCurrentUser service here (HTTP {})",
                    status.as_u16()
                ),
            ),
            _ => Rejection::Final(response::error_for(reply, context)),
        });
    }
    let user = match response::body_kind(reply) {
        BodyKind::Json => match serde_json::from_str::<Value>(&reply.body) {
            Ok(value) => from_json(&value),
            Err(_) if reply.content_type.contains("json") => {
                return Err(Rejection::Malformed(
                    "the getCurrentUser answer is not valid JSON".into(),
                ));
            }
            Err(_) => None,
        },
        BodyKind::Xml => xml::parse(&reply.body)
            .ok()
            .and_then(|root| from_xml(&root)),
        BodyKind::Html => {
            return Err(not_sdata(
                context,
                "it answered with a web page, not the SData API".into(),
            ));
        }
        BodyKind::Other => None,
    };
    user.ok_or_else(|| not_sdata(context, "it answered, but not with a CRM user".into()))
}

fn from_json(value: &Value) -> Option<CrmUser> {
    let user = value
        .get("response")
        .filter(|r| r.is_object())
        .unwrap_or(value);
    let text = |name: &str| {
        user.get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    build(text("userId")?, text("userName"), text("prettyName"))
}

fn from_xml(root: &xml::Element) -> Option<CrmUser> {
    let text = |name: &str| {
        root.find_local(name)
            .map(|e| e.text.trim())
            .filter(|s| !s.is_empty())
    };
    build(text("userId")?, text("userName"), text("prettyName"))
}

fn build(id: &str, user_name: Option<&str>, pretty: Option<&str>) -> Option<CrmUser> {
    let user_name = user_name.unwrap_or(id).to_string();
    Some(CrmUser {
        id: id.to_string(),
        display_name: pretty
            .map(str::to_string)
            .unwrap_or_else(|| user_name.clone()),
        user_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, content_type: &str, body: &str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            content_type: content_type.into(),
            etag: None,
            location: None,
            retry_after: None,
            body: body.into(),
        }
    }

    fn context() -> Context {
        Context {
            entity: "getCurrentUser",
            key: None,
            base_url: "https://h".into(),
        }
    }

    fn outcome(r: Reply) -> Result<CrmUser, String> {
        current_user(&r, &context()).map_err(|e| match e {
            Rejection::Final(ConnectorError::NotCrmEndpoint { .. }) => "not-sdata".into(),
            Rejection::Final(ConnectorError::Auth { .. }) => "auth".into(),
            Rejection::Final(other) => format!("final: {other}"),
            Rejection::Malformed(m) => format!("malformed: {m}"),
        })
    }

    #[test]
    fn reads_the_user_in_json_and_xml() {
        let json = r#"{"response":{"userId":"ADMIN       ","userName":"admin","prettyName":"Administrator"}}"#;
        let user = outcome(reply(200, "application/json", json)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (
                user.id.as_str(),
                user.user_name.as_str(),
                user.display_name.as_str()
            ),
            ("ADMIN", "admin", "Administrator")
        );
        let xml = r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1"><sdata:payload>
            <getCurrentUser xmlns="http://schemas.sage.com/dynamic/2007"><response><userId>U1</userId><userName>lee</userName></response></getCurrentUser>
            </sdata:payload></entry>"#;
        let user =
            outcome(reply(200, "application/atom+xml", xml)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (user.id.as_str(), user.display_name.as_str()),
            ("U1", "lee")
        );
    }

    #[test]
    fn tells_apart_auth_and_non_sdata() {
        assert_eq!(outcome(reply(401, "", "")).err().as_deref(), Some("auth"));
        assert_eq!(outcome(reply(403, "", "")).err().as_deref(), Some("auth"));
        assert_eq!(
            outcome(reply(404, "text/html", "<html>Not found</html>"))
                .err()
                .as_deref(),
            Some("not-sdata")
        );
        assert_eq!(
            outcome(reply(405, "", "")).err().as_deref(),
            Some("not-sdata")
        );
        assert_eq!(
            outcome(reply(200, "text/html", "<!DOCTYPE html><html></html>"))
                .err()
                .as_deref(),
            Some("not-sdata")
        );
        assert_eq!(
            outcome(reply(200, "text/plain", "hello")).err().as_deref(),
            Some("not-sdata")
        );
        assert_eq!(
            outcome(reply(200, "", r#"{"status":"ok"}"#))
                .err()
                .as_deref(),
            Some("not-sdata")
        );
        assert!(
            outcome(reply(200, "application/json", "{\"resp"))
                .err()
                .is_some_and(|e| e.starts_with("malformed"))
        );
    }
}
