//! Lookups by email over HTTP, in JSON and Atom, answer exactly what a scan does: the
//! connector's `upper(Email) in (…)` with `orderBy`, paging by `next` links and `select`,
//! `Email eq` inside an `and`, and the single-resource `leads(Email eq '…')`. Each is
//! compared with the same `where` or-ed with `1 eq 0`, which the email index cannot
//! narrow, so the two answers come from the index and from a scan.
mod common;

use common::fixture::{enc, five_leads};
use common::*;
use infor_crm_fake::Kind;
use serde_json::json;

/// The five fixture leads plus Fay (`Ann@Acme.Com`, the newest) and Gus (`ann@acme.com `,
/// padded: not equal to `ann@acme.com` for the `where`, yet a candidate in the index).
async fn leads() -> Harness {
    let h = five_leads().await;
    let state = h.crm.state();
    for (first, email, modified) in [
        ("Fay", "Ann@Acme.Com", "2024-01-05T00:00:00Z"),
        ("Gus", "ann@acme.com ", "2024-01-06T00:00:00Z"),
    ] {
        let fields = json!({"FirstName": first, "LastName": "Extra", "Company": "Acme",
            "Email": email, "ModifyDate": modified});
        let Some(obj) = fields.as_object() else {
            panic!("object")
        };
        if let Err(e) = state.insert_record(Kind::Lead, obj) {
            panic!("insert {first}: {e}");
        }
    }
    h
}

const LOOKUP: &str =
    "upper(Email) in ('ANN@ACME.COM', 'BOB@ACME.COM', 'DEE@ZETA.IO', 'NOBODY@X.COM')";

/// The same `where`, answered by a scan (the index narrows no `or` with another criterion).
fn scanned(w: &str) -> String {
    format!("({w}) or (1 eq 0)")
}

