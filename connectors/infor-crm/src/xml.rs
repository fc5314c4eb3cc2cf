//! A small namespace-resolved element tree over quick-xml.
//!
//! SData bodies are one page (or one entry, one schema) at a time, so a tree is cheap and
//! lets the Atom, diagnosis and schema readers match elements by namespace URI and local
//! name, whatever prefix (or default namespace) the server chose.

use std::{collections::HashMap, sync::Arc};

use quick_xml::{
    escape::resolve_predefined_entity,
    events::{BytesStart, Event},
    name::ResolveResult,
    reader::NsReader,
};

/// Atom namespace.
pub(crate) const NS_ATOM: &str = "http://www.w3.org/2005/Atom";
/// SData protocol namespace (`sdata:`).
pub(crate) const NS_SDATA: &str = "http://schemas.sage.com/sdata/2008/1";
/// SData HTTP namespace (`http:` — etags, batch methods and statuses).
pub(crate) const NS_HTTP: &str = "http://schemas.sage.com/sdata/http/2008/1";
/// OpenSearch namespace (paging counters).
pub(crate) const NS_OPENSEARCH: &str = "http://a9.com/-/spec/opensearch/1.1/";
/// Saleslogix payload namespace (`slx:`).
pub(crate) const NS_SLX: &str = "http://schemas.sage.com/dynamic/2007";
/// XML Schema instance namespace (`xsi:nil`).
pub(crate) const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// XML Schema namespace (`xs:` in `$schema`).
pub(crate) const NS_XS: &str = "http://www.w3.org/2001/XMLSchema";
/// SData metadata extensions (`sme:` in `$schema`).
pub(crate) const NS_SME: &str = "http://schemas.sage.com/sdata/sme/2007";

/// The deepest element nesting a document may have. SData feeds, entries, `$batch`
/// answers and `$schema` documents nest about a dozen levels; the limit keeps a hostile
/// or broken body from overflowing the stack in the recursive walks over the tree
/// (`find_local`, diagnosis collection, and dropping the tree itself).
pub(crate) const MAX_DEPTH: usize = 128;

/// Why a body could not be read as XML.
#[derive(Debug, thiserror::Error)]
#[error("malformed XML: {0}")]
pub(crate) struct XmlError(String);

impl XmlError {
    /// An error with the given explanation.
    pub fn new(message: impl Into<String>) -> XmlError {
        XmlError(message.into())
    }
}

/// One attribute with its resolved namespace.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attr {
    /// Namespace URI, if the attribute name had a bound prefix (shared, see [`Element::ns`]).
    pub ns: Option<Arc<str>>,
    /// Local name.
    pub local: String,
    /// Unescaped value.
    pub value: String,
}

/// One element with its resolved namespace, attributes, children and direct text.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Element {
    /// Namespace URI, if any: one shared copy per URI and document, so a long URI costs
    /// its length once, not once per element and attribute.
    pub ns: Option<Arc<str>>,
    /// Local name.
    pub local: String,
    /// Attributes in document order.
    pub attrs: Vec<Attr>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// Concatenated direct text content (unescaped, CDATA included).
    pub text: String,
}

impl Element {
    /// True when the element is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns.as_deref() == Some(ns)
    }

    /// The value of the attribute `{ns}local`.
    pub fn attr(&self, ns: &str, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.local == local && a.ns.as_deref() == Some(ns))
            .map(|a| a.value.as_str())
    }

    /// The value of an attribute without a namespace (`name="…"`).
    pub fn plain_attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.local == local && a.ns.is_none())
            .map(|a| a.value.as_str())
    }

    /// The first child `{ns}local`.
    pub fn child(&self, ns: &str, local: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, local))
    }

    /// All children `{ns}local`.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, local))
    }

    /// The trimmed text of the first child `{ns}local`.
    pub fn child_text(&self, ns: &str, local: &str) -> Option<&str> {
        self.child(ns, local).map(|c| c.text.trim())
    }

    /// `xsi:nil="true"` is set.
    pub fn is_nil(&self) -> bool {
        matches!(self.attr(NS_XSI, "nil").map(str::trim), Some("true" | "1"))
    }

    /// The first descendant (depth-first, self excluded) with the given local name in any namespace.
    pub fn find_local(&self, local: &str) -> Option<&Element> {
        self.children.iter().find_map(|c| {
            if c.local == local {
                Some(c)
            } else {
                c.find_local(local)
            }
        })
    }
}

