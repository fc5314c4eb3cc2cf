//! Creates, updates and deletes: partial merges, nested single children (Lead.Address),
//! etags, server-maintained dates, validation, and the HTTP handlers around them.

use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use http::{HeaderValue, StatusCode, header};

use crate::atom_read;
use crate::diagnose::{Diagnosis, SdataCode};
use crate::model::{FieldType, Kind, Record, Value};
use crate::payload::{PValue, Payload, convert, parse_date_value};
use crate::read::{ctx, entry_body, selection_of};
use crate::routes::{Req, respond};
use crate::rules::{self, CompiledRule};
use crate::selection::Selection;
use crate::state::FakeState;
use crate::store::Store;
use crate::users::Caller;

/// Why a write failed.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// A diagnosable error (400, 404, 409).
    Diag(Diagnosis),
    /// `If-Match` did not match: 412 with the current record.
    Stale(Box<Record>),
}

impl From<Diagnosis> for WriteError {
    fn from(d: Diagnosis) -> Self {
        WriteError::Diag(d)
    }
}

/// Options for building records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opts<'a> {
    pub now: DateTime<Utc>,
    /// Accept `$key`, `CreateDate`, `ModifyDate` from the payload (file loading, admin).
    pub server_fields: bool,
    /// The CRM-side write rules to enforce (none for admin changes and file loading).
    pub rules: &'a [CompiledRule],
    /// The user id recorded as `CreateUser`/`ModifyUser`.
    pub user: &'a str,
}

/// The field of a child that points back at its parent.
fn owner_link(child: Kind) -> Option<&'static str> {
    match child {
        Kind::LeadAddress => Some("LeadId"),
        Kind::Address => Some("EntityId"),
        _ => None,
    }
}

/// Applies a payload onto `rec` (a fresh or an existing record); returns the nested
/// children to create or update afterwards.
fn merge(
    store: &mut Store,
    kind: Kind,
    rec: &mut Record,
    payload: &Payload,
    opts: Opts<'_>,
) -> Result<Vec<(&'static str, Kind, Payload)>, Diagnosis> {
    let def = kind.def();
    let mut children = Vec::new();
    for (name, value) in &payload.fields {
        let Some(field) = def.field(name) else {
            return Err(Diagnosis::field(
                name,
                format!("property '{name}' does not exist on {}", def.name),
            ));
        };
        if field.read_only && !opts.server_fields {
            continue;
        }
        if matches!(field.name, "CreateDate" | "ModifyDate") {
            let date = match value {
                PValue::Text(t) => parse_date_value(t),
                _ => None,
            }
            .ok_or_else(|| {
                Diagnosis::field(
                    field.name,
                    format!("{}.{} must be a date", def.name, field.name),
                )
            })?;
            if field.name == "CreateDate" {
                rec.create_date = date;
            } else {
                rec.modify_date = date;
            }
            continue;
        }
        if let (
            FieldType::Reference {
                target: Some(target),
                ..
            },
            PValue::Nested(nested),
        ) = (field.ty, value)
            && (nested.key.is_none() || !nested.fields.is_empty())
            && owner_link(target).is_some()
        {
            children.push((field.name, target, nested.clone()));
            continue;
        }
        if let (
            FieldType::Reference {
                target: Some(target),
                ..
            },
            Some(key),
        ) = (field.ty, reference_key(value))
            && store.get(target, &key).is_none()
        {
            return Err(Diagnosis::field(
                field.name,
                format!(
                    "{}.{}: {} '{key}' does not exist",
                    def.name,
                    field.name,
                    target.def().name
                ),
            ));
        }
        match convert(kind, field, value)? {
            Some(v) => {
                rec.fields.insert(field.name, v);
            }
            None => {
                rec.fields.remove(field.name);
            }
        }
    }
    if kind == Kind::Contact
        && payload
            .fields
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("Account"))
        && !payload
            .fields
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("AccountName"))
    {
        let name = rec
            .text("Account")
            .and_then(|k| store.get(Kind::Account, k))
            .and_then(|a| a.text("AccountName"))
            .map(str::to_string);
        if let Some(name) = name {
            rec.fields.insert("AccountName", Value::Text(name.into()));
        }
    }
    Ok(children)
}

