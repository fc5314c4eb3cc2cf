//! Read handlers: feeds with paging, single resources, `$template`, `$schema`, the
//! feed list and the `getCurrentUser` service.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::json;

use crate::atom::{self, EntryExtras};
use crate::diagnose::{Diagnosis, SdataCode};
use crate::json::{self, FeedMeta};
use crate::model::{Fields, Kind, Record, Value};
use crate::params::Format;
use crate::query::{self, Read};
use crate::render::Ctx;
use crate::routes::{Req, ctype, respond};
use crate::selection::{self, Selection};
use crate::state::FakeState;
use crate::users::Caller;
use crate::where_parser::WhereError;
use crate::xsd;

pub(crate) fn bad_where(e: WhereError) -> Diagnosis {
    Diagnosis::new(
        StatusCode::BAD_REQUEST,
        SdataCode::BadWhereSyntax,
        e.to_string(),
    )
}

pub(crate) fn bad_query(message: String) -> Diagnosis {
    Diagnosis::new(
        StatusCode::BAD_REQUEST,
        SdataCode::BadQueryParameter,
        message,
    )
}

fn number_param(req: &Req, name: &str) -> Result<Option<i64>, Diagnosis> {
    match req
        .params
        .get(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            bad_query(format!(
                "query parameter '{name}' must be a whole number, got '{v}'"
            ))
        }),
    }
}

pub(crate) fn selection_of(req: &Req, kind: Kind) -> Result<Selection, Diagnosis> {
    selection::parse(kind, req.params.get("select"), req.params.get("include")).map_err(bad_query)
}

/// Renders one entry as a complete response body.
pub(crate) fn entry_body(
    ctx: &Ctx<'_>,
    format: Format,
    kind: Kind,
    rec: &Record,
    sel: &Selection,
) -> (String, &'static str) {
    match format {
        Format::Json => (
            serde_json::Value::Object(json::entry(ctx, kind, rec, sel)).to_string(),
            ctype::JSON,
        ),
        Format::Atom => {
            let mut out = String::with_capacity(4096);
            atom::entry(&mut out, ctx, kind, rec, sel, true, &EntryExtras::default());
            (out, ctype::ENTRY)
        }
    }
}

pub(crate) fn ctx<'a>(state: &FakeState, req: &'a Req, store: &'a crate::store::Store) -> Ctx<'a> {
    Ctx {
        store,
        base: &req.base,
        json_dates: state.settings().json_dates,
    }
}

/// `GET …/leads?where=…&orderBy=…&startIndex=…&count=…`.
pub(crate) fn feed(state: &FakeState, req: &Req, kind: Kind) -> Result<Response, Diagnosis> {
    let filter = query::parse_where(kind, req.params.get("where")).map_err(bad_where)?;
    let order =
        query::parse_order(kind, req.params.get("orderBy")).map_err(|e| bad_query(e.message))?;
    let sel = selection_of(req, kind)?;
    let cap = state.settings().page_cap;
    let start_index = number_param(req, "startIndex")?.unwrap_or(1).max(1) as usize;
    let count = number_param(req, "count")?.map_or(cap, |c| c.max(0) as usize);
    let per_page = count.min(cap);
    let now = state.clock().now();
    let store = state.read();
    let read = Read {
        kind,
        filter: filter.as_ref(),
        order: &order,
        skip: start_index - 1,
        take: per_page,
        now,
    };
    let page = query::run(&store, &read);
    let ctx = ctx(state, req, &store);
    let feed_url = ctx.feed_url(kind);
    let link = |start: usize| format!("{feed_url}?{}", req.params.with_paging(start, per_page));
    let raw = req.params.raw();
    let shown = start_index - 1 + page.records.len();
    let meta = FeedMeta {
        title: kind.def().name.to_string(),
        id: feed_url.clone(),
        self_url: if raw.is_empty() {
            feed_url.clone()
        } else {
            format!("{feed_url}?{raw}")
        },
        first: link(1),
        last: (page.total > 0 && per_page > 0)
            .then(|| link((page.total - 1) / per_page * per_page + 1)),
        previous: (start_index > 1 && per_page > 0)
            .then(|| link(start_index.saturating_sub(per_page).max(1))),
        next: match req.next_loops_back {
            true if start_index > 1 => Some(link(1)),
            _ => (per_page > 0 && shown < page.total && !state.omit_next_links())
                .then(|| link(start_index + per_page)),
        },
        total: page.total,
        start_index,
        items_per_page: per_page,
    };
    Ok(match req.format {
        Format::Json => respond(
            StatusCode::OK,
            ctype::JSON,
            json::feed(&ctx, kind, &meta, &page.records, &sel).to_string(),
            None,
        ),
        Format::Atom => respond(
            StatusCode::OK,
            ctype::FEED,
            atom::feed(&ctx, kind, &meta, &page.records, &sel),
            None,
        ),
    })
}

