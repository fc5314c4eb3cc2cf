//! Atom rendering: feeds and entries with the SData namespaces, `slx`-prefixed payloads,
//! `sdata:key`/`sdata:uri`, `http:etag`, `xsi:nil` nulls and `<updated>` = ModifyDate.

use std::fmt::Write as _;

use quick_xml::escape::escape;

use crate::derive::descriptor;
use crate::json::FeedMeta;
use crate::model::{FieldType, Kind, Record};
use crate::render::{Ctx, field_value, iso, value_text};
use crate::selection::Selection;

/// Namespace URIs used on the wire.
pub(crate) mod ns {
    /// Atom.
    pub const ATOM: &str = "http://www.w3.org/2005/Atom";
    /// SData core.
    pub const SDATA: &str = "http://schemas.sage.com/sdata/2008/1";
    /// SData HTTP (etag, httpMethod, httpStatus).
    pub const HTTP: &str = "http://schemas.sage.com/sdata/http/2008/1";
    /// OpenSearch paging.
    pub const OPENSEARCH: &str = "http://a9.com/-/spec/opensearch/1.1/";
    /// The Saleslogix dynamic payload namespace.
    pub const SLX: &str = "http://schemas.sage.com/dynamic/2007";
    /// XML Schema instance (`xsi:nil`).
    pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
}

/// The namespace declarations put on a root `<feed>` or `<entry>`.
pub(crate) fn ns_decls() -> String {
    format!(
        r#"xmlns="{}" xmlns:sdata="{}" xmlns:http="{}" xmlns:opensearch="{}" xmlns:xsi="{}" xmlns:slx="{}""#,
        ns::ATOM,
        ns::SDATA,
        ns::HTTP,
        ns::OPENSEARCH,
        ns::XSI,
        ns::SLX
    )
}

/// Extra per-entry lines for `$batch` responses and diagnoses.
#[derive(Debug, Default)]
pub(crate) struct EntryExtras {
    /// The batch operation's method, echoed back.
    pub http_method: Option<String>,
    pub http_status: Option<(u16, &'static str)>,
    pub location: Option<String>,
    pub diagnoses: Option<String>,
}

/// Writes one `<entry>`; `root` adds the XML declaration and namespaces.
pub(crate) fn entry(
    out: &mut String,
    ctx: &Ctx<'_>,
    kind: Kind,
    rec: &Record,
    sel: &Selection,
    root: bool,
    extras: &EntryExtras,
) {
    let url = ctx.entry_url(kind, &rec.key);
    if root {
        out.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
        let _ = write!(out, "<entry {}>", ns_decls());
    } else {
        out.push_str("<entry>");
    }
    if rec.key.is_empty() {
        let _ = write!(out, "<title>{}</title>", kind.def().name);
    } else {
        let _ = write!(
            out,
            r#"<id>{u}</id><title>{t}</title><updated>{d}</updated><link rel="self" type="application/atom+xml; type=entry" title="{t}" href="{u}"/><http:etag>{e}</http:etag>"#,
            u = escape(url.as_str()),
            t = escape(descriptor(kind, rec).as_str()),
            d = iso(rec.modify_date),
            e = escape(rec.etag.as_str()),
        );
    }
    write_extras(out, extras);
    if sel.permissions {
        permissions(out, kind, sel);
    }
    out.push_str("<sdata:payload>");
    payload(out, ctx, kind, rec, sel, kind.def().name);
    out.push_str("</sdata:payload></entry>");
}

/// Writes `http:httpStatus`, `http:location` and diagnoses of a batch/error entry.
pub(crate) fn write_extras(out: &mut String, extras: &EntryExtras) {
    if let Some((code, message)) = extras.http_status {
        let _ = write!(
            out,
            "<http:httpStatus>{code}</http:httpStatus><http:httpMessage>{message}</http:httpMessage>"
        );
    }
    if let Some(method) = &extras.http_method {
        let _ = write!(
            out,
            "<http:httpMethod>{}</http:httpMethod>",
            escape(method.as_str())
        );
    }
    if let Some(loc) = &extras.location {
        let _ = write!(
            out,
            "<http:location>{}</http:location>",
            escape(loc.as_str())
        );
    }
    if let Some(d) = &extras.diagnoses {
        out.push_str(d);
    }
}

/// Writes `<sdata:permissions>`, the Atom twin of JSON's `$permissions` (inferred: no
/// source shows Infor CRM's Atom form): one `<sdata:permission name access/>` per property.
fn permissions(out: &mut String, kind: Kind, sel: &Selection) {
    out.push_str("<sdata:permissions>");
    for field in kind.def().fields.iter().filter(|f| sel.has(f)) {
        let _ = write!(
            out,
            r#"<sdata:permission name="{}" access="{}"/>"#,
            field.name,
            access(field)
        );
    }
    out.push_str("</sdata:permissions>");
}

/// A property's access for `include=$permissions`.
pub(crate) fn access(field: &crate::model::FieldDef) -> &'static str {
    if field.read_only {
        "ReadOnly"
    } else {
        "ReadWrite"
    }
}

