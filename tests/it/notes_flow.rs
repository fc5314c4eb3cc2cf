//! "Message sent" notes: one History record (type atEMail) per recipient with a CRM lead
//! or contact, linked to it, with subject, send time and preview link; re-posting adds
//! nothing; notes off writes nothing; a recipient without CRM record is skipped with the
//! reason; and a thousand recipients take a few dozen CRM requests, not a thousand.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::services::fast_services;
use infor_crm_fake::{Kind, Record, history_type_name};

use crate::support::world::{World, crm_config, world_with};
use serde_json::{Value, json};

const SUBJECT: &str = "Spring offers for you";
const SENT_AT: &str = "2025-04-01T08:30:00Z";

fn history(w: &World) -> Vec<Record> {
    w.crm.state().records(Kind::History)
}

fn type_name(r: &Record) -> Option<&'static str> {
    match r.get("Type")? {
        infor_crm_fake::Value::Text(t) => history_type_name(t),
        infor_crm_fake::Value::Int(n) => history_type_name(&n.to_string()),
        _ => None,
    }
}

/// `email → (entity field, key)` of seeded people whose email is unambiguous: one contact
/// (a lead may share it; the contact is preferred), or else exactly one lead.
fn crm_people(w: &World) -> BTreeMap<String, (&'static str, String)> {
    let mut leads: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut contacts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (kind, map) in [(Kind::Lead, &mut leads), (Kind::Contact, &mut contacts)] {
        for r in w.crm.state().records(kind) {
            if let Some(e) = r.text("Email") {
                map.entry(e.to_lowercase()).or_default().push(r.key.clone());
            }
        }
    }
    let mut people = BTreeMap::new();
    for (email, keys) in &leads {
        if keys.len() == 1 && !contacts.contains_key(email) {
            people.insert(email.clone(), ("LeadId", keys[0].clone()));
        }
    }
    for (email, keys) in &contacts {
        if keys.len() == 1 {
            people.insert(email.clone(), ("ContactId", keys[0].clone()));
        }
    }
    people
}

