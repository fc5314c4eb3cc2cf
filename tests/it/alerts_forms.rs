//! The alert of issue 21 on rejected form submissions piling up, over a real SMTP sink
//! and webhook receiver: with `alert_form_rejections_per_hour` at 2, the third
//! rejection within the hour alerts once (email and signed webhook naming the form and
//! the count), a fourth only counts, a delivery while the hour still holds too many
//! changes nothing, and the first delivery once the hour has passed sends "recovered".

use std::sync::Arc;

use chrono::{Duration, Utc};
use infor_crm_fake::{Kind, WriteRule};
use listbridge::{
    alerts::form_rejections_subject,
    app::Services,
    clock::TestClock,
    store::{AlertStreakRepo, FormId, JobKind, JobStatus},
};
use serde_json::{Value, json};

use crate::support::alerts::{
    add_channels, alerts_sent, body_of, observed, signed_body, subject_of, text,
};
use crate::support::{
    services::fast_services,
    smtp::SmtpSink,
    wait,
    webhook::WebhookReceiver,
    world::{World, crm_config, world_configured},
};

/// The company the CRM's business rule refuses on leads.
const BLOCKED: &str = "Blocked Alerts Co";
/// The CRM's words for refusing such a lead.
const CRM_WORDS: &str = "Rule QX-2101 refuses leads of Blocked Alerts Co";

