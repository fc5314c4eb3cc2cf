//! `$batch`: a feed of POST/PUT/DELETE/GET operations on one kind, executed in order
//! (SLX's synchronous batching), each answered with its own status.

use axum::response::Response;
use http::StatusCode;
use serde_json::{Map, Value as Json, json};

use crate::atom::{self, EntryExtras};
use crate::atom_read::{self, AtomEntry};
use crate::diagnose::{Diagnosis, SdataCode};
use crate::json;
use crate::model::Kind;
use crate::params::Format;
use crate::payload::Payload;
use crate::read::ctx;
use crate::routes::{Req, ctype, respond};
use crate::rules::CompiledRule;
use crate::selection::Selection;
use crate::state::FakeState;
use crate::users::{Caller, write_verb};
use crate::write::{Opts, WriteError, create_record, delete_record, update_record};

/// The outcome of one batch operation.
struct Outcome {
    /// The operation's method, echoed in the response entry (SData 13.4).
    method: String,
    status: StatusCode,
    key: Option<String>,
    /// Whether to render the record (not for DELETE).
    show: bool,
    diagnosis: Option<Diagnosis>,
}

/// The key inside a resource URL (`…/leads('KEY')`).
fn key_from_url(url: &str) -> Option<String> {
    let start = url.rfind("('")? + 2;
    let end = url[start..].find("')")? + start;
    Some(url[start..end].to_string())
}

fn bad(message: impl Into<String>) -> Diagnosis {
    Diagnosis::new(
        StatusCode::BAD_REQUEST,
        SdataCode::ApplicationDiagnosis,
        message,
    )
}

fn execute(
    state: &FakeState,
    kind: Kind,
    op: &AtomEntry,
    payload: Option<&Payload>,
    rules: &[CompiledRule],
    caller: &Caller,
) -> Outcome {
    let method = op
        .http_method
        .as_deref()
        .unwrap_or("POST")
        .to_ascii_uppercase();
    let key = op
        .id
        .as_deref()
        .and_then(key_from_url)
        .or_else(|| payload.and_then(|p| p.key.clone()));
    let opts = Opts {
        now: state.clock().now(),
        server_fields: false,
        rules,
        user: &caller.user_id,
    };
    let empty = Payload::default();
    // A refused PUT, DELETE or GET still names the resource it was about.
    let target = key.clone().filter(|_| method != "POST");
    let fail = |d: Diagnosis| Outcome {
        method: method.clone(),
        status: d.status,
        key: target.clone(),
        show: false,
        diagnosis: Some(d),
    };
    // Each operation is authorised on its own, as if sent alone.
    if let Some(verb) = write_verb(&method)
        && let Err(d) = caller.may_write(kind, verb)
    {
        return fail(d);
    }
    let result: Result<(StatusCode, String, u64, bool), WriteError> = match (method.as_str(), key) {
        ("POST", _) => match payload {
            None => Err(bad("a POST entry needs a payload").into()),
            Some(p) => create_record(&mut state.write(), kind, p, opts)
                .map(|(k, w)| (StatusCode::CREATED, k, w, true))
                .map_err(WriteError::from),
        },
        ("PUT", Some(k)) => update_record(
            &mut state.write(),
            kind,
            &k,
            payload.unwrap_or(&empty),
            op.if_match.as_deref(),
            opts,
        )
        .map(|w| (StatusCode::OK, k, w, true)),
        ("DELETE", Some(k)) => delete_record(&mut state.write(), kind, &k, op.if_match.as_deref())
            .map(|w| (StatusCode::OK, k, w, false)),
        ("GET", Some(k)) => match state.read().get(kind, &k) {
            Some(_) => Ok((StatusCode::OK, k, 0, true)),
            None => {
                Err(Diagnosis::not_found(format!("{} '{k}' not found", kind.def().name)).into())
            }
        },
        (m, None) if matches!(m, "PUT" | "DELETE" | "GET") => Err(bad(format!(
            "a {m} entry needs the resource URL in <id> or a key"
        ))
        .into()),
        (m, _) => Err(bad(format!("unsupported batch method '{m}'")).into()),
    };
    match result {
        Ok((status, k, writes, show)) => {
            state.stats_mut().record_writes += writes;
            Outcome {
                method,
                status,
                key: Some(k),
                show,
                diagnosis: None,
            }
        }
        Err(WriteError::Diag(d)) => fail(d),
        Err(WriteError::Stale(rec)) => Outcome {
            method,
            status: StatusCode::PRECONDITION_FAILED,
            key: Some(rec.key.clone()),
            show: true,
            diagnosis: Some(Diagnosis::new(
                StatusCode::PRECONDITION_FAILED,
                SdataCode::ApplicationDiagnosis,
                format!(
                    "{} '{}' was changed by someone else (stale If-Match)",
                    kind.def().name,
                    rec.key
                ),
            )),
        },
    }
}

fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Unknown")
}

