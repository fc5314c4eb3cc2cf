//! Reads Atom entries and feeds sent by clients (creates, updates, `$batch`), matching
//! elements by namespace URI, never by prefix.

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use crate::atom::ns;
use crate::payload::{PValue, Payload};

/// A parsed XML element (namespace URI, local name, attributes, children, text).
#[derive(Debug, Default, Clone)]
pub(crate) struct Element {
    pub ns: Option<String>,
    pub name: String,
    pub attrs: Vec<(Option<String>, String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    fn is(&self, namespace: &str, name: &str) -> bool {
        self.ns.as_deref() == Some(namespace) && self.name == name
    }

    fn attr(&self, namespace: &str, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, l, _)| n.as_deref() == Some(namespace) && l == name)
            .map(|(_, _, v)| v.as_str())
    }

    fn child(&self, namespace: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(namespace, name))
    }
}

fn ns_of(r: &ResolveResult<'_>) -> Option<String> {
    match r {
        ResolveResult::Bound(n) => Some(n.as_ref().to_string()),
        _ => None,
    }
}

fn start(
    reader: &NsReader<&[u8]>,
    res: &ResolveResult<'_>,
    e: &BytesStart<'_>,
) -> Result<Element, String> {
    let mut el = Element {
        ns: ns_of(res),
        name: e.local_name().as_ref().to_string(),
        ..Element::default()
    };
    for attr in e.attributes() {
        let attr = attr.map_err(|err| format!("bad attribute: {err}"))?;
        if attr.key.as_ref().starts_with("xmlns") {
            continue;
        }
        let (ans, local) = reader.resolver().resolve_attribute(attr.key);
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| format!("bad attribute value: {err}"))?
            .into_owned();
        el.attrs
            .push((ns_of(&ans), local.as_ref().to_string(), value));
    }
    Ok(el)
}

/// Parses a whole document into its root element.
pub(crate) fn parse_document(xml: &[u8]) -> Result<Element, String> {
    let mut reader = NsReader::from_reader(xml);
    let mut stack: Vec<Element> = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("invalid XML at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) => {
                let (res, _) = reader.resolver().resolve_element(e.name());
                let el = start(&reader, &res, &e)?;
                stack.push(el);
            }
            Event::Empty(e) => {
                let (res, _) = reader.resolver().resolve_element(e.name());
                let el = start(&reader, &res, &e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err("unbalanced end tag".into());
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name = r.as_ref().to_string();
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| format!("unknown entity &{name};"))?
                            .to_string()
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            Event::Eof => return Err("unexpected end of document".into()),
            _ => {}
        }
    }
}

/// One `<entry>` of a request.
#[derive(Debug, Default, Clone)]
pub(crate) struct AtomEntry {
    /// `<id>`: the resource URL (batch PUT/DELETE).
    pub id: Option<String>,
    /// `<http:httpMethod>` (batch).
    pub http_method: Option<String>,
    /// `<http:ifMatch>` or `<http:etag>`.
    pub if_match: Option<String>,
    /// The resource element under `<sdata:payload>`, with its element name.
    pub payload: Option<(String, Payload)>,
}

fn is_nil(el: &Element) -> bool {
    el.attr(ns::XSI, "nil").is_some_and(|v| v.trim() == "true")
}

fn key_of(el: &Element) -> Option<String> {
    el.attr(ns::SDATA, "key").map(str::to_string)
}

/// Converts a resource element (`<Lead sdata:key=…>…</Lead>`) to a payload.
pub(crate) fn payload_of(el: &Element) -> Payload {
    let mut p = Payload {
        key: key_of(el),
        fields: Vec::new(),
    };
    for child in &el.children {
        let value = if is_nil(child) {
            PValue::Null
        } else if child.children.is_empty() {
            match key_of(child) {
                Some(key) => PValue::Nested(Payload {
                    key: Some(key),
                    fields: Vec::new(),
                }),
                None => PValue::Text(child.text.clone()),
            }
        } else if child.children.len() == 1 && !child.children[0].children.is_empty() {
            // <Address><LeadAddress>…</LeadAddress></Address>
            let mut nested = payload_of(&child.children[0]);
            nested.key = nested.key.or_else(|| key_of(child));
            PValue::Nested(nested)
        } else {
            PValue::Nested(payload_of(child))
        };
        p.fields.push((child.name.clone(), value));
    }
    p
}

fn entry_of(el: &Element) -> AtomEntry {
    let text =
        |namespace: &str, name: &str| el.child(namespace, name).map(|c| c.text.trim().to_string());
    AtomEntry {
        id: text(ns::ATOM, "id"),
        http_method: text(ns::HTTP, "httpMethod"),
        if_match: text(ns::HTTP, "ifMatch").or_else(|| text(ns::HTTP, "etag")),
        payload: el
            .child(ns::SDATA, "payload")
            .and_then(|p| p.children.first())
            .map(|res| (res.name.clone(), payload_of(res))),
    }
}

/// Parses an Atom `<entry>` document.
pub(crate) fn parse_entry(xml: &[u8]) -> Result<AtomEntry, String> {
    let root = parse_document(xml)?;
    if !root.is(ns::ATOM, "entry") {
        return Err(format!("expected an Atom <entry>, got <{}>", root.name));
    }
    Ok(entry_of(&root))
}

/// Parses an Atom `<feed>` document into its entries.
pub(crate) fn parse_feed(xml: &[u8]) -> Result<Vec<AtomEntry>, String> {
    let root = parse_document(xml)?;
    if !root.is(ns::ATOM, "feed") {
        return Err(format!("expected an Atom <feed>, got <{}>", root.name));
    }
    Ok(root
        .children
        .iter()
        .filter(|c| c.is(ns::ATOM, "entry"))
        .map(entry_of)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_payload_by_namespace_whatever_the_prefix() {
        let xml = br#"<a:entry xmlns:a="http://www.w3.org/2005/Atom" xmlns:s="http://schemas.sage.com/sdata/2008/1"
            xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
          <s:payload><Lead xmlns="http://schemas.sage.com/dynamic/2007">
            <FirstName>Ann &amp; Bo</FirstName><Title i:nil="true"/>
            <Owner s:key="SYST00000001"/>
            <Address><City>Chicago</City></Address>
          </Lead></s:payload></a:entry>"#;
        let parsed = parse_entry(xml);
        let Ok(AtomEntry {
            payload: Some((name, p)),
            ..
        }) = parsed
        else {
            panic!("entry with payload: {parsed:?}");
        };
        assert_eq!(name, "Lead");
        assert_eq!(
            p.fields[0],
            ("FirstName".into(), PValue::Text("Ann & Bo".into()))
        );
        assert_eq!(p.fields[1].1, PValue::Null);
        assert!(
            matches!(&p.fields[2].1, PValue::Nested(n) if n.key.as_deref() == Some("SYST00000001"))
        );
        assert!(matches!(&p.fields[3].1, PValue::Nested(n) if n.fields.len() == 1));
    }

    #[test]
    fn rejects_broken_xml_and_wrong_roots() {
        assert!(parse_entry(b"<entry><unclosed></entry>").is_err());
        assert!(parse_entry(br#"<feed xmlns="http://www.w3.org/2005/Atom"/>"#).is_err());
    }
}
