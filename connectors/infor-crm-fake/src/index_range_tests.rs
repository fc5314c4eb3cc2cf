use super::*;
use crate::filter::compile;
use crate::model::Kind;
use crate::where_parser::parse;

fn filter(text: &str) -> Filter {
    let parsed = parse(text).map_err(|e| e.to_string());
    let compiled = parsed.and_then(|e| compile(Kind::Lead, &e).map_err(|e| e.to_string()));
    match compiled {
        Ok(f) => f,
        Err(e) => panic!("'{text}': {e}"),
    }
}

const T: i64 = 1_704_067_200; // 2024-01-01T00:00:00Z

fn at(s: i64, k: &str) -> IndexKey {
    (s, k.to_string())
}

#[test]
fn the_keyset_watermark_is_one_exact_range() {
    let f = filter(
        "(ModifyDate gt @2024-01-01T00:00:00Z@ or (ModifyDate eq @2024-01-01T00:00:00Z@ and Id gt 'QDEMOA000007'))",
    );
    let r = exact(&f);
    assert_eq!(
        r,
        Some(IndexRange {
            lo: Bound::Excluded(at(T, "QDEMOA000007")),
            hi: Bound::Unbounded
        })
    );
}

#[test]
fn simple_date_bounds_use_whole_seconds() {
    let r = exact(&filter("ModifyDate gt @2024-01-01T00:00:00Z@"));
    assert_eq!(r.map(|r| r.lo), Some(Bound::Included(at(T + 1, ""))));
    let r = exact(&filter("ModifyDate ge @2024-01-01T00:00:00.5Z@"));
    assert_eq!(r.map(|r| r.lo), Some(Bound::Included(at(T + 1, ""))));
    let r = exact(&filter(
        "ModifyDate ge @2024-01-01T00:00:00Z@ and ModifyDate lt @2024-01-02T00:00:00Z@",
    ));
    assert_eq!(
        r,
        Some(IndexRange {
            lo: Bound::Included(at(T, "")),
            hi: Bound::Excluded(at(T + 86_400, ""))
        })
    );
}

#[test]
fn other_filters_are_not_exact_but_may_be_covered() {
    let f = filter("ModifyDate gt @2024-01-01T00:00:00Z@ and Email like '%@acme.com'");
    assert_eq!(exact(&f), None);
    assert_eq!(
        covering(&f).map(|r| r.lo),
        Some(Bound::Included(at(T + 1, "")))
    );
    assert_eq!(exact(&filter("Email eq 'a'")), None);
    assert_eq!(
        covering(&filter(
            "Email eq 'a' or ModifyDate gt @2024-01-01T00:00:00Z@"
        )),
        None
    );
    assert_eq!(
        exact(&filter(
            "ModifyDate gt @2024-01-01T00:00:00Z@ or ModifyDate lt @2023-01-01T00:00:00Z@"
        )),
        None
    );
}

#[test]
fn empty_ranges_are_detected() {
    let r = exact(&filter(
        "ModifyDate gt @2024-01-02T00:00:00Z@ and ModifyDate lt @2024-01-01T00:00:00Z@",
    ));
    assert!(r.is_some_and(|r| r.is_empty()));
    let r = exact(&filter("ModifyDate eq @2024-01-01T00:00:00.5Z@"));
    assert!(r.is_some_and(|r| r.is_empty()));
}