fn reference_key(value: &PValue) -> Option<String> {
    match value {
        PValue::Text(k) => Some(k.clone()),
        PValue::Nested(p) if p.fields.is_empty() => p.key.clone(),
        _ => None,
    }
}

fn check_mandatory(kind: Kind, rec: &Record) -> Result<(), Diagnosis> {
    let def = kind.def();
    for f in def.fields.iter().filter(|f| f.mandatory) {
        let present = rec
            .fields
            .get(f.name)
            .is_some_and(|v| v.as_text().is_none_or(|t| !t.trim().is_empty()));
        if !present {
            return Err(Diagnosis::field(
                f.name,
                format!("{}.{} is required", def.name, f.name),
            ));
        }
    }
    Ok(())
}

/// The records a write produced, to put into the store together.
type Staged = Vec<(Kind, Record)>;

fn stage_children(
    store: &mut Store,
    parent: &mut Record,
    children: Vec<(&'static str, Kind, Payload)>,
    opts: Opts<'_>,
    staged: &mut Staged,
) -> Result<(), Diagnosis> {
    for (field, child_kind, mut nested) in children {
        let existing = nested
            .key
            .clone()
            .or_else(|| parent.text(field).map(str::to_string))
            .and_then(|k| store.get(child_kind, &k).cloned());
        if let Some(link) = owner_link(child_kind) {
            nested.fields.retain(|(n, _)| !n.eq_ignore_ascii_case(link));
        }
        let mut child = match existing {
            Some(c) => {
                let before = c.clone();
                let mut c = c;
                merge(store, child_kind, &mut c, &nested, opts)?;
                if c.fields != before.fields {
                    touch(store, &mut c, opts);
                }
                c
            }
            None => {
                let mut c = blank(store, child_kind, None, opts);
                merge(store, child_kind, &mut c, &nested, opts)?;
                c
            }
        };
        if let Some(link) = owner_link(child_kind) {
            child
                .fields
                .insert(link, Value::Text(parent.key.as_str().into()));
        }
        check_mandatory(child_kind, &child)?;
        parent
            .fields
            .insert(field, Value::Text(child.key.as_str().into()));
        staged.push((child_kind, child));
    }
    Ok(())
}

fn blank(store: &mut Store, kind: Kind, key: Option<String>, opts: Opts<'_>) -> Record {
    let now = opts.now;
    let mut rec = Record {
        key: key.unwrap_or_else(|| store.new_key(kind)),
        etag: store.new_etag(),
        create_date: now,
        modify_date: now,
        fields: Default::default(),
    };
    rec.fields
        .insert("CreateUser", Value::Text(opts.user.into()));
    rec.fields
        .insert("ModifyUser", Value::Text(opts.user.into()));
    rec
}

fn touch(store: &mut Store, rec: &mut Record, opts: Opts<'_>) {
    rec.etag = store.new_etag();
    rec.modify_date = opts.now;
    rec.fields
        .insert("ModifyUser", Value::Text(opts.user.into()));
}

/// Creates a record (and nested children); returns its key and the records written.
pub(crate) fn create_record(
    store: &mut Store,
    kind: Kind,
    payload: &Payload,
    opts: Opts<'_>,
) -> Result<(String, u64), Diagnosis> {
    let key = if opts.server_fields {
        payload.key.clone()
    } else {
        None
    };
    if let Some(k) = &key
        && store.get(kind, k).is_some()
    {
        return Err(Diagnosis::new(
            StatusCode::CONFLICT,
            SdataCode::ApplicationDiagnosis,
            format!("{} '{k}' already exists", kind.def().name),
        ));
    }
    let mut rec = blank(store, kind, key, opts);
    let children = merge(store, kind, &mut rec, payload, opts)?;
    check_mandatory(kind, &rec)?;
    let mut staged = Vec::new();
    stage_children(store, &mut rec, children, opts, &mut staged)?;
    let key = rec.key.clone();
    staged.push((kind, rec));
    if !opts.rules.is_empty() {
        let all: Vec<(Kind, &Record)> = staged.iter().map(|(k, r)| (*k, r)).collect();
        rules::check(store, &all, opts.rules)?;
    }
    let writes = staged.len() as u64;
    for (k, r) in staged {
        store.put(k, r);
    }
    Ok((key, writes))
}

/// Strips quotes and a weak marker from an ETag header value.
pub(crate) fn clean_etag(tag: &str) -> &str {
    let tag = tag.trim();
    // `W/` marks a weak tag only before a quoted value: the fake's own tags are unquoted
    // base64 and may themselves begin with `W/`.
    let tag = match tag.strip_prefix("W/") {
        Some(rest) if rest.starts_with('"') => rest,
        _ => tag,
    };
    tag.trim_matches('"')
}

/// Updates a record with a partial payload; returns the records written (0 = no change).
pub(crate) fn update_record(
    store: &mut Store,
    kind: Kind,
    key: &str,
    payload: &Payload,
    if_match: Option<&str>,
    opts: Opts<'_>,
) -> Result<u64, WriteError> {
    let Some(current) = store.get(kind, key).cloned() else {
        return Err(Diagnosis::not_found(format!("{} '{key}' not found", kind.def().name)).into());
    };
    if let Some(tag) = if_match
        && clean_etag(tag) != current.etag
        && clean_etag(tag) != "*"
    {
        return Err(WriteError::Stale(Box::new(current)));
    }
    let mut rec = current.clone();
    let children = merge(store, kind, &mut rec, payload, opts)?;
    check_mandatory(kind, &rec)?;
    let mut staged = Vec::new();
    stage_children(store, &mut rec, children, opts, &mut staged)?;
    let child_writes = staged
        .iter()
        .filter(|(k, r)| store.get(*k, &r.key) != Some(r))
        .count() as u64;
    let dated = opts.server_fields && rec.modify_date != current.modify_date;
    let changed = rec.fields != current.fields || child_writes > 0 || dated;
    if changed && dated {
        rec.etag = store.new_etag();
    } else if changed {
        touch(store, &mut rec, opts);
    }
    if !opts.rules.is_empty() {
        let mut all: Vec<(Kind, &Record)> = staged.iter().map(|(k, r)| (*k, r)).collect();
        all.push((kind, &rec));
        rules::check(store, &all, opts.rules)?;
    }
    for (k, r) in staged {
        store.put(k, r);
    }
    if changed {
        store.put(kind, rec);
    }
    Ok(child_writes + u64::from(changed))
}

/// Deletes a record (a lead takes its LeadAddress with it).
pub(crate) fn delete_record(
    store: &mut Store,
    kind: Kind,
    key: &str,
    if_match: Option<&str>,
) -> Result<u64, WriteError> {
    let Some(current) = store.get(kind, key) else {
        return Err(Diagnosis::not_found(format!("{} '{key}' not found", kind.def().name)).into());
    };
    if let Some(tag) = if_match
        && clean_etag(tag) != current.etag
        && clean_etag(tag) != "*"
    {
        return Err(WriteError::Stale(Box::new(current.clone())));
    }
    let mut writes = 0;
    if let Some(old) = store.remove(kind, key) {
        writes += 1;
        if kind == Kind::Lead
            && let Some(addr) = old.text("Address")
            && store.remove(Kind::LeadAddress, addr).is_some()
        {
            writes += 1;
        }
    }
    Ok(writes)
}

/// Parses a request body (JSON object or Atom entry) into a payload.
pub(crate) fn body_payload(req: &Req, kind: Kind) -> Result<Payload, Diagnosis> {
    let bad =
        |m: String| Diagnosis::new(StatusCode::BAD_REQUEST, SdataCode::ApplicationDiagnosis, m);
    let is_json = req
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("json"))
        || req.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if is_json {
        let value: serde_json::Value = serde_json::from_slice(&req.body)
            .map_err(|e| bad(format!("request body is not valid JSON: {e}")))?;
        let obj = value
            .as_object()
            .ok_or_else(|| bad("request body must be a JSON object".into()))?;
        return Ok(Payload::from_json(obj));
    }
    let entry = atom_read::parse_entry(&req.body).map_err(bad)?;
    let (name, payload) = entry
        .payload
        .ok_or_else(|| bad("the entry has no <sdata:payload>".into()))?;
    if !name.eq_ignore_ascii_case(kind.def().name) {
        return Err(bad(format!(
            "payload <{name}> does not belong in {}",
            kind.plural()
        )));
    }
    Ok(payload)
}

