//! Bad submissions get a clear status and message, are not stored, and nothing reaches
//! the CRM: no email, invalid email, oversize body, oversize field, unknown form key,
//! wrong content type, malformed JSON, and floods beyond the rate limits.

use crate::support::console::no_redirect_client;
use crate::support::forms::contact_form;
use crate::support::services::fast_services;
use crate::support::world::{World, crm_config, world_with};
use listbridge::{
    app::Services,
    forms::{IntakeLimits, RateQuota},
};
use serde_json::{Value, json};

use crate::support::assert_problem;

async fn post_raw(w: &World, path: &str, content_type: &str, body: Vec<u8>) -> reqwest::Response {
    no_redirect_client()
        .post(w.app.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request sent")
}

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_are_refused_clearly_and_nothing_reaches_the_crm() {
    let w = world_with(crm_config(1, 1), fast_services()).await;
    let (form_id, path) = w.create_contact_form("Strict").await;
    w.crm.state().reset_stats();

    let body = assert_problem(
        post_raw(&w, &path, FORM, b"first_name=Ann&last_name=Lee".to_vec()).await,
        422,
        "email_required",
    )
    .await;
    assert_eq!(body["details"]["field"], "email");

    let body = assert_problem(
        post_raw(
            &w,
            &path,
            FORM,
            b"email=ann%40localhost&first_name=Ann".to_vec(),
        )
        .await,
        422,
        "invalid_email",
    )
    .await;
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("ann@localhost")),
        "{body}"
    );

    let big = format!("email=a%40example.com&comment={}", "x".repeat(70 * 1024));
    assert_problem(
        post_raw(&w, &path, FORM, big.into_bytes()).await,
        413,
        "payload_too_large",
    )
    .await;

    let long_field = format!("email=a%40example.com&first_name={}", "y".repeat(5000));
    let body = assert_problem(
        post_raw(&w, &path, FORM, long_field.into_bytes()).await,
        422,
        "field_too_long",
    )
    .await;
    assert_eq!(body["details"]["field"], "first_name");

    let many: Vec<String> = (0..70).map(|i| format!("f{i}=v")).collect();
    let many = format!("email=a%40example.com&{}", many.join("&"));
    assert_problem(
        post_raw(&w, &path, FORM, many.into_bytes()).await,
        422,
        "too_many_fields",
    )
    .await;

    assert_problem(
        post_raw(
            &w,
            "/f/0000000000000000nonexistent",
            FORM,
            b"email=a%40example.com".to_vec(),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    let body = assert_problem(
        post_raw(&w, &path, "text/plain", b"email=a@example.com".to_vec()).await,
        415,
        "unsupported_media_type",
    )
    .await;
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("application/x-www-form-urlencoded")),
        "{body}"
    );
    assert_problem(
        post_raw(
            &w,
            &path,
            "multipart/form-data; boundary=x",
            b"--x--".to_vec(),
        )
        .await,
        415,
        "unsupported_media_type",
    )
    .await;

    assert_problem(
        post_raw(&w, &path, "application/json", b"{\"email\": ".to_vec()).await,
        400,
        "invalid_body",
    )
    .await;
    assert_problem(
        post_raw(
            &w,
            &path,
            "application/json",
            br#"{"email": {"a": 1}}"#.to_vec(),
        )
        .await,
        422,
        "invalid_value",
    )
    .await;

    // Nothing was stored, queued or sent.
    assert!(w.submissions(&form_id).await.is_empty());
    let jobs = w.jobs().await;
    assert!(jobs.is_empty(), "{jobs:?}");
    assert_eq!(w.crm.state().stats().total, 0, "no CRM request");
}

fn limited(per_client: u32, per_form: u32) -> Services {
    Services {
        form_intake: IntakeLimits {
            per_client: RateQuota {
                per_minute: per_client,
                burst: per_client,
            },
            per_form: RateQuota {
                per_minute: per_form,
                burst: per_form,
            },
            ..IntakeLimits::default()
        },
        ..fast_services()
    }
}

async fn flood(w: &World, path: &str, n: usize) -> (usize, Vec<reqwest::Response>) {
    let mut accepted = 0;
    let mut refused = Vec::new();
    for i in 0..n {
        let response = w
            .post_form_data(path, &[("email", &format!("flood{i}@example.com"))])
            .await;
        match response.status().as_u16() {
            303 | 200 => accepted += 1,
            429 => refused.push(response),
            other => panic!("unexpected status {other}"),
        }
    }
    (accepted, refused)
}

async fn assert_rate_limited(response: reqwest::Response, what: &str) {
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = assert_problem(response, 429, "rate_limited").await;
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains(what)),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_is_rate_limited() {
    let w = world_with(crm_config(1, 1), limited(5, 1000)).await;
    let form = w.create_form(&contact_form("Flooded")).await;
    let path = form["submit_path"].as_str().expect("path").to_string();
    w.crm.state().reset_stats();
    let (accepted, mut refused) = flood(&w, &path, 12).await;
    assert_eq!(accepted, 5, "the burst is accepted");
    assert_eq!(refused.len(), 7);
    assert_rate_limited(refused.remove(0), "from this address").await;
    let subs = w.wait_delivered(form["id"].as_str().expect("id"), 5).await;
    assert_eq!(subs.len(), 5, "only accepted submissions are stored");
    assert_only_accepted_reached_the_crm(&w, accepted as u64);
}

/// The CRM saw the deliveries of the accepted submissions (one lookup by email each in
/// contacts and in leads; these forms create nothing without a company) and nothing at
/// all of the refused ones.
fn assert_only_accepted_reached_the_crm(w: &World, accepted: u64) {
    let stats = w.crm.state().stats();
    assert_eq!(stats.kind_count("contacts", "GET"), accepted, "{stats:?}");
    assert_eq!(stats.kind_count("leads", "GET"), accepted, "{stats:?}");
    assert_eq!(stats.record_writes, 0, "{stats:?}");
    assert_eq!(stats.kind_count("leads", "POST"), 0, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_to_one_form_is_rate_limited_without_blocking_other_forms() {
    let w = world_with(crm_config(1, 1), limited(1000, 4)).await;
    let a = w.create_form(&contact_form("Form A")).await;
    let b = w
        .create_form(&json!({
            "name": "Form B",
            "fields": [{ "name": "email", "usage": "email" }],
            "create_new_leads": false
        }))
        .await;
    let path_a = a["submit_path"].as_str().expect("path").to_string();
    w.crm.state().reset_stats();
    let (accepted, mut refused) = flood(&w, &path_a, 9).await;
    assert_eq!((accepted, refused.len()), (4, 5));
    assert_rate_limited(refused.remove(0), "to this form").await;
    let path_b = b["submit_path"].as_str().expect("path").to_string();
    let (accepted, refused) = flood(&w, &path_b, 2).await;
    assert_eq!(
        (accepted, refused.len()),
        (2, 0),
        "another form is not limited"
    );
    assert_eq!(
        w.wait_delivered(a["id"].as_str().expect("id"), 4)
            .await
            .len(),
        4
    );
    assert_eq!(
        w.wait_delivered(b["id"].as_str().expect("id"), 2)
            .await
            .len(),
        2
    );
    assert_only_accepted_reached_the_crm(&w, 4 + 2);
}