/// `POST …/leads/$batch` with an Atom feed or `{"$resources":[…]}`.
pub(crate) fn batch(
    state: &FakeState,
    req: &Req,
    kind: Kind,
    caller: &Caller,
) -> Result<Response, Diagnosis> {
    let trimmed = req.body.iter().find(|b| !b.is_ascii_whitespace());
    let ops: Vec<(AtomEntry, Option<Payload>)> = if trimmed == Some(&b'{') {
        let value: Json = serde_json::from_slice(&req.body)
            .map_err(|e| bad(format!("batch body is not valid JSON: {e}")))?;
        let resources = value
            .get("$resources")
            .and_then(Json::as_array)
            .ok_or_else(|| bad("a JSON batch needs a \"$resources\" array"))?;
        resources
            .iter()
            .map(|r| {
                let obj = r.as_object().cloned().unwrap_or_default();
                let text = |n: &str| obj.get(n).and_then(Json::as_str).map(str::to_string);
                let op = AtomEntry {
                    id: text("$url"),
                    http_method: text("$httpMethod"),
                    if_match: text("$ifMatch").or_else(|| text("$etag")),
                    payload: None,
                };
                (op, Some(Payload::from_json(&obj)))
            })
            .collect()
    } else {
        atom_read::parse_feed(&req.body)
            .map_err(bad)?
            .into_iter()
            .map(|mut e| {
                let p = e.payload.take().map(|(_, p)| p);
                (e, p)
            })
            .collect()
    };
    let rules = state.rules().clone();
    let outcomes: Vec<Outcome> = ops
        .iter()
        .map(|(op, p)| execute(state, kind, op, p.as_ref(), &rules, caller))
        .collect();
    let store = state.read();
    let ctx = ctx(state, req, &store);
    let sel = Selection::all();
    match req.format {
        Format::Json => {
            let resources: Vec<Json> = outcomes
                .iter()
                .map(|o| {
                    let rec = o
                        .key
                        .as_deref()
                        .filter(|_| o.show)
                        .and_then(|k| store.get(kind, k));
                    let mut obj = rec.map_or_else(Map::new, |r| json::entry(&ctx, kind, r, &sel));
                    if rec.is_none()
                        && let Some(k) = &o.key
                    {
                        obj.insert("$key".into(), json!(k));
                        obj.insert("$url".into(), json!(ctx.entry_url(kind, k)));
                    }
                    obj.insert("$httpMethod".into(), json!(o.method));
                    obj.insert("$httpStatus".into(), json!(o.status.as_u16()));
                    obj.insert("$httpMessage".into(), json!(reason(o.status)));
                    if o.status == StatusCode::CREATED
                        && let Some(k) = &o.key
                    {
                        obj.insert("$location".into(), json!(ctx.entry_url(kind, k)));
                    }
                    if let Some(d) = &o.diagnosis {
                        obj.insert("$diagnoses".into(), Json::Array(vec![d.json_object()]));
                    }
                    Json::Object(obj)
                })
                .collect();
            let body =
                json!({"$url": format!("{}/$batch", ctx.feed_url(kind)), "$resources": resources});
            Ok(respond(StatusCode::OK, ctype::JSON, body.to_string(), None))
        }
        Format::Atom => {
            let mut out = format!(
                r#"<?xml version="1.0" encoding="utf-8"?><feed {}><title>{} batch</title><id>{}/$batch</id>"#,
                atom::ns_decls(),
                kind.def().name,
                ctx.feed_url(kind)
            );
            for o in &outcomes {
                let extras = EntryExtras {
                    http_method: Some(o.method.clone()),
                    http_status: Some((o.status.as_u16(), reason(o.status))),
                    location: (o.status == StatusCode::CREATED)
                        .then(|| o.key.as_deref().map(|k| ctx.entry_url(kind, k)))
                        .flatten(),
                    diagnoses: o
                        .diagnosis
                        .as_ref()
                        .map(|d| format!("<sdata:diagnoses>{}</sdata:diagnoses>", d.xml_element())),
                };
                match o
                    .key
                    .as_deref()
                    .filter(|_| o.show)
                    .and_then(|k| store.get(kind, k))
                {
                    Some(rec) => atom::entry(&mut out, &ctx, kind, rec, &sel, false, &extras),
                    None => {
                        out.push_str("<entry>");
                        if let Some(k) = &o.key {
                            let url = ctx.entry_url(kind, k);
                            out.push_str(&format!(
                                "<id>{}</id>",
                                quick_xml::escape::escape(url.as_str())
                            ));
                        }
                        atom::write_extras(&mut out, &extras);
                        out.push_str("</entry>");
                    }
                }
            }
            out.push_str("</feed>");
            Ok(respond(StatusCode::OK, ctype::FEED, out, None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_out_of_resource_urls() {
        assert_eq!(
            key_from_url("http://h/sdata/slx/dynamic/-/leads('QDEMOA000001')"),
            Some("QDEMOA000001".into())
        );
        assert_eq!(key_from_url("http://h/sdata/slx/dynamic/-/leads"), None);
    }
}
