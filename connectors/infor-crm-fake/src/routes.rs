//! The `/sdata` request pipeline: method override, routing, statistics, faults,
//! authentication, then the handler for the addressed resource.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};

use crate::diagnose::{Diagnosis, SdataCode};
use crate::params::{Format, Params};
use crate::path::{self, Target};
use crate::state::FakeState;
use crate::users::{Caller, write_verb};
use crate::{auth, fault_apply, read, write};
use fake_kit::ConnHandle;

/// The largest request body accepted.
const MAX_BODY: usize = 32 * 1024 * 1024;

/// One parsed `/sdata` request.
#[derive(Debug)]
pub(crate) struct Req {
    pub method: Method,
    pub target: Target,
    pub params: Params,
    pub format: Format,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// `http://host/sdata/slx/dynamic/-/`.
    pub base: String,
    /// A feed page after the first links `next` back to the first (the `next_loop` fault).
    pub next_loops_back: bool,
}

/// Handles every request under `/sdata`.
pub(crate) async fn sdata(
    State(state): State<FakeState>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            return Diagnosis::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                SdataCode::ApplicationDiagnosis,
                e.to_string(),
            )
            .respond(Format::Atom);
        }
    };
    let (method, uri, body) = method_override(parts.method, parts.uri, &parts.headers, body);
    let params = Params::parse(uri.query());
    let format = params.format(&parts.headers);
    let target = match path::parse(uri.path()) {
        Ok(t) => t,
        Err(d) => {
            state.stats_mut().count(method.as_str(), "$unknown");
            return d.respond(format);
        }
    };
    let kind_label = target.stats_kind();
    state.stats_mut().count(method.as_str(), &kind_label);
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let req = Req {
        method,
        target,
        params,
        format,
        headers: parts.headers,
        body,
        base: format!("http://{host}/sdata/slx/dynamic/-/"),
        next_loops_back: false,
    };
    fault_apply::run(&state, &conn, &kind_label, req, handle).await
}

/// Authentication, authorisation and dispatch, after faults had their say.
pub(crate) fn handle(state: &FakeState, req: &Req) -> Response {
    let caller = match auth::identify(&req.headers, |u, p| state.caller_for(u, p)) {
        Ok(c) => c,
        Err(message) => {
            let mut resp = auth::unauthorized(message).respond(req.format);
            auth::challenge(&req.headers, &mut resp);
            return resp;
        }
    };
    match caller
        .may_use()
        .and_then(|()| dispatch(state, req, &caller))
    {
        Ok(resp) => resp,
        Err(d) => d.respond(req.format),
    }
}

fn method_not_allowed(req: &Req) -> Diagnosis {
    Diagnosis::new(
        StatusCode::METHOD_NOT_ALLOWED,
        SdataCode::ApplicationDiagnosis,
        format!("{} is not supported on this resource", req.method),
    )
}

fn dispatch(state: &FakeState, req: &Req, caller: &Caller) -> Result<Response, Diagnosis> {
    let m = &req.method;
    // A write to a single kind is authorised up front; `$batch` checks each operation.
    if let (Target::Feed(kind) | Target::Key(kind, _), Some(verb)) =
        (&req.target, write_verb(m.as_str()))
    {
        caller.may_write(*kind, verb)?;
    }
    match (&req.target, m) {
        (Target::Root, &Method::GET) => Ok(read::root(req)),
        (Target::System, &Method::GET) => Ok(read::system(req)),
        (Target::Schema, &Method::GET) => Ok(read::schema()),
        (Target::KindSchema(kind), &Method::GET) => Ok(read::schema_redirect(req, *kind)),
        (Target::Template(kind), &Method::GET) => read::template(state, req, *kind),
        (Target::Feed(kind), &Method::GET) => read::feed(state, req, *kind),
        (Target::Key(kind, key), &Method::GET) => read::single(state, req, *kind, key),
        (Target::Clause(kind, clause), &Method::GET) => read::clause(state, req, *kind, clause),
        (Target::Service(op), &Method::POST | &Method::GET) => read::service(req, op, caller),
        (Target::Feed(kind), &Method::POST) => write::create(state, req, *kind, caller),
        (Target::Key(kind, key), &Method::PUT) => write::update(state, req, *kind, key, caller),
        (Target::Key(kind, key), &Method::DELETE) => write::delete(state, req, *kind, key),
        (Target::Batch(kind), &Method::POST) => write::batch(state, req, *kind, caller),
        _ => Err(method_not_allowed(req)),
    }
}

/// Applies `X-HTTP-Method-Override`: a POST may stand for PUT/DELETE, or for a GET whose
/// full URL (too long for a query string) is the text/plain body.
fn method_override(
    method: Method,
    uri: Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> (Method, Uri, Bytes) {
    let overridden = headers
        .get("x-http-method-override")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Method::from_bytes(v.trim().to_ascii_uppercase().as_bytes()).ok());
    let Some(new_method) = overridden.filter(|_| method == Method::POST) else {
        return (method, uri, body);
    };
    if new_method == Method::GET {
        let text = String::from_utf8_lossy(&body).trim().to_string();
        if let Ok(full) = text.parse::<Uri>() {
            let rebuilt = full.path_and_query().map(|pq| pq.as_str().to_string());
            if let Some(Ok(u)) = rebuilt.map(|s| s.parse::<Uri>()) {
                return (Method::GET, u, Bytes::new());
            }
        }
        return (Method::GET, uri, Bytes::new());
    }
    (new_method, uri, body)
}

/// A response with a body, content type and optional ETag.
pub(crate) fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: String,
    etag: Option<&str>,
) -> Response {
    let mut resp = (status, Body::from(body)).into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert(header::ETAG, tag);
    }
    resp
}

/// Content types used by the SData responses.
pub(crate) mod ctype {
    /// Atom feed.
    pub const FEED: &str = "application/atom+xml; type=feed; charset=utf-8";
    /// Atom entry.
    pub const ENTRY: &str = "application/atom+xml; type=entry; charset=utf-8";
    /// JSON.
    pub const JSON: &str = "application/json; charset=utf-8";
    /// XML (schema).
    pub const XML: &str = "application/xml; charset=utf-8";
}
