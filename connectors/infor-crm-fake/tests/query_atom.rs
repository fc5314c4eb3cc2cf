//! The Atom twins of the JSON query tests (`select=Address/*`, `include=Address`, unknown
//! parameters, multi-key `orderBy`), `select` shadowing `include`, and
//! `include=$permissions` / `$descriptors` in both formats.
mod common;

use std::collections::BTreeMap;

use common::fixture::{enc, five_leads};
use common::*;
use infor_crm_fake::Kind;

/// The first names of an Atom feed's entries, in order.
fn atom_names(feed: &atom::El) -> Vec<String> {
    feed.all(atom::ATOM, "entry")
        .iter()
        .filter_map(|e| atom::fields(e).get("FirstName").cloned().flatten())
        .collect()
}

fn json_names(feed: &serde_json::Value) -> Vec<String> {
    resources(feed)
        .iter()
        .filter_map(|r| r["FirstName"].as_str().map(str::to_string))
        .collect()
}

fn first_entry(feed: &atom::El) -> atom::El {
    match feed.all(atom::ATOM, "entry").first() {
        Some(e) => (*e).clone(),
        None => panic!("an entry"),
    }
}

#[tokio::test]
async fn select_address_star_embeds_every_address_field_and_nothing_else_in_atom() {
    let h = five_leads().await;
    let feed = atom::parse(&h.atom("leads?count=1&orderBy=Id&select=Address/*").await);
    let entry = first_entry(&feed);
    let Some(payload) = entry.payload() else {
        panic!("payload")
    };
    let names: Vec<&str> = payload.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Address"], "only the selected property");
    let Some(addr) = payload.child(atom::SLX, "Address") else {
        panic!("Address")
    };
    assert!(addr.attr(atom::SDATA, "key").is_some());
    let inner: BTreeMap<_, _> = addr
        .children
        .iter()
        .map(|c| (c.name.as_str(), (!c.nil()).then(|| c.text.clone())))
        .collect();
    assert_eq!(inner.get("City"), Some(&Some("Chicago".to_string())));
    assert_eq!(
        inner.get("Address2"),
        Some(&None),
        "all fields, nil ones too"
    );
    assert_eq!(inner.len(), Kind::LeadAddress.def().fields.len());
    h.crm.shutdown().await;
}

#[tokio::test]
async fn include_address_embeds_it_beside_every_lead_field_in_atom() {
    let h = five_leads().await;
    let feed = atom::parse(&h.atom("leads?count=1&orderBy=Id&include=Address").await);
    let entry = first_entry(&feed);
    let f = atom::fields(&entry);
    assert_eq!(f.get("LastName"), Some(&Some("Smith".to_string())));
    assert_eq!(f.len(), Kind::Lead.def().fields.len(), "every lead field");
    let addr = entry.payload().and_then(|p| p.child(atom::SLX, "Address"));
    assert_eq!(
        addr.and_then(|a| a.text_of(atom::SLX, "City")).as_deref(),
        Some("Chicago")
    );
    // Without include, the reference is key-only.
    let feed = atom::parse(&h.atom("leads?count=1&orderBy=Id").await);
    let entry = first_entry(&feed);
    let addr = entry.payload().and_then(|p| p.child(atom::SLX, "Address"));
    assert!(addr.is_some_and(|a| a.children.is_empty() && a.attr(atom::SDATA, "key").is_some()));
    h.crm.shutdown().await;
}

#[tokio::test]
async fn unknown_parameters_are_ignored_in_atom() {
    let h = five_leads().await;
    let plain = atom::parse(&h.atom("leads?orderBy=Id&count=2").await);
    let noisy = atom::parse(
        &h.atom("leads?orderBy=Id&count=2&_includeContent=false&_t=123&whatever=1&precedence=3&language=en-GB")
            .await,
    );
    assert_eq!(atom_names(&plain), ["Ann", "Bob"]);
    assert_eq!(atom_names(&noisy), atom_names(&plain));
    assert_eq!(
        noisy.text_of(atom::OPENSEARCH, "totalResults").as_deref(),
        Some("5")
    );
    h.crm.shutdown().await;
}