/// Posts the form at `path` as `email` of `company`; waits until that submission's
/// delivery has ended and returns its id and status.
async fn submit(w: &World, form: &str, path: &str, email: &str, company: &str) -> (String, String) {
    let response = w
        .post_form_data(
            path,
            &[
                ("email", email),
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
                ("company", company),
            ],
        )
        .await;
    assert!(
        response.status().is_success() || response.status().is_redirection(),
        "{}",
        response.status()
    );
    wait::until(
        &format!("the delivery of {email}'s submission"),
        async || {
            let all = w.submissions(form).await;
            match all.iter().find(|s| s["email"] == email) {
                Some(s) if s["status"] != "queued" => Ok((
                    s["id"].as_str().unwrap_or_default().to_string(),
                    s["status"].as_str().unwrap_or_default().to_string(),
                )),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await
}

/// Waits until the delivery job of submission `id` has succeeded (what it tells alerts
/// is told before that).
async fn delivery_job_done(w: &World, id: &str) {
    wait::until(&format!("the delivery job of {id}"), async || {
        let jobs = w.jobs().await;
        let job = jobs
            .iter()
            .find(|j| j.kind == JobKind::FormDelivery && j.payload["submission_id"] == id);
        match job {
            Some(j) if j.status == JobStatus::Succeeded => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_once_when_a_forms_rejections_pile_up_then_recovered_after_the_hour() {
    let smtp = SmtpSink::start().await;
    let receiver = WebhookReceiver::start().await;
    // A pinned clock: the hour passes only when the test says so.
    let clock = TestClock::new(Utc::now());
    let services = Services {
        clock: Arc::new(clock.clone()),
        ..fast_services()
    };
    let w = world_configured(crm_config(2, 2), services, |c| {
        c.alerts.form_rejections_per_hour = 2;
    })
    .await;
    add_channels(&w, &smtp, &receiver).await;
    let (form, path) = w.create_contact_form("Contact us").await;
    let form_id = FormId::from_db(&form).expect("form id");
    let subject = form_rejections_subject(form_id);
    assert_eq!(subject, format!("form_rejections:{form}"));
    w.crm
        .state()
        .add_write_rule(WriteRule::equals(
            Kind::Lead,
            "Company",
            json!(BLOCKED),
            CRM_WORDS,
        ))
        .expect("lead rule added");

    // Two rejections in the hour are within the limit; the third is more than it.
    let mut rejected = Vec::new();
    for n in 1..=3 {
        let (id, status) = submit(&w, &form, &path, &format!("r{n}@example.com"), BLOCKED).await;
        assert_eq!(status, "rejected");
        rejected.push(id);
    }
    let streak = observed(&w, &subject, &rejected[2]).await;
    assert!(
        streak.failing && streak.failures == 1,
        "only the rejection over the limit counts: {streak:?}"
    );
    alerts_sent(&w).await;
    let mails = smtp.wait_for(1).await;
    let hooks = receiver.wait_for(1).await;
    assert_eq!((mails.len(), hooks.len()), (1, 1));
    let body = signed_body(&hooks[0]);
    assert_eq!(body["event"], "form_rejections", "{body}");
    assert_eq!(body["subject"], subject.as_str(), "{body}");
    assert_eq!(body["account"], "acme", "{body}");
    assert_eq!(
        body["form"],
        json!({ "id": form, "name": "Contact us", "rejected_last_hour": 3, "limit_per_hour": 2 }),
        "{body}"
    );
    assert_eq!(
        body["reason"], "3 submissions rejected in the last hour (more than 2)",
        "{body}"
    );
    assert!(
        ["run_id", "list", "job", "connector"]
            .iter()
            .all(|k| body.get(*k).is_none()),
        "{body}"
    );
    let said = text(&body);
    let first_sentence =
        "Form 'Contact us' had 3 submissions rejected in the last hour (more than 2)";
    assert!(
        said.starts_with(&format!("{first_sentence}. Form {form}. They did not reach the CRM: see the form's submissions for the reasons")),
        "{said}"
    );
    assert!(
        said.ends_with("Further rejections of this form are not reported until fewer are rejected (at most 2 in an hour) and a submission is delivered."),
        "{said}"
    );
    assert!(
        !said.contains(CRM_WORDS),
        "the CRM's words stay on the submissions: {said}"
    );
    assert_eq!(mails[0].to, vec!["ops@example.com".to_string()]);
    assert_eq!(
        subject_of(&mails[0]),
        format!("[listbridge] {first_sentence}")
    );
    assert_eq!(body_of(&mails[0]), said);

    // A fourth rejection only counts.
    let (fourth, status) = submit(&w, &form, &path, "r4@example.com", BLOCKED).await;
    assert_eq!(status, "rejected");
    let streak = observed(&w, &subject, &fourth).await;
    assert!(streak.failing && streak.failures == 2, "{streak:?}");
    alerts_sent(&w).await;
    assert_eq!(smtp.messages().len(), 1, "a later rejection sends nothing");
    assert_eq!(receiver.hooks().len(), 1, "a later rejection sends nothing");

    // A delivery while the last hour still has four rejections ends nothing.
    let (early, status) = submit(&w, &form, &path, "fine1@example.com", "Fine Co").await;
    assert_eq!(status, "delivered");
    // Its alert call is over once its job has ended.
    delivery_job_done(&w, &early).await;
    let streak = AlertStreakRepo::on(w.app.state.store.conn())
        .get(w.account, &subject)
        .await
        .expect("streak read")
        .expect("streak");
    assert!(
        streak.failing && streak.last_observed_id.as_deref() == Some(fourth.as_str()),
        "delivery {early} came while 4 rejections were in the hour: {streak:?}"
    );

    // An hour later, the first delivery sends "recovered".
    clock.advance(Duration::minutes(61));
    let (back, status) = submit(&w, &form, &path, "fine2@example.com", "Fine Co").await;
    assert_eq!(status, "delivered");
    let streak = observed(&w, &subject, &back).await;
    assert!(!streak.failing && streak.failures == 0, "{streak:?}");
    alerts_sent(&w).await;
    let mails = smtp.wait_for(2).await;
    let hooks = receiver.wait_for(2).await;
    assert_eq!((mails.len(), hooks.len()), (2, 2));
    let body: Value = signed_body(&hooks[1]);
    assert_eq!(body["event"], "recovered", "{body}");
    assert_eq!(body["subject"], subject.as_str(), "{body}");
    assert_eq!(body["form"]["rejected_last_hour"], 0, "{body}");
    assert!(body.get("reason").is_none(), "{body}");
    let said = text(&body);
    assert_eq!(
        said,
        format!(
            "Form 'Contact us' recovered: submission {back} was delivered and 0 submission(s) were rejected in the last hour (at most 2), after 2 rejection(s) over the limit. Form {form}."
        )
    );
    assert_eq!(body_of(&mails[1]), said);
}
