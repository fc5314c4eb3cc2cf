//! Log hygiene: a whole working day of the service (an import, a push the CRM partly
//! refuses, form submissions delivered and refused, "message sent" notes written and
//! refused) logged at info, the level a deployment runs at, holds ids and counts only:
//! never a person's email, name or company (in any case, or URL-encoded) and never the
//! CRM's own words for a refusal (user data from the CRM, which may quote a record).
//!
//! Read from the INFO capture (`support::logs`): every target at INFO and above, span
//! fields included, as a default deployment writes them.

use infor_crm_fake::{Kind, WriteRule};
use listbridge::store::JobStatus;
use serde_json::{Value, json};

use crate::support::{
    logs,
    services::fast_services,
    wait,
    world::{World, crm_config, world_with},
};

/// A person the CRM and the list know (a lead's email, a list member, a note recipient).
const KNOWN: &str = "Quinn.Seeded-Logcheck@Example.org";
/// A person only a form submission brings, refused by the CRM.
const NEWCOMER: &str = "Rae.Formsent-Logcheck@Example.net";
/// The company the CRM's business rule refuses (a form value and a list value).
const BLOCKED: &str = "Blocked Logcheck Co";
/// The first name every form submission carries.
const FIRST_NAME: &str = "Quinn";
/// The CRM's words for refusing a lead (user data: it may quote the record).
const CRM_WORDS: &str = "Rule QX-5150 refuses this lead: Blocked Logcheck Co is under review";
/// The CRM's words for refusing a note.
const NOTE_WORDS: &str = "Rule NZ-8812 refuses history from this sender";
/// The subject of the campaign whose notes the CRM refuses.
const REFUSED_SUBJECT: &str = "Refused offers";

/// The forms a value could take in a log line: as typed, lower and upper case, and each
/// of those URL-encoded.
fn forms_of(value: &str) -> Vec<String> {
    let cases = [
        value.to_string(),
        value.to_lowercase(),
        value.to_uppercase(),
    ];
    let encoded = cases
        .clone()
        .map(|v| v.replace('@', "%40").replace(' ', "%20"));
    cases.into_iter().chain(encoded).collect()
}

/// A "message sent" report of one recipient.
fn sent_report(campaign: &str, subject: &str, email: &str) -> Value {
    json!({
        "campaign_id": campaign,
        "subject": subject,
        "sent_at": "2025-04-01T08:30:00Z",
        "preview_url_template": "https://mail.example.com/preview/{recipient_id}",
        "recipients": [{ "email": email, "recipient_id": "r1" }],
        "write_crm_notes": true
    })
}

/// Posts a "message sent" report and waits for its notes; returns their counts.
async fn notes_of(w: &World, campaign: &str, subject: &str, email: &str) -> Value {
    let (status, body) = w
        .post("/v1/messages/sent", &sent_report(campaign, subject, email))
        .await;
    assert_eq!(status, 202, "{body}");
    w.wait_notes(campaign).await
}

/// Posts one submission to a public form (the path from the form).
async fn submit(w: &World, path: &str, email: &str, company: &str) {
    let response = w
        .post_form_data(
            path,
            &[
                ("email", email),
                ("first_name", FIRST_NAME),
                ("last_name", "Logcheck"),
                ("company", company),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_day_logs_no_email_and_no_crm_words_at_info() {
    let captured = logs::capture();
    let w = world_with(crm_config(5, 0), fast_services()).await;
    let lead = w.crm_leads().into_iter().next().expect("a lead").key;
    w.crm_update(Kind::Lead, &[lead], &[("Email", KNOWN)]);
    let state = w.crm.state();
    state
        .add_write_rule(WriteRule::equals(
            Kind::Lead,
            "Company",
            json!(BLOCKED),
            CRM_WORDS,
        ))
        .expect("lead rule added");
    state
        .add_write_rule(WriteRule::equals(
            Kind::History,
            "Description",
            json!(format!("Email sent: {REFUSED_SUBJECT}")),
            NOTE_WORDS,
        ))
        .expect("note rule added");

    // An import, then a push of an edit the CRM refuses in its own words.
    let list = w.imported_list("lead", &["Company"]).await;
    w.save_sync(
        list,
        &json!({ "push": { "enabled": true, "update_existing": true, "fields": ["Company"] } }),
    )
    .await;
    w.edit_member(list, &KNOWN.to_lowercase(), "Company", BLOCKED)
        .await;
    let run = w.run_now(list, false).await;
    let report = w.wait_run(&run).await;
    assert_eq!(report["counts"]["failed"], 1, "{report}");
    let failed = w.only_record(&run, "failed").await;
    assert!(
        failed["detail"]
            .as_str()
            .unwrap_or_default()
            .contains(CRM_WORDS),
        "the run report keeps the CRM's words: {failed}"
    );

    // Form submissions: one the CRM refuses, one delivered to the known lead.
    let (form, path) = w.create_contact_form("Contact us").await;
    submit(&w, &path, NEWCOMER, BLOCKED).await;
    submit(&w, &path, KNOWN, "Fine Logcheck Co").await;
    let submissions = w.wait_delivered(&form, 2).await;
    let status_of = |email: &str| {
        submissions
            .iter()
            .find(|s| {
                s["email"]
                    .as_str()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .map(|s| (s["status"].clone(), s["error"].clone()))
            .unwrap_or_else(|| panic!("a submission of {email}: {submissions:?}"))
    };
    let (status, error) = status_of(NEWCOMER);
    assert_eq!(status, "rejected", "{submissions:?}");
    assert!(
        error.as_str().unwrap_or_default().contains(CRM_WORDS),
        "the submission keeps the CRM's words: {error}"
    );
    assert_eq!(status_of(KNOWN).0, "delivered", "{submissions:?}");

    // Notes: one written, one the CRM refuses.
    let written = notes_of(&w, "logcheck-1", "Spring offers", KNOWN).await;
    assert_eq!(written["delivered"], 1, "{written}");
    let refused = notes_of(&w, "logcheck-2", REFUSED_SUBJECT, KNOWN).await;
    assert_eq!(refused["failed"], 1, "{refused}");

    // Every job has ended (its "job finished" line is written after the outcome shows).
    wait::until("every job to finish", async || {
        let jobs = w.jobs().await;
        let open: Vec<_> = jobs
            .iter()
            .filter(|j| matches!(j.status, JobStatus::Queued | JobStatus::Running))
            .map(|j| (j.id, j.status))
            .collect();
        if open.is_empty() {
            Ok(())
        } else {
            Err(format!("{open:?}"))
        }
    })
    .await;

    let logged = captured.info();
    for expected in [
        "form submission delivered",
        "form submission rejected",
        "notes written",
        "job finished",
        "request finished",
    ] {
        assert!(
            logged.contains(expected),
            "{expected} was not logged:\n{logged}"
        );
    }
    for email in [KNOWN, NEWCOMER] {
        for form in forms_of(email) {
            assert!(
                !logged.contains(&form),
                "an email was logged at info: {form}\n{logged}"
            );
        }
    }
    for value in [FIRST_NAME, BLOCKED] {
        for form in forms_of(value) {
            assert!(
                !logged.contains(&form),
                "a person's or company's name was logged at info: {form}\n{logged}"
            );
        }
    }
    for words in [CRM_WORDS, NOTE_WORDS, "QX-5150", "NZ-8812"] {
        assert!(
            !logged.contains(words),
            "the CRM's words were logged at info: {words}\n{logged}"
        );
    }
    w.crm.shutdown().await;
}
