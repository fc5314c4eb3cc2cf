//! Property tests of the readers of what a CRM sends (Atom and JSON feeds and entries,
//! diagnoses, `$schema`): whatever the bytes, they answer a value or an error, never a
//! panic, and the memory they take grows linearly with the body, so a hostile server
//! cannot turn a small body into a large allocation.
//!
//! Memory is measured, not estimated: a counting allocator (this crate's test binary
//! only) keeps each thread's live and peak heap bytes, and a parse may peak at most
//! [`BYTES_PER_INPUT_BYTE`] times its input plus [`SLACK`]. Legitimate shapes stay well
//! under it (a tree node per few input bytes); an amplification (a long name or
//! namespace copied once per child) exceeds it by orders of magnitude.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
};

use proptest::{prelude::*, test_runner::Config};

use crate::{atom, diagnoses, json, schema};

/// Heap bytes a parse may take per byte of input at its peak (tree nodes of a few input
/// bytes each are about a hundred bytes of structs).
const BYTES_PER_INPUT_BYTE: usize = 256;
/// Heap bytes a parse may take whatever its input (error messages, small tables).
const SLACK: usize = 256 * 1024;
/// Largest body tried.
const MAX_BODY: usize = 64 * 1024;

/// The system allocator, counting each thread's live and peak bytes.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn grew(bytes: usize) {
    let bytes = isize::try_from(bytes).unwrap_or(isize::MAX);
    let _ = LIVE.try_with(|live| {
        let now = live.get().saturating_add(bytes);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn shrank(bytes: usize) {
    let bytes = isize::try_from(bytes).unwrap_or(isize::MAX);
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(bytes)));
}

// SAFETY: every call is passed to `System` unchanged; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        moved
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The most heap bytes `work` held at once on this thread beyond what was live before.
fn peak_of<T>(work: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(start));
    let out = work();
    let peak = PEAK.with(Cell::get);
    (out, usize::try_from(peak - start).unwrap_or(0))
}

/// One reader of a body, run for its effects on memory (its answer is dropped).
type Reader<'a> = &'a dyn Fn(&str);

/// Runs every reader on `body`; fails when one takes more memory than the bound.
fn read_all(body: &str) -> Result<(), TestCaseError> {
    let bound = body.len() * BYTES_PER_INPUT_BYTE + SLACK;
    let readers: [(&str, Reader); 5] = [
        ("atom", &|b| drop(atom::parse(b))),
        ("json", &|b| drop(json::parse(b))),
        ("diagnoses", &|b| drop(diagnoses::parse_body(b))),
        ("schema", &|b| drop(schema::parse(b, "leads", "lead"))),
        ("summary", &|b| {
            drop(diagnoses::summary(&diagnoses::parse_body(b)))
        }),
    ];
    for (name, read) in readers {
        let ((), peak) = peak_of(|| read(body));
        prop_assert!(
            peak <= bound,
            "{name} took {peak} bytes for a {}-byte body (bound {bound})",
            body.len()
        );
    }
    Ok(())
}

/// A body as the client holds it: the bytes read as UTF-8, invalid sequences replaced.
fn body_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const NS: [&str; 6] = [
    crate::xml::NS_ATOM,
    crate::xml::NS_SDATA,
    crate::xml::NS_HTTP,
    crate::xml::NS_OPENSEARCH,
    crate::xml::NS_SLX,
    crate::xml::NS_XSI,
];
const NAMES: [&str; 16] = [
    "feed",
    "entry",
    "payload",
    "Lead",
    "Address",
    "Email",
    "diagnoses",
    "diagnosis",
    "message",
    "sdataCode",
    "link",
    "totalResults",
    "etag",
    "httpStatus",
    "key",
    "nil",
];

