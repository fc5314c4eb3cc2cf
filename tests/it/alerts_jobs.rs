//! The alerts of issue 21 beyond scheduled runs, over a real SMTP sink and webhook
//! receiver: a dead job (a form delivery that gave up) alerts once per streak of its
//! kind and the next delivery that succeeds sends "recovered"; a connector whose login
//! the CRM refuses (in a run or a form delivery) alerts once, dry runs and later
//! refusals send nothing, and the first run or delivery past the login after *Reconfirm
//! Login* sends "recovered".

use std::sync::Arc;

use chrono::Utc;
use infor_crm_fake::{Access, FakeUser, Fault, FaultConfig, FaultRule};
use listbridge::{
    alerts::{connector_login_subject, dead_jobs_subject},
    app::Services,
    clock::TestClock,
    store::{AlertStreakRepo, JobId, JobKind, JobStatus, entity::job},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::support::alerts::{
    add_channels, alerts_sent, body_of, observed, signed_body, subject_of, text,
};
use crate::support::{
    services::fast_services,
    smtp::SmtpSink,
    wait,
    webhook::WebhookReceiver,
    world::{World, crm_config, world_configured, world_with},
};

/// The account's form delivery jobs, oldest first.
async fn deliveries(w: &World) -> Vec<listbridge::store::Job> {
    let mut jobs: Vec<_> = w
        .jobs()
        .await
        .into_iter()
        .filter(|j| j.kind == JobKind::FormDelivery)
        .collect();
    jobs.sort_by_key(|j| j.created_at);
    jobs
}

/// Submits the form at `path` as `email`; waits for its delivery job (the `n`th).
async fn submit(w: &World, path: &str, email: &str, n: usize) -> JobId {
    let response = w
        .post_form_data(
            path,
            &[
                ("email", email),
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
                ("company", "Analytical Engines"),
            ],
        )
        .await;
    assert!(
        response.status().is_success() || response.status().is_redirection(),
        "{}",
        response.status()
    );
    let jobs = wait::until("the submission's delivery job", async || {
        let jobs = deliveries(w).await;
        if jobs.len() >= n {
            Ok(jobs)
        } else {
            Err(format!("{} jobs", jobs.len()))
        }
    })
    .await;
    jobs[n - 1].id
}

/// Lets the delivery job `id` give up after two attempts: its attempts are cut to two
/// (as a small `max_attempts` would), and the pinned clock is moved past each backoff.
async fn give_up(w: &World, clock: &TestClock, id: JobId) {
    job::Entity::update_many()
        .col_expr(job::Column::MaxAttempts, Expr::value(2))
        .filter(job::Column::Id.eq(id.as_db()))
        .exec(w.app.state.store.conn())
        .await
        .expect("max attempts cut");
    wait::until("the delivery job to end dead", async || {
        let jobs = deliveries(w).await;
        match jobs.iter().find(|j| j.id == id) {
            Some(j) if j.status == JobStatus::Dead => Ok(()),
            // Only a job waiting to retry: moving the clock under a running job would
            // lapse its lease and let a second worker take it.
            Some(j) if j.status == JobStatus::Failed => {
                clock.advance(chrono::Duration::hours(1));
                w.app.state.job_signal.notify_one();
                Err(format!("{j:?}"))
            }
            other => Err(format!("{other:?}")),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_one_email_and_webhook_per_dead_job_streak_then_recovered() {
    let smtp = SmtpSink::start().await;
    let receiver = WebhookReceiver::start().await;
    // A pinned clock: a failed delivery retries only when the test moves it.
    let clock = TestClock::new(Utc::now());
    let services = Services {
        clock: Arc::new(clock.clone()),
        ..fast_services()
    };
    // One request attempt per job attempt: each attempt fails at once.
    let w = world_configured(crm_config(2, 2), services, |c| c.crm.attempts = 1).await;
    add_channels(&w, &smtp, &receiver).await;
    let (_, path) = w.create_contact_form("Contact us").await;
    let subject = dead_jobs_subject(JobKind::FormDelivery);
    assert_eq!(subject, "dead_jobs:form_delivery");

    // The CRM is down: every request gets 503.
    w.crm.state().set_faults(FaultConfig {
        rules: vec![FaultRule::always(Fault::Status {
            status: 503,
            retry_after: None,
        })],
        ..FaultConfig::default()
    });
    let first = submit(&w, &path, "first@example.com", 1).await;
    give_up(&w, &clock, first).await;
    let streak = observed(&w, &subject, &first.to_string()).await;
    assert!(streak.failing && streak.failures == 1, "{streak:?}");
    alerts_sent(&w).await;
    let mails = smtp.wait_for(1).await;
    let hooks = receiver.wait_for(1).await;
    assert_eq!((mails.len(), hooks.len()), (1, 1));
    let body = signed_body(&hooks[0]);
    assert_eq!(body["event"], "job_dead", "{body}");
    assert_eq!(body["subject"], "dead_jobs:form_delivery", "{body}");
    assert_eq!(body["account"], "acme", "{body}");
    assert_eq!(body["job"]["id"], first.to_string(), "{body}");
    assert_eq!(body["job"]["kind"], "form_delivery", "{body}");
    assert_eq!(body["job"]["attempts"], 2, "{body}");
    assert!(
        body.get("run_id").is_none() && body.get("list").is_none(),
        "{body}"
    );
    let reason = body["reason"].as_str().unwrap_or_default().to_string();
    assert!(
        reason.contains("503"),
        "the CRM's failure is the reason: {body}"
    );
    let said = text(&body);
    assert!(
        said.starts_with(&format!(
            "A form delivery gave up after 2 attempt(s): {}. Job {first}.",
            reason.trim_end_matches('.')
        )),
        "{said}"
    );
    assert!(
        said.contains("Further dead form deliveries are not reported until one succeeds again"),
        "{said}"
    );
    let mail = &mails[0];
    assert_eq!(mail.to, vec!["ops@example.com".to_string()]);
    assert_eq!(
        subject_of(mail),
        format!(
            "[listbridge] A form delivery gave up after 2 attempt(s): {}",
            reason.trim_end_matches('.')
        )
    );
    assert_eq!(body_of(mail), said);

    // A second dead delivery of the streak only counts.
    let second = submit(&w, &path, "second@example.com", 2).await;
    give_up(&w, &clock, second).await;
    let streak = observed(&w, &subject, &second.to_string()).await;
    assert!(streak.failing && streak.failures == 2, "{streak:?}");
    alerts_sent(&w).await;
    assert_eq!(smtp.messages().len(), 1, "a later dead job sends nothing");
    assert_eq!(receiver.hooks().len(), 1, "a later dead job sends nothing");

    // The CRM is back: the next delivery that succeeds ends the streak.
    w.crm.state().clear_faults();
    let third = submit(&w, &path, "third@example.com", 3).await;
    let streak = observed(&w, &subject, &third.to_string()).await;
    assert!(!streak.failing && streak.failures == 0, "{streak:?}");
    alerts_sent(&w).await;
    let mails = smtp.wait_for(2).await;
    let hooks = receiver.wait_for(2).await;
    assert_eq!((mails.len(), hooks.len()), (2, 2));
    let body = signed_body(&hooks[1]);
    assert_eq!(body["event"], "recovered", "{body}");
    assert_eq!(body["subject"], "dead_jobs:form_delivery", "{body}");
    assert_eq!(body["job"]["id"], third.to_string(), "{body}");
    assert!(body.get("reason").is_none(), "{body}");
    let said = text(&body);
    assert_eq!(
        said,
        format!(
            "Form deliveries recovered: a form delivery succeeded again (job {third}) after 2 dead form deliveries."
        )
    );
    assert_eq!(body_of(&mails[1]), said);

    // Successes while nothing fails write nothing: the streak keeps its last outcome.
    let fourth = submit(&w, &path, "fourth@example.com", 4).await;
    wait::until("the fourth delivery", async || {
        match deliveries(&w).await.iter().find(|j| j.id == fourth) {
            Some(j) if j.status == JobStatus::Succeeded => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let streak = AlertStreakRepo::on(w.app.state.store.conn())
        .get(w.account, &subject)
        .await
        .expect("streak read")
        .expect("streak");
    assert_eq!(
        streak.last_observed_id,
        Some(third.to_string()),
        "a success outside a streak is not written"
    );
    alerts_sent(&w).await;
    assert_eq!((smtp.messages().len(), receiver.hooks().len()), (2, 2));
}

/// Reconfirms the world's connector as `marketing` with `password`.
async fn reconfirm(w: &World, password: &str) {
    let (status, body) = w
        .post(
            &format!("/v1/connectors/{}/reconfirm", w.connector),
            &json!({ "username": "marketing", "password": password }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Runs a sync of `list` (`dry_run` or not) to its end; returns its id and report.
async fn run(w: &World, list: listbridge::store::ListId, dry_run: bool) -> (String, Value) {
    let id = w.run_now(list, dry_run).await;
    let report = w.wait_run(&id).await;
    (id, report)
}

/// A CRM with `leads` leads whose user `marketing` the world's connector logs in as,
/// and the account's alert channels on a real SMTP sink and webhook receiver.
async fn login_world(leads: usize) -> (World, SmtpSink, WebhookReceiver) {
    let smtp = SmtpSink::start().await;
    let receiver = WebhookReceiver::start().await;
    let w = world_with(crm_config(leads, 0), fast_services()).await;
    w.crm
        .state()
        .add_user(FakeUser::new("marketing", "first password", Access::Full))
        .expect("user added");
    reconfirm(&w, "first password").await;
    add_channels(&w, &smtp, &receiver).await;
    (w, smtp, receiver)
}

/// `marketing`'s password changes in the CRM (the connector still has the old one).
fn change_password(w: &World) {
    w.crm
        .state()
        .add_user(FakeUser::new("marketing", "second password", Access::Full))
        .expect("password changed");
}

/// The first refusal `observed` (a run or a submission) sends one email and one signed
/// webhook: what every refusal alert says, checked; returns the webhook's body, its
/// text and the CRM's words quoted in it.
async fn first_refusal(
    w: &World,
    (smtp, receiver): (&SmtpSink, &WebhookReceiver),
    observed_id: &str,
) -> (Value, String, String) {
    let subject = connector_login_subject(w.connector);
    let streak = observed(w, &subject, observed_id).await;
    assert!(streak.failing && streak.failures == 1, "{streak:?}");
    alerts_sent(w).await;
    let mails = smtp.wait_for(1).await;
    let hooks = receiver.wait_for(1).await;
    assert_eq!((mails.len(), hooks.len()), (1, 1));
    let body = signed_body(&hooks[0]);
    assert_eq!(body["event"], "connector_login_refused", "{body}");
    assert_eq!(body["subject"], subject.as_str(), "{body}");
    assert_eq!(body["connector"]["id"], w.connector.to_string(), "{body}");
    assert_eq!(body["connector"]["kind"], "infor-crm", "{body}");
    assert_eq!(
        body["connector"]["base_url"],
        w.crm.base_url().as_str(),
        "{body}"
    );
    let reason = body["reason"].as_str().unwrap_or_default().to_string();
    assert!(reason.contains("refused the login"), "{body}");
    let said = text(&body);
    let first_sentence = format!(
        "The CRM at {} refused the login of user 'marketing': {}",
        w.crm.base_url(),
        reason.trim_end_matches('.')
    );
    assert!(said.starts_with(&first_sentence), "{said}");
    assert!(
        said.contains("Reconfirm Login on the Connectors page"),
        "{said}"
    );
    assert_eq!(body_of(&mails[0]), said);
    assert_eq!(
        subject_of(&mails[0]),
        format!("[listbridge] {first_sentence}")
    );
    (body, said, reason)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_once_when_the_crm_refuses_a_connectors_login_then_recovered() {
    let (w, smtp, receiver) = login_world(5).await;
    let list = w.pulling_lead_list(&["Title"]).await;
    let subject = connector_login_subject(w.connector);
    assert_eq!(subject, format!("connector_login:{}", w.connector));

    change_password(&w);
    let (first, report) = run(&w, list, false).await;
    assert_eq!(report["status"], "failed", "{report}");
    let (body, said, reason) = first_refusal(&w, (&smtp, &receiver), &first).await;
    assert_eq!(body["run_id"], first.as_str(), "{body}");
    let connector = w.connector;
    assert!(
        said.contains(&format!(
            "{}. Connector {connector} (infor-crm), run {first}.",
            reason.trim_end_matches('.')
        )),
        "{said}"
    );

    // A dry run meets the same refusal, but dry runs are not heard.
    let (_, report) = run(&w, list, true).await;
    assert_eq!(report["status"], "failed", "{report}");
    // A second real refusal only counts.
    let (second, report) = run(&w, list, false).await;
    assert_eq!(report["status"], "failed", "{report}");
    let streak = observed(&w, &subject, &second).await;
    assert_eq!(
        streak.failures, 2,
        "the dry run was not counted: {streak:?}"
    );
    alerts_sent(&w).await;
    assert_eq!(smtp.messages().len(), 1, "a later refusal sends nothing");
    assert_eq!(receiver.hooks().len(), 1, "a later refusal sends nothing");

    // The password entered again, the next run gets past the login.
    reconfirm(&w, "second password").await;
    let (third, report) = run(&w, list, false).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    let streak = observed(&w, &subject, &third).await;
    assert!(!streak.failing, "{streak:?}");
    alerts_sent(&w).await;
    let mails = smtp.wait_for(2).await;
    let hooks = receiver.wait_for(2).await;
    assert_eq!((mails.len(), hooks.len()), (2, 2));
    let body = signed_body(&hooks[1]);
    assert_eq!(body["event"], "recovered", "{body}");
    assert_eq!(body["subject"], subject.as_str(), "{body}");
    assert_eq!(body["run_id"], third.as_str(), "{body}");
    let said = text(&body);
    assert_eq!(
        said,
        format!(
            "The CRM at {} accepted the login of user 'marketing' again: run {third} got past the login after 2 refusal(s). Connector {} (infor-crm).",
            w.crm.base_url(),
            w.connector
        )
    );
    assert_eq!(body_of(&mails[1]), said);
}

/// The submission a delivery job delivers.
async fn submission_of(w: &World, job: JobId) -> String {
    let jobs = deliveries(w).await;
    let job = jobs.iter().find(|j| j.id == job).expect("the delivery job");
    job.payload["submission_id"]
        .as_str()
        .expect("submission id")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_once_when_the_crm_refuses_a_form_deliverys_login_then_recovered() {
    let (w, smtp, receiver) = login_world(2).await;
    let (_, path) = w.create_contact_form("Contact us").await;
    let subject = connector_login_subject(w.connector);

    // The password changes in the CRM; only the form uses the connector.
    change_password(&w);
    let job = submit(&w, &path, "first@example.com", 1).await;
    let first = submission_of(&w, job).await;
    let (body, said, reason) = first_refusal(&w, (&smtp, &receiver), &first).await;
    assert!(body["run_id"].is_null(), "{body}");
    let connector = w.connector;
    assert!(
        said.contains(&format!(
            "{}. Connector {connector} (infor-crm), the delivery of submission {first} of form 'Contact us'.",
            reason.trim_end_matches('.')
        )),
        "{said}"
    );

    // A second refused delivery only counts.
    let job = submit(&w, &path, "second@example.com", 2).await;
    let second = submission_of(&w, job).await;
    let streak = observed(&w, &subject, &second).await;
    assert_eq!(streak.failures, 2, "{streak:?}");
    alerts_sent(&w).await;
    assert_eq!(smtp.messages().len(), 1, "a later refusal sends nothing");
    assert_eq!(receiver.hooks().len(), 1, "a later refusal sends nothing");

    // The password entered again, the next delivery gets past the login.
    reconfirm(&w, "second password").await;
    let job = submit(&w, &path, "third@example.com", 3).await;
    let third = submission_of(&w, job).await;
    let streak = observed(&w, &subject, &third).await;
    assert!(!streak.failing, "{streak:?}");
    alerts_sent(&w).await;
    let hooks = receiver.wait_for(2).await;
    let body = signed_body(&hooks[1]);
    assert_eq!(body["event"], "recovered", "{body}");
    assert_eq!(
        text(&body),
        format!(
            "The CRM at {} accepted the login of user 'marketing' again: the delivery of submission {third} of form 'Contact us' got past the login after 2 refusal(s). Connector {} (infor-crm).",
            w.crm.base_url(),
            w.connector
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_events_and_body_are_in_the_openapi_document() {
    let app = crate::support::spawn_app().await;
    let (status, doc) = crate::support::json(
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .expect("document served"),
    )
    .await;
    assert_eq!(status, 200);
    let schemas = &doc["components"]["schemas"];
    let events: Vec<&str> = schemas["AlertEvent"]["enum"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for event in [
        "run_failed",
        "run_completed_with_errors",
        "job_dead",
        "connector_login_refused",
        "form_rejections",
        "recovered",
        "test",
    ] {
        assert!(events.contains(&event), "{event} in {events:?}");
    }
    let fields = schemas["Alert"]["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    for field in [
        "text",
        "event",
        "subject",
        "run_id",
        "job",
        "connector",
        "form",
        "reason",
    ] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }
}

/// A push whose writes the CRM refuses at login fails the run as a refused login (the
/// connector's alert hears it) instead of reporting every member as refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_hear_a_push_refused_at_login_as_a_failed_run() {
    let w = world_with(crm_config(0, 0), fast_services()).await;
    w.crm
        .state()
        .add_user(FakeUser::new("marketing", "first password", Access::Full))
        .expect("user added");
    reconfirm(&w, "first password").await;
    let (list, rows) = w.people_list(3, "push.example").await;
    w.save_sync(
        list,
        &json!({ "push": {
            "enabled": true, "add_new": true, "update_existing": true, "fields": ["Company"] } }),
    )
    .await;
    let (_, report) = run(&w, list, false).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["counts"]["pushed_new"], 3, "{report}");
    // Nothing changed since: the next run never asks the CRM, so it says nothing
    // about the login (below, it must not count as getting past it).
    let (idle, report) = run(&w, list, false).await;
    assert_eq!(report["status"], "succeeded", "{report}");

    // Linked members changed in the list; the CRM now refuses the password.
    for (email, _) in &rows {
        w.edit_member(list, email, "Company", "Renamed Co").await;
    }
    w.crm
        .state()
        .add_user(FakeUser::new("marketing", "second password", Access::Full))
        .expect("password changed");
    let (refused, report) = run(&w, list, false).await;
    assert_eq!(report["status"], "failed", "{report}");
    assert!(
        report["error"]
            .as_str()
            .unwrap_or_default()
            .contains("refused the login"),
        "{report}"
    );
    assert_eq!(
        w.run_records(&refused).await,
        Vec::<Value>::new(),
        "no member refused"
    );
    let subject = connector_login_subject(w.connector);
    let streak = observed(&w, &subject, &refused).await;
    assert!(streak.failing && streak.failures == 1, "{streak:?}");
    assert_ne!(
        streak.last_observed_id,
        Some(idle),
        "the idle run was not heard"
    );

    // A run with nothing to send does not get past the login: still failing.
    // Put the changes back where the CRM has them: nothing left to push.
    for (email, values) in &rows {
        let company = values
            .iter()
            .find(|(c, _)| *c == "Company")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        w.edit_member(list, email, "Company", &company).await;
    }
    let (quiet, report) = run(&w, list, false).await;
    let streak = AlertStreakRepo::on(w.app.state.store.conn())
        .get(w.account, &subject)
        .await
        .expect("streak read")
        .expect("streak");
    assert!(
        streak.failing && streak.last_observed_id == Some(refused.clone()),
        "run {quiet} ({}) never asked the CRM: {streak:?}",
        report["status"]
    );

    // Once the password is entered again, the changes go out, and that run (the first
    // past the login) ends the streak.
    for (email, _) in &rows {
        w.edit_member(list, email, "Company", "Renamed Again Co")
            .await;
    }
    reconfirm(&w, "second password").await;
    let (back, report) = run(&w, list, false).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["counts"]["pushed_updated"], 3, "{report}");
    let streak = observed(&w, &subject, &back).await;
    assert!(!streak.failing, "{streak:?}");
}