/// `GET …/leads('KEY')`.
pub(crate) fn single(
    state: &FakeState,
    req: &Req,
    kind: Kind,
    key: &str,
) -> Result<Response, Diagnosis> {
    let sel = selection_of(req, kind)?;
    let store = state.read();
    let rec = store
        .get(kind, key)
        .ok_or_else(|| Diagnosis::not_found(format!("{} '{key}' not found", kind.def().name)))?;
    let ctx = ctx(state, req, &store);
    let (body, ct) = entry_body(&ctx, req.format, kind, rec, &sel);
    Ok(respond(StatusCode::OK, ct, body, Some(&rec.etag)))
}

/// `GET …/accounts(AccountName eq 'x')`: the clause must match exactly one record.
pub(crate) fn clause(
    state: &FakeState,
    req: &Req,
    kind: Kind,
    clause: &str,
) -> Result<Response, Diagnosis> {
    let filter = query::parse_where(kind, Some(clause)).map_err(bad_where)?;
    let order = query::Order::Key { desc: false };
    let store = state.read();
    let read = Read {
        kind,
        filter: filter.as_ref(),
        order: &order,
        skip: 0,
        take: 2,
        now: state.clock().now(),
    };
    let page = query::run(&store, &read);
    match page.records.as_slice() {
        [one] => {
            let key = one.key.clone();
            drop(store);
            single(state, req, kind, &key)
        }
        [] => Err(Diagnosis::not_found(format!(
            "no {} matches ({clause})",
            kind.def().name
        ))),
        _ => Err(Diagnosis::new(
            StatusCode::BAD_REQUEST,
            SdataCode::ApplicationDiagnosis,
            format!(
                "({clause}) matches {} {} records, not one",
                page.total,
                kind.def().name
            ),
        )),
    }
}

/// The default values of a new record of `kind`.
pub(crate) fn template_record(kind: Kind) -> Record {
    let mut fields = Fields::new();
    let flags: &[&'static str] = match kind {
        Kind::Lead => &[
            "DoNotEmail",
            "DoNotSolicit",
            "DoNotMail",
            "DoNotPhone",
            "DoNotFAX",
            "IsPrimary",
        ],
        Kind::Contact => &[
            "DoNotEmail",
            "DoNotFax",
            "DoNotMail",
            "DoNotPhone",
            "DoNotSolicit",
        ],
        Kind::LeadAddress | Kind::Address => &["IsPrimary", "IsMailing"],
        Kind::History => &["Timeless", "Attachment"],
        Kind::Opportunity => &["ExchangeRateLocked", "Closed"],
        Kind::OpportunityContact => &["IsPrimary"],
        Kind::Account => &[],
    };
    for f in flags {
        fields.insert(f, Value::Bool(false));
    }
    match kind {
        Kind::Lead => {
            fields.insert("Status", Value::Text("New".into()));
        }
        Kind::History => {
            fields.insert("Type", Value::Text("atNote".into()));
            fields.insert("Priority", Value::Text("None".into()));
            fields.insert("Duration", Value::Int(0));
        }
        Kind::Opportunity => {
            fields.insert("Status", Value::Text("Open".into()));
            fields.insert("CloseProbability", Value::Int(0));
        }
        _ => {}
    }
    Record {
        key: String::new(),
        etag: String::new(),
        create_date: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        modify_date: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        fields,
    }
}

