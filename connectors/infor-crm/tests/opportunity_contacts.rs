//! An opportunity's primary contact as `Contact.<Field>`, against the fake CRM in JSON
//! and Atom: described read-only after the opportunity's own fields, read a page at a
//! time with one `opportunityContacts` request and one `contacts` lookup per page, and
//! refused in filters and writes.

mod common;

use chrono::{TimeZone, Utc};
use futures::StreamExt;
use infor_crm_fake::{FakeConfig, FakeCrm, Kind};
use listbridge_connector::{
    ConnectorError, CrmConnector, Filter, ReadQuery, SourceKind, SourceRecord,
};
use serde_json::{Map, Value, json};

use common::{FORMATS, connector, fake_with, values};

fn object(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn insert(fake: &FakeCrm, kind: Kind, items: Vec<Value>) -> Vec<String> {
    let items: Vec<Map<String, Value>> = items.into_iter().map(object).collect();
    fake.state()
        .insert_records(kind, &items)
        .unwrap_or_else(|e| panic!("{kind}: {e:?}"))
        .into_iter()
        .map(|r| r.key)
        .collect()
}

/// What each opportunity's primary contact should read as: (call reference, visitor id),
/// `None` for an opportunity without a primary contact.
type Expected = Vec<(String, Option<(Option<String>, Option<String>)>)>;

/// Five contacts (the last without a call reference) and ten opportunities, each an
/// hour apart: every fourth (3, 7) has no one, opportunity 5 only a contact that is not
/// its primary one, the others a primary contact (`i % 5`), and the even ones a second,
/// non-primary contact whose values must not show.
async fn seeded() -> (FakeCrm, Expected) {
    let fake = fake_with(FakeConfig {
        leads: 0,
        contacts: 0,
        accounts: 0,
        ..FakeConfig::default()
    })
    .await;
    let contacts = insert(
        &fake,
        Kind::Contact,
        (0..5)
            .map(|i| {
                let mut contact = json!({
                    "FirstName": format!("Person{i}"),
                    "LastName": "Caller",
                    "VisitorId": format!("v.{i}"),
                });
                if i < 4 {
                    contact["CallReference"] = json!(format!("call-{i}"));
                }
                contact
            })
            .collect(),
    );
    let base = Utc
        .with_ymd_and_hms(2025, 5, 1, 9, 0, 0)
        .single()
        .unwrap_or_default();
    let opportunities = insert(
        &fake,
        Kind::Opportunity,
        (0..10)
            .map(|i| {
                json!({
                    "Description": format!("Deal {i}"),
                    "Status": "Closed - Won",
                    "CallReference": format!("own-{i}"),
                    "ModifyDate": (base + chrono::TimeDelta::hours(i)).to_rfc3339(),
                })
            })
            .collect(),
    );
    let mut links = Vec::new();
    let mut expected = Vec::new();
    for (i, opportunity) in opportunities.iter().enumerate() {
        let link = |contact: usize, primary: bool| {
            json!({
                "Opportunity": {"$key": opportunity},
                "Contact": {"$key": contacts[contact]},
                "IsPrimary": primary,
                "SalesRole": if primary { "Decision Maker" } else { "Evaluator" },
            })
        };
        let primary = match i {
            3 | 7 => None,
            5 => {
                links.push(link(0, false));
                None
            }
            _ => {
                // The secondary link first, so key order does not favour the primary.
                if i % 2 == 0 {
                    links.push(link((i + 1) % 5, false));
                }
                links.push(link(i % 5, true));
                Some(i % 5)
            }
        };
        expected.push((
            opportunity.clone(),
            primary.map(|c| ((c < 4).then(|| format!("call-{c}")), Some(format!("v.{c}")))),
        ));
    }
    insert(&fake, Kind::OpportunityContact, links);
    (fake, expected)
}

fn field(record: &SourceRecord, name: &str) -> Option<String> {
    record.fields.get(name).cloned().flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_lists_the_primary_contacts_fields_read_only() {
    let (fake, _) = seeded().await;
    for format in FORMATS {
        let crm = connector(&fake, format);
        let fields = crm
            .describe_source(SourceKind::Opportunity)
            .await
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        let find = |name: &str| fields.iter().find(|f| f.name == name);
        let call = find("Contact.CallReference");
        assert!(
            call.is_some_and(|f| f.read_only
                && f.custom
                && f.max_length == Some(32)
                && f.label == "Contact: Call Reference"),
            "{format:?}: {call:?}"
        );
        assert!(find("Contact.VisitorId").is_some_and(|f| f.read_only));
        assert!(find("Contact.LastName").is_some_and(|f| f.read_only && !f.required));
        assert!(find("Contact.Email").is_some());
        // The opportunity's own fields are still its own, and writable where they were.
        assert!(find("CallReference").is_some_and(|f| !f.read_only));
        assert!(find("Description").is_some());
        assert!(find("Account.AccountName").is_some());
        let own = fields.iter().position(|f| f.name == "Description");
        let linked = fields.iter().position(|f| f.name == "Contact.LastName");
        assert!(own < linked, "{format:?}: the contact's fields come after");
        // Contacts themselves are described as before.
        let contact = crm
            .describe_source(SourceKind::Contact)
            .await
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert!(contact.iter().any(|f| f.name == "CallReference"));
        assert!(!contact.iter().any(|f| f.name.starts_with("Contact.")));
    }
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_the_primary_contacts_values_a_page_at_a_time() {
    let (fake, expected) = seeded().await;
    for format in FORMATS {
        let crm = connector(&fake, format);
        // Schemas are cached per connector: fetch them first so only reads are counted.
        crm.describe_source(SourceKind::Opportunity)
            .await
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        fake.state().reset_stats();
        let query = ReadQuery {
            fields: [
                "Description",
                "CallReference",
                "Contact.CallReference",
                "Contact.VisitorId",
            ]
            .map(String::from)
            .to_vec(),
            page_size: Some(3),
            ..ReadQuery::default()
        };
        let mut stream = crm.read_source(SourceKind::Opportunity, query);
        let mut read: Vec<SourceRecord> = Vec::new();
        let mut pages: u64 = 0;
        while let Some(page) = stream.next().await {
            let page = page.unwrap_or_else(|e| panic!("{format:?}: {e}"));
            assert!(page.len() <= 3, "{format:?}: a page of {}", page.len());
            pages += 1;
            read.extend(page);
        }
        assert_eq!(pages, 4, "{format:?}: ten opportunities, three a page");
        let keys: Vec<&str> = read.iter().map(|r| r.key.as_str()).collect();
        let want: Vec<&str> = expected.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, want, "{format:?}: oldest first");
        for (i, (record, (_, primary))) in read.iter().zip(&expected).enumerate() {
            let (call, visitor) = primary.clone().unwrap_or((None, None));
            assert_eq!(
                field(record, "Contact.CallReference"),
                call,
                "{format:?}: opportunity {i}"
            );
            assert_eq!(
                field(record, "Contact.VisitorId"),
                visitor,
                "{format:?}: opportunity {i}"
            );
            assert!(
                record.fields.contains_key("Contact.CallReference")
                    && record.fields.contains_key("Contact.VisitorId"),
                "{format:?}: opportunity {i} names both, None or not"
            );
            assert_eq!(
                field(record, "CallReference"),
                Some(format!("own-{i}")),
                "{format:?}: the opportunity's own field is its own"
            );
            assert_eq!(field(record, "Description"), Some(format!("Deal {i}")));
            assert!(record.modify_date.is_some());
        }
        let stats = fake.state().stats();
        let links = stats.kind_count("opportunityContacts", "GET");
        let contacts = stats.kind_count("contacts", "GET");
        assert_eq!(links, pages, "{format:?}: one link query per page");
        assert!(
            (1..=pages).contains(&contacts),
            "{format:?}: {contacts} contact lookups for {pages} pages"
        );
        assert_eq!(stats.kind_count("opportunities", "GET"), pages);
    }
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_contact_fields_asked_for_still_reads_the_position() {
    let (fake, expected) = seeded().await;
    let crm = connector(&fake, FORMATS[0]);
    let query = ReadQuery {
        fields: vec!["contact.callreference".into()],
        page_size: Some(4),
        ..ReadQuery::default()
    };
    let mut stream = crm.read_source(SourceKind::Opportunity, query);
    let mut read: Vec<SourceRecord> = Vec::new();
    while let Some(page) = stream.next().await {
        read.extend(page.unwrap_or_else(|e| panic!("{e}")));
    }
    assert_eq!(read.len(), expected.len());
    for (record, (_, primary)) in read.iter().zip(&expected) {
        assert!(record.modify_date.is_some());
        assert!(
            !record.fields.contains_key("Description"),
            "only the position"
        );
        assert_eq!(
            field(record, "Contact.CallReference"),
            primary.clone().and_then(|(call, _)| call),
            "returned under the schema's spelling"
        );
    }
    let unknown = ReadQuery {
        fields: vec!["Contact.Nope".into()],
        ..ReadQuery::default()
    };
    match crm
        .read_source(SourceKind::Opportunity, unknown)
        .next()
        .await
    {
        Some(Err(ConnectorError::Invalid { message })) => {
            assert!(message.contains("Contact.Nope"), "{message}")
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_on_a_contact_field_is_refused_before_any_request() {
    let (fake, _) = seeded().await;
    let crm = connector(&fake, FORMATS[0]);
    fake.state().reset_stats();
    for filter in [
        Filter::equals("Contact.CallReference", "call-1"),
        Filter::NotNull {
            field: "contact.VisitorId".into(),
        },
    ] {
        let query = ReadQuery {
            fields: vec!["Contact.CallReference".into()],
            filters: vec![Filter::equals("Status", "Closed - Won"), filter],
            ..ReadQuery::default()
        };
        let mut stream = crm.read_source(SourceKind::Opportunity, query);
        match stream.next().await {
            Some(Err(ConnectorError::Invalid { message })) => {
                assert!(
                    message.contains("Contact.") || message.contains("contact."),
                    "{message}"
                );
                assert!(message.contains("own fields"), "{message}");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        assert!(stream.next().await.is_none(), "nothing after the refusal");
    }
    assert_eq!(fake.state().stats().total, 0, "not one request");
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_source_refuses_the_contacts_fields() {
    let (fake, expected) = seeded().await;
    // An opportunity per format: each is written once refused, then by its own fields.
    for (format, (key, _)) in FORMATS.into_iter().zip(&expected) {
        let crm = connector(&fake, format);
        fake.state().reset_stats();
        let refused = crm
            .update_source(
                SourceKind::Opportunity,
                key,
                &values(&[
                    ("MarketingSource", "google-ads"),
                    ("Contact.CallReference", "changed"),
                ]),
            )
            .await;
        match refused {
            Err(ConnectorError::Invalid { message }) => {
                assert!(
                    message.contains("Contact.CallReference"),
                    "{format:?}: {message}"
                )
            }
            other => panic!("{format:?}: expected Invalid, got {other:?}"),
        }
        assert_eq!(fake.state().stats().total, 0, "{format:?}: nothing sent");
        let stored = fake.state().record(Kind::Opportunity, key);
        assert_eq!(
            stored.as_ref().and_then(|r| r.text("MarketingSource")),
            None,
            "{format:?}: not half written"
        );
        // The opportunity's own fields are still written.
        crm.update_source(
            SourceKind::Opportunity,
            key,
            &values(&[("MarketingSource", "google-ads")]),
        )
        .await
        .unwrap_or_else(|e| panic!("{format:?}: {e}"));
    }
    let contacts = fake.state().records(Kind::Contact);
    assert!(
        contacts
            .iter()
            .all(|c| c.text("CallReference") != Some("changed"))
    );
    fake.shutdown().await;
}