#[tokio::test]
async fn multi_key_order_by_with_asc_and_desc_in_atom_and_json() {
    let h = five_leads().await;
    let cases: &[(&str, &[&str])] = &[
        (
            "Company desc,FirstName asc",
            &["Dee", "Eve", "Bob", "Ann", "Cid"],
        ),
        (
            "Company asc,FirstName desc",
            &["Cid", "Ann", "Bob", "Eve", "Dee"],
        ),
        (
            "Address.City,LeadScore desc",
            &["Bob", "Dee", "Cid", "Ann", "Eve"],
        ),
        (
            "DoNotEmail desc,LastName",
            &["Eve", "Dee", "Cid", "Ann", "Bob"],
        ),
        ("FirstName desc", &["Eve", "Dee", "Cid", "Bob", "Ann"]),
    ];
    for (order, expected) in cases {
        let xml = atom::parse(&h.atom(&format!("leads?orderBy={}", enc(order))).await);
        assert_eq!(atom_names(&xml), *expected, "Atom orderBy={order}");
        let json = h
            .json(&format!("leads?format=json&orderby={}", enc(order)))
            .await;
        assert_eq!(json_names(&json), *expected, "JSON orderby={order}");
    }
    h.crm.shutdown().await;
}

/// (name, access) pairs of an Atom entry's `sdata:permissions`.
fn atom_permissions(entry: &atom::El) -> Vec<(String, String)> {
    entry
        .child(atom::SDATA, "permissions")
        .map(|p| {
            p.all(atom::SDATA, "permission")
                .iter()
                .map(|x| {
                    (
                        x.attr("", "name").unwrap_or_default().to_string(),
                        x.attr("", "access").unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn include_permissions_lists_each_property_access_in_atom_and_json() {
    let h = five_leads().await;
    let q = format!("leads?count=1&orderBy=Id&include={}", enc("$permissions"));
    let entry = first_entry(&atom::parse(&h.atom(&q).await));
    let perms = atom_permissions(&entry);
    assert_eq!(perms.len(), Kind::Lead.def().fields.len());
    let access: BTreeMap<_, _> = perms.iter().cloned().collect();
    assert_eq!(
        access.get("LastName").map(String::as_str),
        Some("ReadWrite")
    );
    assert_eq!(
        access.get("LastNameUpper").map(String::as_str),
        Some("ReadOnly")
    );
    assert_eq!(
        access.get("ModifyDate").map(String::as_str),
        Some("ReadOnly")
    );

    let json = h.json(&format!("{q}&format=json")).await;
    let from_json: Vec<(String, String)> = json["$resources"][0]["$permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_string(),
                p["access"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(from_json, perms, "JSON and Atom agree");

    // With select, only the selected properties; without include, none at all.
    let q = format!(
        "leads?count=1&select=Email,FirstName&include={}",
        enc("$permissions")
    );
    let entry = first_entry(&atom::parse(&h.atom(&q).await));
    let names: Vec<String> = atom_permissions(&entry).into_iter().map(|p| p.0).collect();
    assert_eq!(names, ["FirstName", "Email"]);
    let entry = first_entry(&atom::parse(&h.atom("leads?count=1").await));
    assert!(entry.child(atom::SDATA, "permissions").is_none());
    let json = h.json("leads?format=json&count=1").await;
    assert!(json["$resources"][0].get("$permissions").is_none());
    h.crm.shutdown().await;
}

#[tokio::test]
async fn include_descriptors_names_related_records_in_atom_and_json() {
    let h = with_leads(10).await;
    let state = h.crm.state();
    let q = format!(
        "contacts?count=1&orderBy=Id&include={}",
        enc("$descriptors")
    );
    let entry = first_entry(&atom::parse(&h.atom(&q).await));
    let Some(account) = entry.payload().and_then(|p| p.child(atom::SLX, "Account")) else {
        panic!("Account reference")
    };
    let Some(key) = account.attr(atom::SDATA, "key") else {
        panic!("Account key")
    };
    let Some(rec) = state.record(Kind::Account, key) else {
        panic!("account {key}")
    };
    let name = rec.text("AccountName").unwrap_or_default().to_string();
    assert!(!name.is_empty());
    assert_eq!(account.attr(atom::SDATA, "descriptor"), Some(name.as_str()));
    let owner = entry.payload().and_then(|p| p.child(atom::SLX, "Owner"));
    assert!(
        owner.is_some_and(|o| o.attr(atom::SDATA, "descriptor").is_none()),
        "a relation the fake does not serve has no descriptor"
    );
    let json = h.json(&format!("{q}&format=json")).await;
    assert_eq!(
        json["$resources"][0]["Account"]["$descriptor"],
        name.as_str()
    );

    // Without $descriptors, references are key, uri and lookup only.
    let entry = first_entry(&atom::parse(&h.atom("contacts?count=1&orderBy=Id").await));
    let account = entry.payload().and_then(|p| p.child(atom::SLX, "Account"));
    assert!(account.is_some_and(|a| a.attr(atom::SDATA, "descriptor").is_none()));
    let json = h.json("contacts?format=json&count=1&orderBy=Id").await;
    assert!(
        json["$resources"][0]["Account"]
            .get("$descriptor")
            .is_none()
    );
    h.crm.shutdown().await;
}

#[tokio::test]
async fn select_shadows_include_in_atom_and_json() {
    let h = five_leads().await;
    let lead_fields = Kind::Lead.def().fields.len();
    // (select, the Address fields embedded: None = key-only, Some(n) = n fields)
    for (select, embedded) in [
        ("Email,Address", None),
        ("*", None),
        ("Email,Address/City", Some(vec!["City"])),
    ] {
        let q = format!(
            "leads?count=1&orderBy=Id&select={}&include=Address",
            enc(select)
        );
        let entry = first_entry(&atom::parse(&h.atom(&q).await));
        let f = atom::fields(&entry);
        if select == "*" {
            assert_eq!(f.len(), lead_fields, "{select}: every lead field");
        } else {
            assert!(
                f.contains_key("Email") && !f.contains_key("LastName"),
                "{select}"
            );
        }
        let Some(addr) = entry.payload().and_then(|p| p.child(atom::SLX, "Address")) else {
            panic!("{select}: Address")
        };
        assert!(addr.attr(atom::SDATA, "key").is_some(), "{select}");
        let inner: Vec<&str> = addr.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            inner,
            embedded.clone().unwrap_or_default(),
            "{select} in Atom"
        );

        let json = h.json(&format!("{q}&format=json")).await;
        let address = &json["$resources"][0]["Address"];
        assert!(address["$key"].is_string(), "{select}: {address}");
        let props: Vec<&str> = address
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.as_str())
            .filter(|k| !k.starts_with('$'))
            .collect();
        assert_eq!(
            props,
            embedded.unwrap_or_default(),
            "{select} in JSON: {address}"
        );
    }
    // Without select, include embeds the whole address (key-only without either).
    let q = "leads?count=1&orderBy=Id&include=Address&format=json";
    let json = h.json(q).await;
    assert_eq!(json["$resources"][0]["Address"]["City"], "Chicago");
    // $permissions still annotates the selected properties.
    let q = format!(
        "leads?count=1&orderBy=Id&select=Email&include={}&format=json",
        enc("Address,$permissions")
    );
    let json = h.json(&q).await;
    let r = &json["$resources"][0];
    assert!(r.get("Address").is_none(), "not selected: {r}");
    assert_eq!(r["$permissions"].as_array().map(Vec::len), Some(1), "{r}");
    h.crm.shutdown().await;
}
