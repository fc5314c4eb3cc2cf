//! With the CRM down, submissions are still accepted and stored; delivery fails and
//! retries with backoff; once the CRM is back every submission is delivered exactly once,
//! and twenty submissions sharing one email make one lead. With a CRM slower than the
//! (account, email) lock's lease, the holder renews it, so no second delivery takes the
//! email and creates a second lead; a holder whose lock was taken stops before writing.

use std::{collections::BTreeMap, sync::Arc};

use crate::support::services::fast_services;
use crate::support::wait;
use crate::support::world::{World, crm_config, world_with};
use chrono::Utc;
use infor_crm_fake::{Fault, FaultConfig, FaultRule, Kind};
use listbridge::{
    app::Services,
    clock::TestClock,
    store::{JobStatus, entity::form_email_lock},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;

/// Waits until every job of the account has been tried once and is waiting to retry.
async fn wait_all_failed_once(w: &World, n: usize) {
    let jobs = wait::until("every job's first failure", async || {
        let jobs = w.jobs().await;
        let failed = jobs
            .iter()
            .filter(|j| j.status == JobStatus::Failed)
            .count();
        if jobs.len() == n && failed == n {
            Ok(jobs)
        } else {
            Err(format!(
                "{:?}",
                jobs.iter().map(|j| j.status).collect::<Vec<_>>()
            ))
        }
    })
    .await;
    assert!(jobs.iter().all(|j| j.attempts == 1), "one attempt each");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crm_outage_loses_nothing_and_duplicates_nothing() {
    // A pinned clock: failed deliveries wait for it to move before they retry.
    let clock = TestClock::new(Utc::now());
    let services = Services {
        clock: Arc::new(clock.clone()),
        ..fast_services()
    };
    let w = world_with(crm_config(2, 2), services).await;
    let (form_id, path) = w.create_contact_form("Outage").await;
    let leads_before = w.crm.state().count(Kind::Lead);

    // The CRM is down: every request gets 503 (in maintenance, back in two minutes).
    w.crm.state().set_faults(FaultConfig {
        rules: vec![FaultRule::always(Fault::Status {
            status: 503,
            retry_after: Some(120),
        })],
        ..FaultConfig::default()
    });
    w.crm.state().reset_stats();

    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for i in 0..100 {
        let email = if i % 5 == 0 {
            "shared@example.com".to_string()
        } else {
            format!("visitor{i}@example.com")
        };
        *expected.entry(email.clone()).or_default() += 1;
        let response = w
            .app
            .client
            .post(w.app.url(&path))
            .json(&json!({
                "email": email,
                "first_name": format!("First{i}"),
                "last_name": format!("Last{i}"),
                "company": "Outage Inc"
            }))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status().as_u16(), 202, "submission {i}");
        // Later submissions are later: the shared email's last values must win.
        clock.advance(chrono::Duration::milliseconds(1));
    }
    assert_eq!(expected["shared@example.com"], 20);

    wait_all_failed_once(&w, 100).await;
    let stats = w.crm.state().stats();
    assert!(stats.total > 0, "deliveries tried the CRM");
    assert_eq!(stats.record_writes, 0, "nothing was written while down");
    let subs = w.submissions(&form_id).await;
    assert_eq!(subs.len(), 100, "none lost");
    assert!(subs.iter().all(|s| s["status"] == "queued"));
    assert!(
        subs.iter().any(|s| s["error"]
            .as_str()
            .is_some_and(|e| e.contains("rate limiting")
                || e.contains("503")
                || e.contains("temporary"))),
        "the outage is recorded on the submissions"
    );

    // The CRM comes back; the retries become due.
    w.crm.state().clear_faults();
    clock.advance(chrono::Duration::hours(1));
    let subs = w.wait_all_delivered(&form_id, 100).await;

    let leads = w.crm.state().records(Kind::Lead);
    assert_eq!(
        leads.len(),
        leads_before + expected.len(),
        "one lead per email"
    );
    for email in expected.keys() {
        assert_eq!(w.leads_with_email(email), 1, "{email}");
    }
    let shared: Vec<_> = subs
        .iter()
        .filter(|s| s["email"] == "shared@example.com")
        .collect();
    assert_eq!(shared.len(), 20);
    assert_eq!(
        shared.iter().filter(|s| s["action"] == "created").count(),
        1,
        "the shared email created one lead; the others matched it"
    );
    let key = &shared[0]["crm"]["key"];
    assert!(shared.iter().all(|s| &s["crm"]["key"] == key));
    // Later submissions win: the shared lead has the last submission's first name.
    let lead = leads
        .iter()
        .find(|r| r.text("Email") == Some("shared@example.com"))
        .expect("shared lead");
    assert_eq!(lead.text("FirstName"), Some("First95"));
}

/// Fast workers whose email locks lapse after 600 ms unless renewed.
fn short_lease() -> Services {
    let mut services = fast_services();
    services.workers.email_lock_lease = chrono::Duration::milliseconds(600);
    services
}

async fn submit(w: &World, path: &str, email: &str, first_name: &str) {
    let response = w
        .app
        .client
        .post(w.app.url(path))
        .json(&json!({
            "email": email,
            "first_name": first_name,
            "last_name": "Slow",
            "company": "Slow Co"
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 202, "{email}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crm_slower_than_the_lock_lease_never_gets_a_second_lead() {
    let w = world_with(crm_config(1, 1), short_lease()).await;
    let (form_id, path) = w.create_contact_form("Slow CRM").await;
    // Creating a lead takes 2 s, over three leases: a waiting delivery of the same email
    // would take a lock that is not renewed, find no lead yet and create a second one.
    w.crm.state().set_faults(FaultConfig {
        rules: vec![
            FaultRule::always(Fault::Latency { ms: 2000 })
                .with_method("POST")
                .with_kind("leads"),
        ],
        ..FaultConfig::default()
    });
    w.crm.state().reset_stats();
    for i in 0..3 {
        submit(&w, &path, "slow@example.com", &format!("Slow{i}")).await;
    }

    let subs = w.wait_all_delivered(&form_id, 3).await;
    assert_eq!(
        subs.iter().filter(|s| s["action"] == "created").count(),
        1,
        "one create, then updates"
    );
    assert_eq!(w.leads_with_email("slow@example.com"), 1, "one lead");
    assert_eq!(w.crm.state().stats().kind_count("leads", "POST"), 1);
    let lead = w
        .crm
        .state()
        .records(Kind::Lead)
        .into_iter()
        .find(|r| r.text("Email") == Some("slow@example.com"))
        .expect("lead");
    assert_eq!(
        lead.text("FirstName"),
        Some("Slow2"),
        "the last submission wins"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_whose_lock_was_taken_stops_before_writing() {
    let w = world_with(crm_config(1, 1), short_lease()).await;
    let (form_id, path) = w.create_contact_form("Fenced").await;
    // Lookups take 1.5 s: time to take the lock away while the delivery looks.
    w.crm.state().set_faults(FaultConfig {
        rules: vec![FaultRule::always(Fault::Latency { ms: 1500 }).with_method("GET")],
        ..FaultConfig::default()
    });
    w.crm.state().reset_stats();
    submit(&w, &path, "fenced@example.com", "Fen").await;

    let db = w.app.state.store.conn();
    let lock = wait::until("a delivery taking the lock", async || {
        let rows = form_email_lock::Entity::find()
            .all(db)
            .await
            .expect("locks");
        rows.into_iter().next().ok_or_else(|| "no lock".to_string())
    })
    .await;
    // Another delivery takes the lock over (as it may once a lease lapsed).
    form_email_lock::Entity::update_many()
        .col_expr(form_email_lock::Column::Holder, Expr::value("intruder"))
        .col_expr(
            form_email_lock::Column::ExpiresAt,
            Expr::value(Utc::now() + chrono::Duration::hours(1)),
        )
        .filter(form_email_lock::Column::LockKey.eq(lock.lock_key.clone()))
        .exec(db)
        .await
        .expect("lock taken over");

    // The first delivery notices and stops, its job to be retried.
    let job = wait::until("the delivery stopping", async || {
        let jobs = w.jobs().await;
        let statuses = format!("{:?}", jobs.iter().map(|j| j.status).collect::<Vec<_>>());
        jobs.into_iter()
            .find(|j| j.status == JobStatus::Failed)
            .ok_or(statuses)
    })
    .await;
    let error = job.last_error.unwrap_or_default();
    assert!(error.contains("lost the delivery lock"), "{error}");
    assert_eq!(w.crm.state().stats().kind_count("leads", "POST"), 0);
    assert_eq!(w.crm.state().stats().record_writes, 0, "nothing written");
    assert_eq!(w.leads_with_email("fenced@example.com"), 0);
    let subs = w.submissions(&form_id).await;
    assert_eq!(subs[0]["status"], "queued");

    // The other delivery is done with the email; the retry delivers it once.
    form_email_lock::Entity::delete_many()
        .filter(form_email_lock::Column::LockKey.eq(lock.lock_key))
        .exec(db)
        .await
        .expect("lock released");
    w.crm.state().clear_faults();
    let subs = w.wait_delivered(&form_id, 1).await;
    assert_eq!(subs[0]["status"], "delivered", "{}", subs[0]);
    assert_eq!(subs[0]["action"], "created");
    assert_eq!(w.leads_with_email("fenced@example.com"), 1);
    assert_eq!(w.crm.state().stats().kind_count("leads", "POST"), 1);
}
