//! Atom (XML) feeds and entries: reading pages and single entries, writing entries for
//! create/update and `$batch` feeds. Elements are matched by namespace URI, so prefixed
//! (`slx:Lead`) and default-namespaced (`<Lead xmlns=…>`) payloads read the same.

use quick_xml::escape::escape;

use crate::{
    diagnoses,
    wire::{MAX_RELATION_NAME, OutEntry, OutNode, OutValue, RawValue, WireEntry, WireFeed},
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
    if name.len() > MAX_RELATION_NAME {
        return;
    }
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
mod tests {
    //! Atom parsing and writing against hand-written samples in the shapes Infor CRM's
    //! SData Atom feeds take (payload in the `slx` namespace, `sdata:key`, `http:etag`).

    use super::*;
    use crate::wire::{BatchMethod, OutEntry};

    /// A feed of leads as Infor CRM serves it (an OpenSearch-paged Atom feed with its
    /// payload prefixed `slx:`), plus an Address and a space-padded key.
    const PREFIXED_FEED: &str = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1"
      xmlns:http="http://schemas.sage.com/sdata/http/2008/1"
      xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:slx="http://schemas.sage.com/dynamic/2007">
  <title>Lead</title>
  <id>https://h/sdata/slx/dynamic/-/leads</id>
  <link rel="self" type="application/atom+xml; type=feed" href="https://h/sdata/slx/dynamic/-/leads?startIndex=1&amp;count=10"/>
  <link rel="next" type="application/atom+xml; type=feed" href="https://h/sdata/slx/dynamic/-/leads?startIndex=11&amp;count=10"/>
  <opensearch:totalResults>31</opensearch:totalResults>
  <opensearch:startIndex>1</opensearch:startIndex>
  <opensearch:itemsPerPage>10</opensearch:itemsPerPage>
  <entry>
    <id>https://h/sdata/slx/dynamic/-/leads('LQA1B0000001')</id>
    <title>Smith, Ann</title>
    <updated>2013-02-01T10:00:00+00:00</updated>
    <http:etag>gJaGtgHyuAwW6jMI4i0njA==</http:etag>
    <sdata:payload>
      <slx:Lead sdata:key="LQA1B0000001  " sdata:uri="https://h/sdata/slx/dynamic/-/leads('LQA1B0000001')">
        <slx:FirstName>Ann</slx:FirstName>
        <slx:LastName>O&apos;Neil</slx:LastName>
        <slx:Email>ann@example.com</slx:Email>
        <slx:Title xsi:nil="true"/>
        <slx:Owner sdata:key="SYST00000001" sdata:lookup="https://h/sdata/slx/dynamic/-/owners"/>
        <slx:Address sdata:key="aGHEA0002738">
          <slx:City>Chicago</slx:City>
          <slx:State xsi:nil="true"/>
        </slx:Address>
        <slx:Addresses sdata:uri="https://h/sdata/slx/dynamic/-/leadAddresses?where=LeadId"/>
        <slx:ModifyDate>2013-02-01T10:00:00+00:00</slx:ModifyDate>
      </slx:Lead>
    </sdata:payload>
  </entry>
</feed>"#;

    /// The same lead with a default-namespaced payload and `sdata:url`.
    const DEFAULT_NS_ENTRY: &str = r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:http="http://schemas.sage.com/sdata/http/2008/1">
  <id>https://h/sdata/slx/dynamic/-/leads('LQA1B0000001')</id>
  <http:etag>gJaGtgHyuAwW6jMI4i0njA==</http:etag>
  <sdata:payload>
    <Lead xmlns="http://schemas.sage.com/dynamic/2007" sdata:key="LQA1B0000001" sdata:url="https://h/sdata/slx/dynamic/-/leads('LQA1B0000001')">
      <FirstName>Ann</FirstName>
      <LastName>O&apos;Neil</LastName>
      <Email>ann@example.com</Email>
      <Title xsi:nil="true"/>
      <Owner sdata:key="SYST00000001"/>
      <Address><City>Chicago</City><State xsi:nil="true"/></Address>
      <ModifyDate>2013-02-01T10:00:00+00:00</ModifyDate>
    </Lead>
  </sdata:payload>
</entry>"#;

    fn text(s: &str) -> RawValue {
        RawValue::Text(s.to_string())
    }

    fn expected_fields() -> Vec<(String, RawValue)> {
        vec![
            ("FirstName".into(), text("Ann")),
            ("LastName".into(), text("O'Neil")),
            ("Email".into(), text("ann@example.com")),
            ("Title".into(), RawValue::Null),
            ("Owner".into(), RawValue::Ref("SYST00000001".into())),
            ("Address.City".into(), text("Chicago")),
            ("Address.State".into(), RawValue::Null),
            ("ModifyDate".into(), text("2013-02-01T10:00:00+00:00")),
        ]
    }

    #[test]
    fn prefixed_feed() {
        let Ok(AtomDoc::Feed(feed)) = parse(PREFIXED_FEED) else {
            panic!("not a feed")
        };
        assert_eq!(feed.total_results, Some(31));
        assert_eq!(feed.start_index, Some(1));
        assert_eq!(feed.items_per_page, Some(10));
        assert_eq!(
            feed.next.as_deref(),
            Some("https://h/sdata/slx/dynamic/-/leads?startIndex=11&count=10")
        );
        assert_eq!(feed.entries.len(), 1);
        let entry = &feed.entries[0];
        assert_eq!(entry.key.as_deref(), Some("LQA1B0000001"));
        assert_eq!(entry.etag.as_deref(), Some("gJaGtgHyuAwW6jMI4i0njA=="));
        assert_eq!(
            entry.url.as_deref(),
            Some("https://h/sdata/slx/dynamic/-/leads('LQA1B0000001')")
        );
        assert_eq!(entry.fields, expected_fields());
    }

    #[test]
    fn default_namespace_entry_reads_the_same() {
        let Ok(AtomDoc::Entry(entry)) = parse(DEFAULT_NS_ENTRY) else {
            panic!("not an entry")
        };
        assert_eq!(entry.key.as_deref(), Some("LQA1B0000001"));
        assert_eq!(
            entry.url.as_deref(),
            Some("https://h/sdata/slx/dynamic/-/leads('LQA1B0000001')")
        );
        assert_eq!(entry.fields, expected_fields());
    }

    #[test]
    fn last_page_and_empty_feed() {
        let body = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:os="http://a9.com/-/spec/opensearch/1.1/">
        <link rel="self" href="x"/><os:totalResults>0</os:totalResults></feed>"#;
        let Ok(AtomDoc::Feed(feed)) = parse(body) else {
            panic!("not a feed")
        };
        assert!(feed.entries.is_empty());
        assert_eq!(feed.next, None);
        assert_eq!(feed.total_results, Some(0));
    }

    #[test]
    fn batch_response_entries() {
        let body = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1"
        xmlns:http="http://schemas.sage.com/sdata/http/2008/1">
      <entry><http:httpStatus>201</http:httpStatus><http:location>https://h/sdata/slx/dynamic/-/leads('LNEW00000001')</http:location>
        <http:etag>abc=</http:etag>
        <sdata:payload><Lead xmlns="http://schemas.sage.com/dynamic/2007" sdata:key="LNEW00000001"><LastName>A</LastName></Lead></sdata:payload></entry>
      <entry><http:httpStatus>400</http:httpStatus><http:httpMessage>Bad Request</http:httpMessage>
        <sdata:diagnosis><sdata:severity>Error</sdata:severity><sdata:sdataCode>ApplicationDiagnosis</sdata:sdataCode>
        <sdata:message>LastName is required</sdata:message></sdata:diagnosis></entry>
    </feed>"#;
        let Ok(AtomDoc::Feed(feed)) = parse(body) else {
            panic!("not a feed")
        };
        assert_eq!(feed.entries[0].http_status, Some(201));
        assert_eq!(
            feed.entries[0].effective_key().as_deref(),
            Some("LNEW00000001")
        );
        assert_eq!(feed.entries[1].http_status, Some(400));
        assert_eq!(feed.entries[1].http_message.as_deref(), Some("Bad Request"));
        assert_eq!(feed.entries[1].diagnoses[0].message, "LastName is required");
    }

    #[test]
    fn rejects_non_atom() {
        assert!(parse("<html><body>Login</body></html>").is_err());
        assert!(parse("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>").is_err());
    }

    fn sample_out(batch: Option<BatchMethod>) -> OutEntry {
        OutEntry {
            entity_name: "Lead",
            fields: vec![
                (
                    "FirstName".into(),
                    OutNode::Value(OutValue::Text("Ann <&> 'Q'".into())),
                ),
                ("Title".into(), OutNode::Value(OutValue::Null)),
                ("Newsletter".into(), OutNode::Value(OutValue::Bool(true))),
                (
                    "LeadScore".into(),
                    OutNode::Value(OutValue::Number("42".into())),
                ),
                (
                    "LeadSource".into(),
                    OutNode::Value(OutValue::Ref("LDEMOA000001".into())),
                ),
                (
                    "Address".into(),
                    OutNode::Group(vec![("City".into(), OutValue::Text("Chicago".into()))]),
                ),
            ],
            batch_method: batch,
            url: batch.map(|_| "https://h/sdata/slx/dynamic/-/leads('K1')".into()),
            key: batch.map(|_| "K1".into()),
            if_match: batch.map(|_| "etag1".into()),
        }
    }

    #[test]
    fn written_entry_reads_back() {
        let body = write_entry(&sample_out(None));
        let Ok(AtomDoc::Entry(entry)) = parse(&body) else {
            panic!("not an entry: {body}")
        };
        assert_eq!(
            entry.fields,
            vec![
                ("FirstName".into(), text("Ann <&> 'Q'")),
                ("Title".into(), RawValue::Null),
                ("Newsletter".into(), text("true")),
                ("LeadScore".into(), text("42")),
                ("LeadSource".into(), RawValue::Ref("LDEMOA000001".into())),
                ("Address.City".into(), text("Chicago")),
            ]
        );
        assert!(
            body.contains(r#"<Lead xmlns="http://schemas.sage.com/dynamic/2007">"#),
            "{body}"
        );
    }

    #[test]
    fn written_batch_carries_methods() {
        let body = write_batch(&[sample_out(Some(BatchMethod::Put))]);
        let root = crate::xml::parse(&body).unwrap_or_default();
        let entry = root.child(NS_ATOM, "entry").cloned().unwrap_or_default();
        assert_eq!(entry.child_text(NS_HTTP, "httpMethod"), Some("PUT"));
        assert_eq!(entry.child_text(NS_HTTP, "ifMatch"), Some("etag1"));
        assert_eq!(
            entry.child_text(NS_ATOM, "id"),
            Some("https://h/sdata/slx/dynamic/-/leads('K1')")
        );
        let Ok(AtomDoc::Feed(feed)) = parse(&body) else {
            panic!("not a feed")
        };
        assert_eq!(feed.entries[0].key.as_deref(), Some("K1"));
    }
}
