//! `/metrics`: after an import and form posts the run, CRM request and form series show
//! non-zero values, and nothing personal or account-specific appears in the scrape; the
//! optional `metrics_token` guards it; `metrics_bind` moves it off the main port.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use listbridge::clock::TestClock;
use secrecy::SecretString;

use crate::support::{
    assert_problem,
    forms::contact_form,
    metrics::{free_loopback_addr, positive, sample, scrape},
    services::{api_only, fast_services},
    spawn_app_configured,
    world::{crm_config, world_with},
};

/// The token the guarded tests set (at least 16 characters, as the setting asks).
const TOKEN: &str = "metrics-token-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_and_form_posts_show_in_the_series_without_emails_or_account_ids() {
    let w = world_with(crm_config(30, 0), fast_services()).await;
    let list = w.imported_list("lead", &["Email"]).await;
    let mut body = contact_form("Metrics form");
    body["thank_you_url"] = serde_json::json!(null);
    let form = w.create_form(&body).await;
    let form_id = form["id"].as_str().expect("form id");
    let path = form["submit_path"].as_str().expect("submit path");
    let accepted = w
        .post_form_data(
            path,
            &[
                ("email", "visitor@example.com"),
                ("last_name", "Visitor"),
                ("company", "Example"),
            ],
        )
        .await;
    assert_eq!(accepted.status().as_u16(), 200, "thank-you page");
    let refused = w.post_form_data(path, &[("email", "not an email")]).await;
    assert_eq!(refused.status().as_u16(), 422);
    w.wait_all_delivered(form_id, 1).await;

    let response = w
        .app
        .client
        .get(w.app.url("/metrics"))
        .send()
        .await
        .expect("scrape sent");
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.expect("scrape body");

    let import = ["kind=\"import\"", "trigger=\"manual\""];
    positive(&text, "listbridge_runs_started_total", &import);
    positive(
        &text,
        "listbridge_runs_finished_total",
        &["kind=\"import\"", "outcome=\"succeeded\""],
    );
    let read = positive(
        &text,
        "listbridge_run_records_total",
        &["kind=\"import\"", "outcome=\"read\""],
    );
    assert!(read >= 30.0, "30 leads read, counted {read}");
    let crm = [
        "connector=\"infor-crm\"",
        "method=\"GET\"",
        "status=\"200\"",
    ];
    positive(&text, "listbridge_crm_requests_total", &crm);
    positive(&text, "listbridge_crm_request_duration_seconds_count", &crm);
    positive(
        &text,
        "listbridge_crm_request_duration_seconds_bucket",
        &["connector=\"infor-crm\"", "le=\"+Inf\""],
    );
    positive(
        &text,
        "listbridge_crm_rate_limit_wait_seconds_count",
        &["connector=\"infor-crm\""],
    );
    // The series is process-wide: under `cargo test` other tests' posts count too.
    positive(&text, "listbridge_form_submissions_accepted_total", &[]);
    positive(
        &text,
        "listbridge_form_submissions_refused_total",
        &["reason=\"invalid_fields\""],
    );
    for kind in ["run", "form_delivery", "note_delivery"] {
        let label = format!("kind=\"{kind}\"");
        assert_eq!(
            sample(&text, "listbridge_jobs_waiting", &[&label]),
            Some(0.0),
            "{text}"
        );
        assert!(
            sample(
                &text,
                "listbridge_jobs_oldest_waiting_age_seconds",
                &[&label]
            )
            .is_some(),
            "{text}"
        );
    }
    positive(&text, "process_resident_memory_bytes", &[]);
    positive(&text, "process_start_time_seconds", &[]);

    let (status, list_body) = w.get(&format!("/v1/lists/{list}")).await;
    assert_eq!(status, 200, "{list_body}");
    let list_name = list_body["name"].as_str().expect("list name");
    for private in [
        "@",
        &w.account.to_string(),
        &w.connector.to_string(),
        &list.to_string(),
        list_name,
        form_id,
    ] {
        assert!(
            !text.contains(private),
            "the scrape shows {private:?}:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_metrics_token_a_scrape_without_it_or_with_another_gets_401() {
    let app = spawn_app_configured(fast_services(), |config| {
        config.metrics_token = Some(SecretString::from(TOKEN.to_string()));
    })
    .await;
    let key = app.create_account("acme").await;
    let metrics = app.url("/metrics");

    let missing = app.client.get(&metrics).send().await.expect("sent");
    assert_eq!(
        missing
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    assert_problem(missing, 401, "unauthorized").await;
    for wrong in ["metrics-token-0123456780", key.as_str(), ""] {
        let response = app
            .client
            .get(&metrics)
            .bearer_auth(wrong)
            .send()
            .await
            .expect("sent");
        assert_problem(response, 401, "unauthorized").await;
    }
    let (status, text) = scrape(&app.base_url, Some(TOKEN)).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("listbridge_jobs_waiting"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_metrics_bind_the_scrape_is_served_there_and_not_on_the_main_port() {
    let addr = free_loopback_addr();
    let app = spawn_app_configured(fast_services(), |config| {
        config.metrics_bind = Some(addr);
    })
    .await;
    let (status, text) = scrape(&format!("http://{addr}"), None).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("listbridge_jobs_waiting"), "{text}");
    let (status, _) = scrape(&app.base_url, None).await;
    assert_eq!(status, 404, "not on the main port");
    let (status, _) = scrape(&format!("http://{addr}"), None).await;
    assert_eq!(status, 200, "still served after a scrape");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_gauges_count_waiting_jobs_and_the_oldest_ones_age_by_kind() {
    let start = Utc
        .with_ymd_and_hms(2025, 6, 1, 12, 0, 0)
        .single()
        .expect("a valid instant");
    let clock = TestClock::new(start);
    let mut services = api_only();
    services.clock = Arc::new(clock.clone());
    let w = world_with(crm_config(3, 0), services).await;
    let (_, path) = w.create_contact_form("Queued").await;
    for email in ["first@example.com", "second@example.com"] {
        let response = w
            .post_form_data(
                &path,
                &[("email", email), ("last_name", "Q"), ("company", "C")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303);
    }
    clock.advance(Duration::seconds(90));

    let (status, text) = scrape(&w.app.base_url, None).await;
    assert_eq!(status, 200, "{text}");
    let deliveries = ["kind=\"form_delivery\""];
    assert_eq!(
        sample(&text, "listbridge_jobs_waiting", &deliveries),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "listbridge_jobs_oldest_waiting_age_seconds",
            &deliveries
        ),
        Some(90.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "listbridge_jobs_waiting", &["kind=\"run\""]),
        Some(0.0),
        "{text}"
    );
}