/// `GET …/leads/$template`.
pub(crate) fn template(state: &FakeState, req: &Req, kind: Kind) -> Result<Response, Diagnosis> {
    let rec = template_record(kind);
    let store = state.read();
    let ctx = ctx(state, req, &store);
    let (body, ct) = entry_body(&ctx, req.format, kind, &rec, &Selection::all());
    Ok(respond(StatusCode::OK, ct, body, None))
}

/// `GET …/$schema`.
pub(crate) fn schema() -> Response {
    respond(StatusCode::OK, ctype::XML, xsd::document(), None)
}

/// `GET …/leads/$schema` → 302 to the contract schema's fragment for the kind.
pub(crate) fn schema_redirect(req: &Req, kind: Kind) -> Response {
    let location = format!("{}$schema?version=1#{}", req.base, kind.def().schema_name);
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// `GET /sdata/slx/dynamic/-/`: the enabled feeds.
pub(crate) fn root(req: &Req) -> Response {
    match req.format {
        Format::Json => {
            let resources: Vec<_> = Kind::ALL
                .iter()
                .map(|k| json!({"$key": k.plural(), "$url": format!("{}{}", req.base, k.plural()), "$descriptor": k.def().name}))
                .collect();
            let body = json!({"$url": req.base, "$totalResults": resources.len(), "$startIndex": 1,
                "$itemsPerPage": resources.len(), "$resources": resources});
            respond(StatusCode::OK, ctype::JSON, body.to_string(), None)
        }
        Format::Atom => {
            let mut out = format!(
                r#"<?xml version="1.0" encoding="utf-8"?><feed {}><title>Resources</title><id>{}</id>"#,
                atom::ns_decls(),
                req.base
            );
            for k in Kind::ALL {
                out.push_str(&format!(
                    r#"<entry><id>{b}{p}</id><title>{p}</title><link rel="via" type="application/atom+xml; type=feed" href="{b}{p}"/></entry>"#,
                    b = req.base,
                    p = k.plural()
                ));
            }
            out.push_str("</feed>");
            respond(StatusCode::OK, ctype::FEED, out, None)
        }
    }
}

/// `GET /sdata/$system`: answers once credentials are valid.
pub(crate) fn system(req: &Req) -> Response {
    match req.format {
        Format::Json => respond(
            StatusCode::OK,
            ctype::JSON,
            json!({"$descriptor": "system"}).to_string(),
            None,
        ),
        Format::Atom => respond(
            StatusCode::OK,
            ctype::FEED,
            format!(
                r#"<?xml version="1.0" encoding="utf-8"?><feed {}><title>system</title></feed>"#,
                atom::ns_decls()
            ),
            None,
        ),
    }
}

/// `POST /sdata/slx/system/-/$service/getCurrentUser`.
pub(crate) fn service(req: &Req, op: &str, caller: &Caller) -> Result<Response, Diagnosis> {
    if !op.eq_ignore_ascii_case("getCurrentUser") {
        return Err(Diagnosis::new(
            StatusCode::NOT_FOUND,
            SdataCode::ResourceKindNotFound,
            format!("service operation '{op}' not found"),
        ));
    }
    let user = &caller.user_name;
    Ok(match req.format {
        Format::Json => {
            let body = json!({"$name": "getCurrentUser", "response": {
                "userId": caller.user_id, "userName": user, "prettyName": caller.pretty_name}});
            respond(StatusCode::OK, ctype::JSON, body.to_string(), None)
        }
        Format::Atom => {
            let body = format!(
                r#"<?xml version="1.0" encoding="utf-8"?><entry {}><sdata:payload><slx:getCurrentUser><slx:response><slx:userId>{}</slx:userId><slx:userName>{}</slx:userName><slx:prettyName>{}</slx:prettyName></slx:response></slx:getCurrentUser></sdata:payload></entry>"#,
                atom::ns_decls(),
                quick_xml::escape::escape(caller.user_id.as_str()),
                quick_xml::escape::escape(user.as_str()),
                quick_xml::escape::escape(caller.pretty_name.as_str()),
            );
            respond(StatusCode::OK, ctype::ENTRY, body, None)
        }
    })
}