/// Every page of a JSON feed by its `next` links: (first names, totals, pages).
async fn json_pages(h: &Harness, rest: &str) -> (Vec<String>, Vec<u64>, usize) {
    let mut url = h.url(rest);
    let (mut names, mut totals, mut pages) = (Vec::new(), Vec::new(), 0);
    loop {
        let resp = send(h.client.get(&url).basic_auth("admin", Some("password"))).await;
        assert_eq!(resp.status(), 200, "{url}");
        let feed = body_json(resp).await;
        pages += 1;
        totals.push(feed["$totalResults"].as_u64().unwrap_or(u64::MAX));
        for r in resources(&feed) {
            names.push(r["FirstName"].as_str().unwrap_or_default().to_string());
            let mut fields: Vec<&str> = r
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k.as_str())
                .filter(|k| !k.starts_with('$'))
                .collect();
            fields.sort_unstable();
            assert_eq!(fields, ["Email", "FirstName"], "select: {r}");
        }
        match feed["$next"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    (names, totals, pages)
}

/// Every page of an Atom feed by its `next` links: (first names, totals, pages).
async fn atom_pages(h: &Harness, rest: &str) -> (Vec<String>, Vec<u64>, usize) {
    let mut url = h.url(rest);
    let (mut names, mut totals, mut pages) = (Vec::new(), Vec::new(), 0);
    loop {
        let resp = send(h.client.get(&url).basic_auth("admin", Some("password"))).await;
        assert_eq!(resp.status(), 200, "{url}");
        let feed = atom::parse(&text(resp).await);
        pages += 1;
        let total = feed.text_of(atom::OPENSEARCH, "totalResults");
        totals.push(total.and_then(|t| t.parse().ok()).unwrap_or(u64::MAX));
        for entry in feed.all(atom::ATOM, "entry") {
            let fields = atom::fields(entry);
            let names_in: Vec<&str> = fields.keys().map(String::as_str).collect();
            assert_eq!(names_in, ["Email", "FirstName"], "select");
            names.push(
                fields
                    .get("FirstName")
                    .cloned()
                    .flatten()
                    .unwrap_or_default(),
            );
        }
        match feed.link("next") {
            Some(next) => url = next,
            None => break,
        }
    }
    (names, totals, pages)
}

#[tokio::test]
async fn the_connectors_lookup_pages_and_selects_like_a_scan_in_json_and_atom() {
    let h = leads().await;
    let state = h.crm.state();
    let expected_keys = state.email_index_keys(Kind::Lead, "ann@acme.com");
    assert_eq!(
        expected_keys.len(),
        3,
        "Ann, Fay and the padded Gus are candidates"
    );
    // Newest first; Ann and Bob share a second, so the key decides (Bob is later).
    let newest_first = ["Fay", "Dee", "Bob", "Ann"];
    for order in ["ModifyDate%20desc", "ModifyDate%20desc,Id%20desc"] {
        for w in [LOOKUP.to_string(), scanned(LOOKUP)] {
            let rest = format!(
                "leads?format=json&count=2&orderBy={order}&select=Email,FirstName&where={}",
                enc(&w)
            );
            let (names, totals, pages) = json_pages(&h, &rest).await;
            assert_eq!(names, newest_first, "JSON {w}");
            assert_eq!((totals, pages), (vec![4, 4], 2), "JSON {w}");
            let rest = rest.replace("format=json&", "");
            let (names, totals, pages) = atom_pages(&h, &rest).await;
            assert_eq!(names, newest_first, "Atom {w}");
            assert_eq!((totals, pages), (vec![4, 4], 2), "Atom {w}");
        }
    }
    // Other orders and a startIndex past the first match, against the scan.
    for order in [
        "ModifyDate,Id",
        "Id",
        "Id%20desc",
        "FirstName%20desc",
        "LastName,Email",
    ] {
        for start in [1, 2, 4, 5] {
            let rest = |w: &str| {
                format!(
                    "leads?format=json&count=2&startIndex={start}&orderBy={order}&where={}",
                    enc(w)
                )
            };
            let indexed = h.json(&rest(LOOKUP)).await;
            let scan = h.json(&rest(&scanned(LOOKUP))).await;
            assert_eq!(indexed["$resources"], scan["$resources"], "{order} {start}");
            assert_eq!(indexed["$totalResults"], 4);
            assert_eq!(scan["$totalResults"], 4);
            assert_eq!(
                indexed["$next"].is_string(),
                start + 2 <= 4,
                "{order} {start}"
            );
        }
    }
    h.crm.shutdown().await;
}

#[tokio::test]
async fn email_eq_inside_an_and_and_the_single_resource_form() {
    let h = leads().await;
    // `Email eq` is case-insensitive and does not trim: Ann and Fay, not the padded Gus.
    let w = "Email eq 'ANN@acme.COM' and Company eq 'acme'";
    for w in [w.to_string(), scanned(w)] {
        let feed = h
            .json(&format!("leads?format=json&orderBy=Id&where={}", enc(&w)))
            .await;
        let names: Vec<_> = resources(&feed)
            .iter()
            .map(|r| r["FirstName"].clone())
            .collect();
        assert_eq!(names, [json!("Ann"), json!("Fay")], "{w}");
        let feed = atom::parse(&h.atom(&format!("leads?orderBy=Id&where={}", enc(&w))).await);
        assert_eq!(
            feed.text_of(atom::OPENSEARCH, "totalResults").as_deref(),
            Some("2"),
            "{w}"
        );
    }
    // `leads(clause)`: exactly one match is that entry; two are a 400 naming the count.
    let one = enc("upper(Email) eq 'BOB@ACME.COM'");
    let bob = h.json(&format!("leads({one})?format=json")).await;
    assert_eq!(bob["FirstName"], "Bob");
    let entry = atom::parse(&h.atom(&format!("leads({one})")).await);
    assert_eq!(
        atom::fields(&entry)
            .get("FirstName")
            .cloned()
            .flatten()
            .as_deref(),
        Some("Bob")
    );
    let two = enc("Email eq 'ann@acme.com'");
    let resp = send(h.get(&format!("leads({two})?format=json"))).await;
    assert_eq!(resp.status(), 400);
    assert!(text(resp).await.contains("matches 2"));
    let none = enc("Email eq 'nobody@x.com'");
    let resp = send(h.get(&format!("leads({none})?format=json"))).await;
    assert_eq!(resp.status(), 404);
    h.crm.shutdown().await;
}