fn report(campaign: &str, emails: &[String], write: bool) -> Value {
    let recipients: Vec<Value> = emails
        .iter()
        .enumerate()
        .map(|(i, e)| json!({ "email": e, "recipient_id": format!("r{i}") }))
        .collect();
    json!({
        "campaign_id": campaign,
        "subject": SUBJECT,
        "sent_at": SENT_AT,
        "preview_url_template": "https://mail.example.com/preview/{recipient_id}?to={email}",
        "recipients": recipients,
        "write_crm_notes": write
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_recipients_get_exactly_one_note_each_in_few_requests() {
    let w = world_with(crm_config(900, 400), fast_services()).await;
    // Contacts are members of a CRM-linked list (resolved without asking the CRM);
    // leads are found by batched email lookups.
    w.imported_list("contact", &[]).await;
    let mut people = crm_people(&w);
    assert!(people.len() >= 1000, "enough distinct seeded emails");
    while people.len() > 1000 {
        people.pop_last();
    }
    let mut emails: Vec<String> = people.keys().cloned().collect();
    emails.push("nobody@nowhere.example".to_string());
    let history_before = history(&w).len();
    w.crm.state().reset_stats();

    let (status, recorded) = w
        .post("/v1/messages/sent", &report("spring-1", &emails, true))
        .await;
    assert_eq!(status, 202, "{recorded}");
    assert_eq!(recorded["recorded"], emails.len());
    let counts = w.wait_notes("spring-1").await;
    assert_eq!(counts["delivered"], people.len(), "{counts}");
    assert_eq!(counts["skipped"], 1, "{counts}");
    assert_eq!(counts["failed"], 0, "{counts}");

    let stats = w.crm.state().stats();
    assert!(
        stats.total < 100,
        "{} CRM requests for {} recipients: {:?}",
        stats.total,
        emails.len(),
        stats.by_kind
    );

    // One atEMail History per person, linked to that person, with subject, time, link.
    let notes = history(&w);
    let new: Vec<&Record> = notes
        .iter()
        .filter(|r| {
            r.text("Description")
                .is_some_and(|d| d.starts_with("Email sent:"))
        })
        .collect();
    assert_eq!(notes.len(), history_before + people.len());
    assert_eq!(new.len(), people.len());
    let mut linked = BTreeSet::new();
    for note in &new {
        assert_eq!(type_name(note), Some("atEMail"));
        assert_eq!(
            note.text("Description"),
            Some("Email sent: Spring offers for you")
        );
        let long = note.text("LongNotes").expect("LongNotes");
        assert!(long.contains(SUBJECT), "{long}");
        assert!(long.contains("2025-04-01 08:30:00 UTC"), "{long}");
        assert!(
            long.contains("https://mail.example.com/preview/r"),
            "{long}"
        );
        let target = note
            .text("ContactId")
            .map(|k| ("ContactId", k))
            .or_else(|| note.text("LeadId").map(|k| ("LeadId", k)))
            .expect("linked to a lead or contact");
        assert!(linked.insert(target.1.to_string()), "one note per person");
        let email = people
            .iter()
            .find(|(_, (_, key))| key == target.1)
            .map(|(e, (field, _))| (e.clone(), *field))
            .expect("the key belongs to a recipient");
        assert_eq!(email.1, target.0, "linked as the right entity");
        assert!(
            long.contains(&url_encode(&email.0)),
            "{long} names {}",
            email.0
        );
    }

    // The no-CRM recipient is reported as skipped with the reason.
    let (status, skipped) = w.get("/v1/messages/spring-1/notes?status=skipped").await;
    assert_eq!(status, 200);
    assert_eq!(skipped["notes"][0]["email"], "nobody@nowhere.example");
    assert!(
        skipped["notes"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("no lead or contact")),
        "{skipped}"
    );
    let (_, delivered) = w
        .get("/v1/messages/spring-1/notes?status=delivered&limit=1")
        .await;
    assert!(delivered["notes"][0]["note_key"].is_string(), "{delivered}");
    assert!(
        delivered["notes"][0]["crm"]["key"].is_string(),
        "{delivered}"
    );

    // The same event twice more: nothing new is recorded or written.
    w.crm.state().reset_stats();
    for _ in 0..2 {
        let (status, again) = w
            .post("/v1/messages/sent", &report("spring-1", &emails, true))
            .await;
        assert_eq!(status, 202, "{again}");
        assert_eq!(again["recorded"], 0);
        assert_eq!(again["already_recorded"], emails.len());
        assert_eq!(again["batches"], 0);
    }
    w.wait_notes("spring-1").await;
    assert_eq!(history(&w).len(), history_before + people.len());
    assert_eq!(
        w.crm.state().stats().total,
        0,
        "no CRM request for a re-post"
    );
}

fn url_encode(s: &str) -> String {
    s.replace('@', "%40").replace('+', "%2B")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_off_writes_nothing_and_reports_skipped() {
    let w = world_with(crm_config(20, 5), fast_services()).await;
    let emails: Vec<String> = crm_people(&w).keys().take(10).cloned().collect();
    let before = history(&w).len();
    w.crm.state().reset_stats();
    let mut body = report("quiet-1", &emails, false);
    body.as_object_mut()
        .expect("object")
        .remove("preview_url_template");
    let (status, recorded) = w.post("/v1/messages/sent", &body).await;
    assert_eq!(status, 202, "{recorded}");
    assert_eq!(recorded["batches"], 0);
    let (status, outcomes) = w.get("/v1/messages/quiet-1/notes").await;
    assert_eq!(status, 200, "{outcomes}");
    assert_eq!(outcomes["counts"]["skipped"], 10);
    assert!(
        outcomes["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .all(|n| n["status"] == "skipped"
                && n["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("write_crm_notes")))
    );
    assert_eq!(history(&w).len(), before);
    assert_eq!(w.crm.state().stats().total, 0);

    let (status, _) = w.get("/v1/messages/unknown-campaign/notes").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_reports_name_the_recipient() {
    let w = world_with(crm_config(2, 2), fast_services()).await;
    let body = json!({
        "campaign_id": "bad-1",
        "subject": "Hi",
        "sent_at": SENT_AT,
        "recipients": [{ "email": "ok@example.com", "preview_url": "https://m.example/1" },
                       { "email": "not-an-email" }]
    });
    let (status, problem) = w.post("/v1/messages/sent", &body).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["error"], "invalid_email");
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|m| m.contains("recipients[1]")),
        "{problem}"
    );
    let (status, _) = w.get("/v1/messages/bad-1/notes").await;
    assert_eq!(status, 404, "nothing was recorded");
}
