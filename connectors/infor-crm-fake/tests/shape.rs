//! Entry and feed shape details: a nil field is an explicit JSON `null` (never a missing
//! key) and an Atom `xsi:nil`, `$updated` is the ModifyDate, and the paging links
//! (`$first`, `$previous`, `$next`, `$last` / Atom `link rel`) are exact.
mod common;

use chrono::{TimeZone, Utc};
use common::*;
use infor_crm_fake::{FakeConfig, JsonDates, Kind};
use serde_json::{Value, json};

async fn one_lead(json_dates: JsonDates) -> (Harness, String) {
    let h = start(FakeConfig {
        json_dates,
        ..FakeConfig::default()
    })
    .await;
    let fields = json!({"LastName": "Ng", "Company": "Zeta", "Email": "ng@zeta.io",
        "ModifyDate": "2024-03-04T05:06:07Z"});
    let Some(obj) = fields.as_object() else {
        panic!("object")
    };
    match h.crm.state().insert_record(Kind::Lead, obj) {
        Ok(rec) => (h, rec.key),
        Err(e) => panic!("insert: {e}"),
    }
}

#[tokio::test]
async fn a_nil_field_is_an_explicit_json_null_and_every_property_is_present() {
    let (h, key) = one_lead(JsonDates::MsDate).await;
    let single = h.json(&format!("leads('{key}')?format=json")).await;
    let feed = h.json("leads?format=json").await;
    let Some(in_feed) = resources(&feed).into_iter().next() else {
        panic!("entry")
    };
    for entry in [&single, &in_feed] {
        assert_eq!(entry.get("Title"), Some(&Value::Null), "{entry}");
        assert_eq!(entry.get("MiddleName"), Some(&Value::Null));
        assert_eq!(entry.get("Email"), Some(&json!("ng@zeta.io")));
        for f in Kind::Lead.def().fields {
            assert!(entry.get(f.name).is_some(), "{} missing: {entry}", f.name);
        }
        assert_eq!(
            entry.get("SecondaryEmail"),
            None,
            "a property Lead does not have is absent, not null"
        );
    }
    // After clearing a value with null in a PUT, it reads back as null, not missing.
    let resp = send(
        h.put(&format!("leads('{key}')?format=json"))
            .json(&json!({"Email": null})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(body_json(resp).await.get("Email"), Some(&Value::Null));
    let xml = atom::parse(&h.atom(&format!("leads('{key}')")).await);
    let f = atom::fields(&xml);
    assert_eq!(f.get("Title"), Some(&None), "xsi:nil in Atom");
    assert_eq!(f.get("Email"), Some(&None));
    h.crm.shutdown().await;
}

#[tokio::test]
async fn updated_is_the_modify_date_in_both_json_date_forms() {
    let at = Utc.with_ymd_and_hms(2024, 3, 4, 5, 6, 7).single();
    let Some(at) = at else { panic!("date") };
    let (h, key) = one_lead(JsonDates::MsDate).await;
    let e = h.json(&format!("leads('{key}')?format=json")).await;
    let ms = format!("/Date({})/", at.timestamp_millis());
    assert_eq!(e["$updated"], ms.as_str());
    assert_eq!(e["ModifyDate"], ms.as_str());
    h.crm.shutdown().await;

    let (h, key) = one_lead(JsonDates::Iso).await;
    let e = h.json(&format!("leads('{key}')?format=json")).await;
    assert_eq!(e["$updated"], "2024-03-04T05:06:07+00:00");
    assert_eq!(e["ModifyDate"], "2024-03-04T05:06:07+00:00");
    let xml = atom::parse(&h.atom(&format!("leads('{key}')")).await);
    assert_eq!(
        xml.text_of(atom::ATOM, "updated").as_deref(),
        Some("2024-03-04T05:06:07+00:00")
    );
    h.crm.shutdown().await;
}

/// The JSON links of a page, by name (absent → None).
fn json_links(feed: &Value) -> [Option<String>; 4] {
    ["$first", "$previous", "$next", "$last"].map(|k| feed[k].as_str().map(str::to_string))
}

/// The Atom links of a page, in the same order.
fn atom_links(feed: &atom::El) -> [Option<String>; 4] {
    ["first", "previous", "next", "last"].map(|rel| feed.link(rel))
}

#[tokio::test]
async fn first_previous_next_and_last_links_in_json_and_atom() {
    let h = with_leads(25).await;
    let json_page =
        |start: usize| format!("leads?format=json&orderBy=Id&startIndex={start}&count=10");
    let link = |start: usize| Some(h.url(&json_page(start)));
    let feed = h.json(&json_page(11)).await;
    assert_eq!(feed["$url"], h.url(&json_page(11)));
    assert_eq!(
        json_links(&feed),
        [link(1), link(1), link(21), link(21)],
        "a middle page"
    );
    let feed = h.json(&json_page(1)).await;
    assert_eq!(json_links(&feed), [link(1), None, link(11), link(21)]);
    let feed = h.json(&json_page(21)).await;
    assert_eq!(resources(&feed).len(), 5);
    assert_eq!(json_links(&feed), [link(1), link(11), None, link(21)]);
    // A page that does not start on a page boundary steps back by one page, not below 1.
    let feed = h.json(&json_page(5)).await;
    assert_eq!(json_links(&feed), [link(1), link(1), link(15), link(21)]);

    let atom_page = |start: usize| format!("leads?orderBy=Id&startIndex={start}&count=10");
    let alink = |start: usize| Some(h.url(&atom_page(start)));
    let xml = atom::parse(&h.atom(&atom_page(11)).await);
    assert_eq!(xml.link("self"), alink(11));
    assert_eq!(atom_links(&xml), [alink(1), alink(1), alink(21), alink(21)]);
    let xml = atom::parse(&h.atom(&atom_page(21)).await);
    assert_eq!(atom_links(&xml), [alink(1), alink(11), None, alink(21)]);

    // No match: an empty 200 feed with a first link and neither next nor last.
    let feed = h
        .json("leads?format=json&where=LastName%20eq%20'Nobody'")
        .await;
    assert_eq!(feed["$totalResults"], 0);
    assert!(feed["$first"].is_string());
    assert!(feed.get("$next").is_none() && feed.get("$last").is_none());
    h.crm.shutdown().await;
}