/// Writes a payload element (`<slx:Lead sdata:key=… sdata:uri=…>…</slx:Lead>`).
fn payload(
    out: &mut String,
    ctx: &Ctx<'_>,
    kind: Kind,
    rec: &Record,
    sel: &Selection,
    element: &str,
) {
    let def = kind.def();
    if rec.key.is_empty() {
        let _ = write!(out, "<slx:{element}>");
    } else {
        let _ = write!(
            out,
            r#"<slx:{element} sdata:key="{k}" sdata:uri="{u}" sdata:descriptor="{d}">"#,
            k = escape(rec.key.as_str()),
            u = escape(ctx.entry_url(kind, &rec.key).as_str()),
            d = escape(descriptor(kind, rec).as_str()),
        );
    }
    for field in def.fields.iter().filter(|f| sel.has(f)) {
        let name = field.name;
        let Some(value) = field_value(rec, field) else {
            let _ = write!(out, r#"<slx:{name} xsi:nil="true"/>"#);
            continue;
        };
        if let FieldType::Reference { target, lookup } = field.ty {
            let key = value.as_text().unwrap_or_default();
            let related = target.and_then(|t| ctx.store.get(t, key).map(|r| (t, r)));
            match (related, sel.expanded(name)) {
                (Some((t, r)), Some(inner)) => payload(out, ctx, t, r, inner, name),
                (Some((t, r)), None) => {
                    let _ = write!(
                        out,
                        r#"<slx:{name} sdata:key="{k}" sdata:uri="{u}" sdata:lookup="{base}{lookup}""#,
                        k = escape(key),
                        u = escape(ctx.entry_url(t, key).as_str()),
                        base = ctx.base,
                    );
                    if sel.descriptors {
                        let _ = write!(
                            out,
                            r#" sdata:descriptor="{}""#,
                            escape(descriptor(t, r).as_str())
                        );
                    }
                    out.push_str("/>");
                }
                (None, _) => {
                    let _ = write!(
                        out,
                        r#"<slx:{name} sdata:key="{k}" sdata:lookup="{base}{lookup}"/>"#,
                        k = escape(key),
                        base = ctx.base,
                    );
                }
            }
            continue;
        }
        let _ = write!(
            out,
            "<slx:{name}>{}</slx:{name}>",
            escape(value_text(&value).as_str())
        );
    }
    let _ = write!(out, "</slx:{element}>");
}

/// Writes a whole `<feed>` document.
pub(crate) fn feed(
    ctx: &Ctx<'_>,
    kind: Kind,
    meta: &FeedMeta,
    records: &[&Record],
    sel: &Selection,
) -> String {
    let mut out = String::with_capacity(2048 + records.len() * 2048);
    out.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
    let _ = write!(
        out,
        "<feed {}><title>{}</title><id>{}</id>",
        ns_decls(),
        escape(meta.title.as_str()),
        escape(meta.id.as_str())
    );
    let links = [
        ("self", Some(&meta.self_url)),
        ("first", Some(&meta.first)),
        ("last", meta.last.as_ref()),
        ("previous", meta.previous.as_ref()),
        ("next", meta.next.as_ref()),
    ];
    for (rel, href) in links {
        if let Some(href) = href {
            let _ = write!(
                out,
                r#"<link rel="{rel}" type="application/atom+xml; type=feed" href="{}"/>"#,
                escape(href.as_str())
            );
        }
    }
    let _ = write!(
        out,
        r#"<link rel="http://schemas.sage.com/sdata/link-relations/schema" type="application/xml" href="{}/$schema"/>"#,
        escape(ctx.feed_url(kind).as_str())
    );
    let _ = write!(
        out,
        "<opensearch:totalResults>{}</opensearch:totalResults><opensearch:startIndex>{}</opensearch:startIndex><opensearch:itemsPerPage>{}</opensearch:itemsPerPage>",
        meta.total, meta.start_index, meta.items_per_page
    );
    for rec in records {
        entry(
            &mut out,
            ctx,
            kind,
            rec,
            sel,
            false,
            &EntryExtras::default(),
        );
    }
    out.push_str("</feed>");
    out
}
