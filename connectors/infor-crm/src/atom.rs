//! Atom (XML) feeds and entries: reading pages and single entries, writing entries for
//! create/update and `$batch` feeds. Elements are matched by namespace URI, so prefixed
//! (`slx:Lead`) and default-namespaced (`<Lead xmlns=…>`) payloads read the same.

use quick_xml::escape::escape;

use crate::{
    diagnoses,
    wire::{OutEntry, OutNode, OutValue, RawValue, WireEntry, WireFeed},
    xml::{self, Element, NS_ATOM, NS_HTTP, NS_OPENSEARCH, NS_SDATA, NS_SLX, XmlError},
};

/// A parsed Atom body: a feed page or one entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AtomDoc {
    /// `<feed>`.
    Feed(WireFeed),
    /// `<entry>`.
    Entry(WireEntry),
}

/// Parses an Atom feed or entry.
pub(crate) fn parse(body: &str) -> Result<AtomDoc, XmlError> {
    let root = xml::parse(body)?;
    if root.is(NS_ATOM, "feed") {
        Ok(AtomDoc::Feed(feed(&root)))
    } else if root.is(NS_ATOM, "entry") {
        Ok(AtomDoc::Entry(entry(&root)))
    } else {
        Err(XmlError::unexpected_root(&root))
    }
}

impl XmlError {
    fn unexpected_root(root: &Element) -> XmlError {
        XmlError::new(format!(
            "expected an Atom feed or entry, found <{}>",
            root.local
        ))
    }
}

fn feed(root: &Element) -> WireFeed {
    let number = |name: &str| {
        root.child_text(NS_OPENSEARCH, name)
            .and_then(|t| t.parse::<u64>().ok())
    };
    let next = root
        .children_named(NS_ATOM, "link")
        .find(|link| link.plain_attr("rel") == Some("next"))
        .and_then(|link| link.plain_attr("href"))
        .map(str::to_string);
    WireFeed {
        entries: root.children_named(NS_ATOM, "entry").map(entry).collect(),
        total_results: number("totalResults"),
        start_index: number("startIndex"),
        items_per_page: number("itemsPerPage"),
        next,
    }
}

fn entry(element: &Element) -> WireEntry {
    let mut out = WireEntry {
        etag: element
            .child_text(NS_HTTP, "etag")
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        url: element
            .child_text(NS_ATOM, "id")
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        http_status: element
            .child_text(NS_HTTP, "httpStatus")
            .and_then(|t| t.parse().ok()),
        http_message: element
            .child_text(NS_HTTP, "httpMessage")
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        location: element
            .child_text(NS_HTTP, "location")
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        diagnoses: diagnoses::from_xml_root(element),
        ..WireEntry::default()
    };
    if let Some(payload) = element
        .child(NS_SDATA, "payload")
        .and_then(|p| p.children.first())
    {
        out.key = payload
            .attr(NS_SDATA, "key")
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty());
        if let Some(uri) = payload
            .attr(NS_SDATA, "uri")
            .or_else(|| payload.attr(NS_SDATA, "url"))
        {
            out.url = Some(uri.to_string());
        }
        for property in &payload.children {
            flatten_property(property, &mut out.fields);
        }
    }
    out
}

/// Adds one payload property: a value, a reference key, or a nested record's own values.
fn flatten_property(property: &Element, fields: &mut Vec<(String, RawValue)>) {
    let name = &property.local;
    if property.is_nil() {
        fields.push((name.clone(), RawValue::Null));
        return;
    }
    let key = property
        .attr(NS_SDATA, "key")
        .map(str::trim)
        .filter(|k| !k.is_empty());
    if property.children.is_empty() {
        match key {
            Some(key) => fields.push((name.clone(), RawValue::Ref(key.to_string()))),
            // A collection link (`<Addresses sdata:uri="…"/>`) carries no value.
            None if is_link(property) => {}
            None => fields.push((name.clone(), RawValue::Text(property.text.clone()))),
        }
        return;
    }
    // A related single record: flatten its simple properties to `Rel.Field`; nested
    // collections (children that have children of their own) are not flattened.
    for child in property.children.iter().filter(|c| c.children.is_empty()) {
        let child_name = format!("{name}.{}", child.local);
        if child.is_nil() {
            fields.push((child_name, RawValue::Null));
        } else if let Some(key) = child
            .attr(NS_SDATA, "key")
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            fields.push((child_name, RawValue::Ref(key.to_string())));
        } else if !is_link(child) {
            fields.push((child_name, RawValue::Text(child.text.clone())));
        }
    }
}

fn is_link(element: &Element) -> bool {
    element.attr(NS_SDATA, "uri").is_some() || element.attr(NS_SDATA, "url").is_some()
}

const ENTRY_NAMESPACES: &str = concat!(
    r#"xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1" "#,
    r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:http="http://schemas.sage.com/sdata/http/2008/1""#
);

/// Writes one entry document for a create (POST) or update (PUT).
pub(crate) fn write_entry(entry: &OutEntry) -> String {
    let mut out = format!("<entry {ENTRY_NAMESPACES}>");
    write_entry_body(entry, &mut out);
    out.push_str("</entry>");
    out
}

/// Writes a `$batch` feed of entries.
pub(crate) fn write_batch(entries: &[OutEntry]) -> String {
    let mut out = format!("<feed {ENTRY_NAMESPACES}>");
    for entry in entries {
        out.push_str("<entry>");
        write_entry_body(entry, &mut out);
        out.push_str("</entry>");
    }
    out.push_str("</feed>");
    out
}

fn write_entry_body(entry: &OutEntry, out: &mut String) {
    if let Some(url) = &entry.url {
        out.push_str(&format!("<id>{}</id>", escape(url.as_str())));
    }
    if let Some(method) = entry.batch_method {
        out.push_str(&format!(
            "<http:httpMethod>{}</http:httpMethod>",
            method.as_str()
        ));
    }
    if let Some(etag) = &entry.if_match {
        out.push_str(&format!(
            "<http:ifMatch>{}</http:ifMatch>",
            escape(etag.as_str())
        ));
    }
    out.push_str("<sdata:payload>");
    let key_attr = entry
        .key
        .as_ref()
        .map(|k| format!(r#" sdata:key="{}""#, escape(k.as_str())))
        .unwrap_or_default();
    out.push_str(&format!(
        r#"<{} xmlns="{NS_SLX}"{key_attr}>"#,
        entry.entity_name
    ));
    for (name, node) in &entry.fields {
        match node {
            OutNode::Value(value) => write_value(name, value, out),
            OutNode::Group(children) => {
                out.push_str(&format!("<{name}>"));
                for (child, value) in children {
                    write_value(child, value, out);
                }
                out.push_str(&format!("</{name}>"));
            }
        }
    }
    out.push_str(&format!("</{}></sdata:payload>", entry.entity_name));
}

fn write_value(name: &str, value: &OutValue, out: &mut String) {
    match value {
        OutValue::Null => out.push_str(&format!(r#"<{name} xsi:nil="true"/>"#)),
        OutValue::Text(text) | OutValue::Number(text) => {
            out.push_str(&format!("<{name}>{}</{name}>", escape(text.as_str())))
        }
        OutValue::Bool(flag) => out.push_str(&format!("<{name}>{flag}</{name}>")),
        OutValue::Ref(key) => out.push_str(&format!(
            r#"<{name} sdata:key="{}"/>"#,
            escape(key.as_str())
        )),
    }
}

#[cfg(test)]
#[path = "atom_tests.rs"]
mod tests;
