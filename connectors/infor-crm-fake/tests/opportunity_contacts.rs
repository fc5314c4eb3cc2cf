//! Opportunity contacts (`opportunityContacts`): inserted through
//! `/_admin/records/opportunityContacts` and by POST, both ends required and checked,
//! and read with `where` on a reference's key (`Opportunity.Id in (…)`), `IsPrimary`,
//! a related record's property, `select` of the references, in JSON and Atom.
mod common;

use chrono::{TimeZone, Utc};
use common::*;
use infor_crm_fake::{FakeConfig, Kind, Value as FieldValue};
use serde_json::{Value, json};

fn pinned() -> FakeConfig {
    FakeConfig {
        leads: 0,
        contacts: 0,
        accounts: 0,
        now: Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).single(),
        ..FakeConfig::default()
    }
}

/// Keys of what [`seeded`] inserted.
struct Seeded {
    h: Harness,
    /// Smith, Jones.
    contacts: Vec<String>,
    /// Renewal, Pilot, Upsell.
    opportunities: Vec<String>,
}

async fn admin_insert(h: &Harness, kind: &str, body: Value) -> Vec<String> {
    let resp = send(
        h.client
            .post(h.admin(&format!("records/{kind}")))
            .json(&body),
    )
    .await;
    let status = resp.status();
    let body = body_json(resp).await;
    assert_eq!(status, 201, "{kind}: {body}");
    body.as_array()
        .map(|records| {
            records
                .iter()
                .filter_map(|r| r["$key"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Two contacts, three opportunities; the renewal has Smith as its primary contact and
/// Jones beside him, the pilot has Jones as its primary, the upsell has no one.
async fn seeded() -> Seeded {
    let h = start(pinned()).await;
    let contacts = admin_insert(
        &h,
        "contacts",
        json!([
            {"FirstName": "Ann", "LastName": "Smith", "CallReference": "call-smith"},
            {"FirstName": "Bob", "LastName": "Jones", "VisitorId": "v.jones"},
        ]),
    )
    .await;
    let opportunities = admin_insert(
        &h,
        "opportunities",
        json!([
            {"Description": "Renewal"},
            {"Description": "Pilot"},
            {"Description": "Upsell"},
        ]),
    )
    .await;
    let links = admin_insert(
        &h,
        "opportunityContacts",
        json!([
            {"Opportunity": {"$key": opportunities[0]}, "Contact": {"$key": contacts[0]},
             "IsPrimary": true, "SalesRole": "Decision Maker"},
            {"Opportunity": {"$key": opportunities[0]}, "Contact": {"$key": contacts[1]},
             "IsPrimary": false, "SalesRole": "Evaluator"},
            {"Opportunity": {"$key": opportunities[1]}, "Contact": {"$key": contacts[1]},
             "IsPrimary": true},
        ]),
    )
    .await;
    assert_eq!(links.len(), 3);
    assert!(links.iter().all(|k| k.starts_with('o') && k.len() == 12));
    Seeded {
        h,
        contacts,
        opportunities,
    }
}

fn key_of(reference: &Value) -> Option<&str> {
    reference["$key"].as_str()
}

#[tokio::test]
async fn admin_inserts_links_that_keep_both_ends() {
    let s = seeded().await;
    let state = s.h.crm.state();
    let links = state.records(Kind::OpportunityContact);
    assert_eq!(links.len(), 3);
    assert!(links.iter().all(|r| {
        r.text("Opportunity").is_some_and(|k| k.starts_with('O'))
            && r.text("Contact").is_some_and(|k| k.starts_with('C'))
            && matches!(r.get("IsPrimary"), Some(FieldValue::Bool(_)))
    }));
    assert_eq!(state.verify_indexes(), Ok(()));
    let missing_end = send(
        s.h.client
            .post(s.h.admin("records/opportunityContacts"))
            .json(&json!({"Opportunity": {"$key": s.opportunities[2]}})),
    )
    .await;
    assert_eq!(missing_end.status(), 400, "Contact is mandatory");
    let dangling = send(
        s.h.client
            .post(s.h.admin("records/opportunityContacts"))
            .json(&json!({"Opportunity": {"$key": s.opportunities[2]},
                          "Contact": {"$key": "CNOPE0000000"}})),
    )
    .await;
    assert_eq!(dangling.status(), 400, "the contact must exist");
    assert_eq!(state.records(Kind::OpportunityContact).len(), 3);
    s.h.crm.shutdown().await;
}

#[tokio::test]
async fn post_creates_a_link_with_the_template_defaults() {
    let s = seeded().await;
    let resp = send(s.h.post("opportunityContacts?format=json").json(&json!({
        "$name": "OpportunityContact",
        "Opportunity": {"$key": s.opportunities[2]},
        "Contact": {"$key": s.contacts[0]},
        "SalesRole": "Champion",
    })))
    .await;
    let status = resp.status();
    let body = body_json(resp).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(key_of(&body["Contact"]), Some(s.contacts[0].as_str()));
    assert_eq!(body["IsPrimary"], false, "not primary unless said: {body}");
    let too_long = send(s.h.post("opportunityContacts?format=json").json(&json!({
        "Opportunity": {"$key": s.opportunities[2]},
        "Contact": {"$key": s.contacts[1]},
        "SalesRole": "x".repeat(65),
    })))
    .await;
    assert_eq!(too_long.status(), 400, "SalesRole holds 64 characters");
    s.h.crm.shutdown().await;
}

#[tokio::test]
async fn primary_contacts_of_some_opportunities_in_one_query() {
    let s = seeded().await;
    let (renewal, pilot, upsell) = (
        &s.opportunities[0],
        &s.opportunities[1],
        &s.opportunities[2],
    );
    let feed =
        s.h.json(&format!(
            "opportunityContacts?format=json&select=Opportunity,Contact,IsPrimary&orderBy=Id\
             &where=(Opportunity.Id in ('{renewal}','{pilot}','{upsell}')) and IsPrimary eq true"
        ))
        .await;
    assert_eq!(feed["$totalResults"], 2, "{feed}");
    let pairs: Vec<(Option<&str>, Option<&str>)> = feed["$resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| (key_of(&r["Opportunity"]), key_of(&r["Contact"])))
        .collect();
    assert!(pairs.contains(&(Some(renewal.as_str()), Some(s.contacts[0].as_str()))));
    assert!(pairs.contains(&(Some(pilot.as_str()), Some(s.contacts[1].as_str()))));
    let first = &resources(&feed)[0];
    assert!(first.get("SalesRole").is_none(), "select narrows: {first}");
    // `eq` on a reference's key, and a related record's own property.
    let one =
        s.h.json(&format!(
            "opportunityContacts?format=json&where=Opportunity.Id eq '{renewal}'"
        ))
        .await;
    assert_eq!(one["$totalResults"], 2, "{one}");
    let by_name = s
        .h
        .json("opportunityContacts?format=json&where=Contact.LastName eq 'jones' and IsPrimary eq false")
        .await;
    assert_eq!(by_name["$totalResults"], 1, "{by_name}");
    assert_eq!(resources(&by_name)[0]["SalesRole"], "Evaluator");
    let atom =
        s.h.atom(&format!(
            "opportunityContacts?where=Opportunity.Id eq '{pilot}'"
        ))
        .await;
    assert!(
        atom.contains("<slx:OpportunityContact") || atom.contains("<OpportunityContact"),
        "{atom}"
    );
    assert!(
        atom.contains(&format!(r#"sdata:key="{}""#, s.contacts[1])),
        "{atom}"
    );
    let unknown = send(s.h.get("opportunityContacts?format=json&where=Email eq 'a@x.com'")).await;
    assert_eq!(unknown.status(), 400, "a link has no Email");
    let xsd = s.h.atom("$schema").await;
    assert!(
        xsd.contains(r#"<xs:element name="opportunityContact" type="opportunityContact--type""#)
    );
    assert!(xsd.contains(r#"sme:pluralName="opportunityContacts""#));
    assert!(xsd.contains(r#"name="Opportunity" type="opportunity--type""#));
    assert!(xsd.contains(r#"name="Contact" type="contact--type""#));
    s.h.crm.shutdown().await;
}