/// Parses a whole document and returns its root element. Elements nested deeper than
/// [`MAX_DEPTH`] make it an error, so the tree is never deeper than that.
pub(crate) fn parse(body: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(body);
    let mut namespaces = Namespaces::default();
    let mut stack: Vec<Element> = Vec::new();
    let too_deep = || {
        XmlError(format!(
            "elements are nested deeper than {MAX_DEPTH} levels"
        ))
    };
    loop {
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| XmlError(e.to_string()))?;
        let ns = namespaces.of(resolved)?;
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(too_deep());
                }
                let element = open(&reader, &mut namespaces, ns, &start)?;
                stack.push(element);
            }
            Event::Empty(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(too_deep());
                }
                let element = open(&reader, &mut namespaces, ns, &start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::End(_) => {
                let done = stack
                    .pop()
                    .ok_or_else(|| XmlError("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&data.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference
                    .resolve_char_ref()
                    .map_err(|e| XmlError(e.to_string()))?
                {
                    Some(ch) => ch.to_string(),
                    None => resolve_predefined_entity(&reference)
                        .ok_or_else(|| XmlError(format!("unknown entity &{};", &*reference)))?
                        .to_string(),
                };
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&resolved);
                }
            }
            Event::Eof => {
                return Err(XmlError(
                    "the document ended before its root element closed".into(),
                ));
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
}

/// The namespace URIs of one document, each held once and shared by every element and
/// attribute in it. Looked up by where the reader keeps the URI (its binding in scope),
/// confirmed by content, so a long URI is neither copied nor hashed per element.
#[derive(Default)]
struct Namespaces(HashMap<(usize, usize), Arc<str>>);

impl Namespaces {
    /// The shared URI a name resolved to (`None` without a namespace).
    fn of(&mut self, resolved: ResolveResult<'_>) -> Result<Option<Arc<str>>, XmlError> {
        match resolved {
            ResolveResult::Bound(ns) => {
                let at = (ns.0.as_ptr() as usize, ns.0.len());
                if let Some(uri) = self.0.get(&at).filter(|uri| &***uri == ns.0) {
                    return Ok(Some(Arc::clone(uri)));
                }
                let uri: Arc<str> = Arc::from(ns.0);
                self.0.insert(at, Arc::clone(&uri));
                Ok(Some(uri))
            }
            ResolveResult::Unbound => Ok(None),
            ResolveResult::Unknown(prefix) => {
                Err(XmlError(format!("undeclared namespace prefix '{prefix}'")))
            }
        }
    }
}

fn open(
    reader: &NsReader<&[u8]>,
    namespaces: &mut Namespaces,
    ns: Option<Arc<str>>,
    start: &BytesStart<'_>,
) -> Result<Element, XmlError> {
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| XmlError(e.to_string()))?;
        if attr.key.as_namespace_binding().is_some() {
            continue;
        }
        let (resolved, local) = reader.resolver().resolve_attribute(attr.key);
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| XmlError(e.to_string()))?
            .into_owned();
        attrs.push(Attr {
            ns: namespaces.of(resolved)?,
            local: local.into_inner().to_string(),
            value,
        });
    }
    Ok(Element {
        ns,
        local: start.local_name().into_inner().to_string(),
        attrs,
        children: Vec::new(),
        text: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_prefixed_and_default_namespaces_alike() {
        let prefixed = r#"<a:root xmlns:a="urn:x"><a:v>1</a:v></a:root>"#;
        let default = r#"<root xmlns="urn:x"><v>1</v></root>"#;
        for doc in [prefixed, default] {
            let root = parse(doc).unwrap_or_default();
            assert!(root.is("urn:x", "root"), "{doc}");
            assert_eq!(root.child_text("urn:x", "v"), Some("1"));
        }
    }

    #[test]
    fn unescapes_text_and_attributes() {
        let root = parse(
            r#"<r k="O&apos;Neil &amp; Co">Maxim&apos;s &lt;b&gt; &#233;<![CDATA[<x>]]></r>"#,
        )
        .unwrap_or_default();
        assert_eq!(root.plain_attr("k"), Some("O'Neil & Co"));
        assert_eq!(root.text, "Maxim's <b> é<x>");
    }

    fn nested(depth: usize, innermost: &str) -> String {
        let mut doc = String::with_capacity(depth * 8);
        for _ in 0..depth {
            doc.push_str("<a>");
        }
        doc.push_str(innermost);
        for _ in 0..depth {
            doc.push_str("</a>");
        }
        doc
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        for doc in [
            nested(100_000, ""),
            nested(100_000, "<b/>"),
            "<a>".repeat(100_000),
            nested(MAX_DEPTH, "<b/>"),
            nested(MAX_DEPTH + 1, ""),
        ] {
            let err = parse(&doc).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                err.contains(&format!("nested deeper than {MAX_DEPTH}")),
                "{err}"
            );
        }
        // At the limit a document still parses, and the recursive walks work on it.
        let root = parse(&nested(MAX_DEPTH - 1, "<userId>U1</userId>")).unwrap_or_default();
        assert_eq!(
            root.find_local("userId").map(|e| e.text.as_str()),
            Some("U1")
        );
        assert!(crate::diagnoses::from_xml_root(&root).is_empty());
    }

    #[test]
    fn rejects_broken_documents() {
        assert!(parse("<r><a></r>").is_err());
        assert!(parse("<r>").is_err());
        assert!(parse("<p:r/>").is_err());
        assert!(parse("not xml at all").is_err());
    }
}
