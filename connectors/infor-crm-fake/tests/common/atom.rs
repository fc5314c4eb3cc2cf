//! A small namespace-aware Atom reader for assertions (independent of the server's code).
#![allow(dead_code)]

use std::collections::BTreeMap;

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

pub const ATOM: &str = "http://www.w3.org/2005/Atom";
pub const SDATA: &str = "http://schemas.sage.com/sdata/2008/1";
pub const HTTP: &str = "http://schemas.sage.com/sdata/http/2008/1";
pub const OPENSEARCH: &str = "http://a9.com/-/spec/opensearch/1.1/";
pub const SLX: &str = "http://schemas.sage.com/dynamic/2007";
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// One element: (namespace, local name), attributes by (namespace, local), text, children.
#[derive(Debug, Default, Clone)]
pub struct El {
    pub ns: String,
    pub name: String,
    pub attrs: BTreeMap<(String, String), String>,
    pub text: String,
    pub children: Vec<El>,
}

impl El {
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }
    pub fn child(&self, ns: &str, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.is(ns, name))
    }
    pub fn all(&self, ns: &str, name: &str) -> Vec<&El> {
        self.children.iter().filter(|c| c.is(ns, name)).collect()
    }
    pub fn attr(&self, ns: &str, name: &str) -> Option<&str> {
        self.attrs
            .get(&(ns.to_string(), name.to_string()))
            .map(String::as_str)
    }
    pub fn text_of(&self, ns: &str, name: &str) -> Option<String> {
        self.child(ns, name).map(|c| c.text.clone())
    }
    /// The `rel` link's href.
    pub fn link(&self, rel: &str) -> Option<String> {
        self.all(ATOM, "link")
            .into_iter()
            .find(|l| l.attr("", "rel") == Some(rel))
            .and_then(|l| l.attr("", "href").map(str::to_string))
    }
    /// The payload resource element of an entry.
    pub fn payload(&self) -> Option<&El> {
        self.child(SDATA, "payload")
            .and_then(|p| p.children.first())
    }
    /// Whether this element is `xsi:nil="true"`.
    pub fn nil(&self) -> bool {
        self.attr(XSI, "nil") == Some("true")
    }
}

fn ns(r: &ResolveResult<'_>) -> String {
    match r {
        ResolveResult::Bound(n) => n.as_ref().to_string(),
        _ => String::new(),
    }
}

fn element(reader: &NsReader<&[u8]>, e: &quick_xml::events::BytesStart<'_>) -> El {
    let (r, local) = reader.resolver().resolve_element(e.name());
    let mut el = El {
        ns: ns(&r),
        name: local.as_ref().to_string(),
        ..El::default()
    };
    for a in e.attributes().flatten() {
        if a.key.as_ref().starts_with("xmlns") {
            continue;
        }
        let (r, local) = reader.resolver().resolve_attribute(a.key);
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map(|v| v.into_owned())
            .unwrap_or_default();
        el.attrs.insert((ns(&r), local.as_ref().to_string()), v);
    }
    el
}

/// Parses a document; panics (test failure) on malformed XML.
pub fn parse(xml: &str) -> El {
    let mut reader = NsReader::from_str(xml);
    let mut stack: Vec<El> = Vec::new();
    loop {
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => panic!("malformed XML: {e}\n{xml}"),
        };
        match ev {
            Event::Start(e) => {
                let el = element(&reader, &e);
                stack.push(el);
            }
            Event::Empty(e) => {
                let el = element(&reader, &e);
                match stack.last_mut() {
                    Some(p) => p.children.push(el),
                    None => return el,
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    panic!("unbalanced XML")
                };
                match stack.last_mut() {
                    Some(p) => p.children.push(done),
                    None => return done,
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let s = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(r.as_ref())
                        .unwrap_or_default()
                        .to_string(),
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::Eof => panic!("unexpected end of XML"),
            _ => {}
        }
    }
}

/// The payload fields of an entry: name → Some(text) or None for nil.
pub fn fields(entry: &El) -> BTreeMap<String, Option<String>> {
    entry
        .payload()
        .map(|p| {
            p.children
                .iter()
                .filter(|c| c.ns == SLX)
                .map(|c| {
                    (
                        c.name.clone(),
                        if c.nil() { None } else { Some(c.text.clone()) },
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