/// One XML element, as text, built from SData's own names and namespaces, nested a few
/// levels, with attributes (keys, nil, links) and text that needs escaping.
fn xml_element() -> impl Strategy<Value = String> {
    let leaf = (
        0..NAMES.len(),
        0..NS.len(),
        proptest::option::of("[ -~]{0,12}"),
        any::<bool>(),
    )
        .prop_map(|(name, ns, text, nil)| {
            let attrs = if nil { r#" xsi:nil="true""# } else { "" };
            let name = NAMES[name];
            let prefix = ["", "sdata:", "http:", "opensearch:", "slx:", "xsi:"][ns];
            match text {
                Some(text) => format!(
                    "<{prefix}{name}{attrs}>{}</{prefix}{name}>",
                    quick_xml::escape::escape(text.as_str())
                ),
                None => format!(r#"<{prefix}{name}{attrs} sdata:key="K1"/>"#),
            }
        });
    leaf.prop_recursive(5, 64, 8, |inner| {
        (
            0..NAMES.len(),
            0..NS.len(),
            prop::collection::vec(inner, 0..8),
        )
            .prop_map(|(name, ns, children)| {
                let name = NAMES[name];
                let prefix = ["", "sdata:", "http:", "opensearch:", "slx:", "xsi:"][ns];
                format!("<{prefix}{name}>{}</{prefix}{name}>", children.concat())
            })
    })
}

/// A whole document: an Atom feed or entry around generated elements, every SData
/// prefix bound, optionally cut short (as a dropped connection leaves it).
fn xml_document() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::collection::vec(xml_element(), 0..6),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(is_feed, children, cut, truncate)| {
            let root = if is_feed { "feed" } else { "entry" };
            let doc = format!(
                r#"<{root} xmlns="{}" xmlns:sdata="{}" xmlns:http="{}" xmlns:opensearch="{}" xmlns:slx="{}" xmlns:xsi="{}"><sdata:payload>{}</sdata:payload></{root}>"#,
                NS[0],
                NS[1],
                NS[2],
                NS[3],
                NS[4],
                NS[5],
                children.concat()
            );
            if truncate {
                let mut at = cut.index(doc.len() + 1);
                while !doc.is_char_boundary(at) {
                    at -= 1;
                }
                doc[..at].to_string()
            } else {
                doc
            }
        })
}

const KEYS: [&str; 12] = [
    "$resources",
    "$key",
    "$etag",
    "$url",
    "$next",
    "$totalResults",
    "$httpStatus",
    "$diagnoses",
    "message",
    "Email",
    "Address",
    "City",
];

/// A JSON value built from SData's own keys, nested a few levels.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((0..KEYS.len(), inner), 0..8).prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (KEYS[k].to_string(), v))
                        .collect(),
                )
            }),
        ]
    })
}

/// A related record (Atom and JSON alike) whose name is `name_len` bytes long and
/// that has `children` properties: a name copied once per child would cost
/// `name_len × children` bytes from a body of `name_len + children` bytes.
fn long_relation(json: bool, name_len: usize, children: usize) -> String {
    let name = "R".repeat(name_len);
    if json {
        let fields: Vec<String> = (0..children).map(|i| format!(r#""{i}":0"#)).collect();
        format!(
            r#"{{"$resources":[{{"{name}":{{{}}}}}]}}"#,
            fields.join(",")
        )
    } else {
        let fields = "<a/>".repeat(children);
        format!(
            r#"<feed xmlns="{}" xmlns:sdata="{}"><entry><sdata:payload><slx:Lead xmlns:slx="{}"><{name}>{fields}</{name}></slx:Lead></sdata:payload></entry></feed>"#,
            NS[0], NS[1], NS[4]
        )
    }
}

/// An element tree whose elements (and attributes) are in a namespace whose URI is
/// `uri_len` bytes long: a URI copied per element or attribute would cost
/// `uri_len × elements` bytes.
fn long_namespace(uri_len: usize, elements: usize) -> String {
    let uri = format!("urn:{}", "n".repeat(uri_len));
    let children = (0..elements)
        .map(|i| format!(r#"<a:e a:k="{}"/>"#, i % 10))
        .collect::<String>();
    format!(r#"<a:feed xmlns:a="{uri}">{children}</a:feed>"#)
}

fn config() -> Config {
    Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_within_the_bound(
        bytes in prop::collection::vec(any::<u8>(), 0..MAX_BODY),
    ) {
        read_all(&body_of(&bytes))?;
    }

    #[test]
    fn arbitrary_text_after_a_markup_start_never_panics(
        start in prop_oneof![Just("<"), Just("{"), Just("["), Just("<?xml version=\"1.0\"?><")],
        rest in "\\PC{0,2048}",
    ) {
        read_all(&format!("{start}{rest}"))?;
    }

    #[test]
    fn sdata_shaped_xml_never_panics_and_stays_within_the_bound(doc in xml_document()) {
        read_all(&doc)?;
    }

    #[test]
    fn sdata_shaped_json_never_panics_and_stays_within_the_bound(
        value in json_value(),
        feed in any::<bool>(),
    ) {
        let body = if feed {
            serde_json::json!({ "$resources": [value.clone(), value] }).to_string()
        } else {
            value.to_string()
        };
        read_all(&body)?;
    }

    #[test]
    fn a_long_relation_name_is_not_copied_per_child(
        json in any::<bool>(),
        name_len in 1usize..24 * 1024,
        children in 1usize..4096,
    ) {
        read_all(&long_relation(json, name_len, children))?;
    }

    #[test]
    fn a_long_namespace_is_not_copied_per_element(
        uri_len in 1usize..24 * 1024,
        elements in 1usize..2048,
    ) {
        read_all(&long_namespace(uri_len, elements))?;
    }
}