/// Renders the stored record after a write.
fn written(
    state: &FakeState,
    req: &Req,
    kind: Kind,
    key: &str,
    status: StatusCode,
) -> Result<Response, Diagnosis> {
    let sel = selection_of(req, kind).unwrap_or_else(|_| Selection::all());
    let store = state.read();
    let rec = store
        .get(kind, key)
        .ok_or_else(|| Diagnosis::not_found(format!("{} '{key}' not found", kind.def().name)))?;
    let ctx = ctx(state, req, &store);
    let (body, ct) = entry_body(&ctx, req.format, kind, rec, &sel);
    let mut resp = respond(status, ct, body, Some(&rec.etag));
    if status == StatusCode::CREATED
        && let Ok(loc) = HeaderValue::from_str(&ctx.entry_url(kind, key))
    {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(resp)
}

/// The 412 response: the current entry and its etag.
pub(crate) fn stale(state: &FakeState, req: &Req, kind: Kind, rec: &Record) -> Response {
    let store = state.read();
    let ctx = ctx(state, req, &store);
    let (body, ct) = entry_body(&ctx, req.format, kind, rec, &Selection::all());
    respond(StatusCode::PRECONDITION_FAILED, ct, body, Some(&rec.etag))
}

fn if_match(req: &Req) -> Option<&str> {
    req.headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
}

/// `POST …/leads`.
pub(crate) fn create(
    state: &FakeState,
    req: &Req,
    kind: Kind,
    caller: &Caller,
) -> Result<Response, Diagnosis> {
    let payload = body_payload(req, kind)?;
    let rules = state.rules().clone();
    let opts = Opts {
        now: state.clock().now(),
        server_fields: false,
        rules: &rules,
        user: &caller.user_id,
    };
    let (key, writes) = create_record(&mut state.write(), kind, &payload, opts)?;
    state.stats_mut().record_writes += writes;
    written(state, req, kind, &key, StatusCode::CREATED)
}

/// `PUT …/leads('KEY')`.
pub(crate) fn update(
    state: &FakeState,
    req: &Req,
    kind: Kind,
    key: &str,
    caller: &Caller,
) -> Result<Response, Diagnosis> {
    let tag = if_match(req);
    if tag.is_none() && state.settings().require_if_match {
        return Err(Diagnosis::new(
            StatusCode::BAD_REQUEST,
            SdataCode::ApplicationDiagnosis,
            format!(
                "updating {} '{key}' requires an If-Match header",
                kind.def().name
            ),
        ));
    }
    let payload = body_payload(req, kind)?;
    let rules = state.rules().clone();
    let opts = Opts {
        now: state.clock().now(),
        server_fields: false,
        rules: &rules,
        user: &caller.user_id,
    };
    let result = update_record(&mut state.write(), kind, key, &payload, tag, opts);
    match result {
        Ok(writes) => {
            state.stats_mut().record_writes += writes;
            written(state, req, kind, key, StatusCode::OK)
        }
        Err(WriteError::Diag(d)) => Err(d),
        Err(WriteError::Stale(rec)) => Ok(stale(state, req, kind, &rec)),
    }
}

/// `DELETE …/leads('KEY')`.
pub(crate) fn delete(
    state: &FakeState,
    req: &Req,
    kind: Kind,
    key: &str,
) -> Result<Response, Diagnosis> {
    let result = delete_record(&mut state.write(), kind, key, if_match(req));
    match result {
        Ok(writes) => {
            state.stats_mut().record_writes += writes;
            // 200 with an empty body, as SData specifies for DELETE.
            Ok(StatusCode::OK.into_response())
        }
        Err(WriteError::Diag(d)) => Err(d),
        Err(WriteError::Stale(rec)) => Ok(stale(state, req, kind, &rec)),
    }
}

pub(crate) use crate::batch::batch;

#[cfg(test)]
mod tests {
    use super::clean_etag;

    #[test]
    fn weak_prefix_is_dropped_only_before_a_quoted_tag() {
        assert_eq!(clean_etag("W/\"abc\""), "abc");
        assert_eq!(clean_etag("\"abc\""), "abc");
        assert_eq!(clean_etag(" abc "), "abc");
        // A base64 tag that happens to start with `W/` is a tag, not a weak marker.
        assert_eq!(clean_etag("W//KOZ5G6ew="), "W//KOZ5G6ew=");
    }
}
