//! Helpers for form and note tests: fast workers, forms through the API, posting as a
//! browser would, and polling submissions and note outcomes with a deadline.

#![allow(dead_code)] // Each test binary uses a different part.

use std::time::Duration;

use listbridge::{
    app::Services,
    forms::{IntakeLimits, RateQuota},
    jobs::WorkerConfig,
};
use serde_json::{Value, json};

use crate::{common::json as read_json, sync_support::World};

/// Services with workers that poll every 20 ms and intake limits high enough for bulk
/// tests (rate-limit tests lower them).
pub fn fast_services() -> Services {
    Services {
        workers: WorkerConfig {
            workers: 4,
            poll: Duration::from_millis(20),
            ..WorkerConfig::default()
        },
        form_intake: IntakeLimits {
            per_client: RateQuota {
                per_minute: 100_000,
                burst: 10_000,
            },
            per_form: RateQuota {
                per_minute: 100_000,
                burst: 10_000,
            },
            ..IntakeLimits::default()
        },
        ..Services::default()
    }
}

/// The fields of a typical "contact us" form.
pub fn contact_form(name: &str) -> Value {
    json!({
        "name": name,
        "fields": [
            { "name": "email", "usage": "email" },
            { "name": "first_name", "usage": "first_name" },
            { "name": "last_name", "usage": "last_name" },
            { "name": "company", "usage": "company" },
            { "name": "city", "usage": "business_city" },
            { "name": "region", "crm_field": "Region" }
        ],
        "update_fields": ["FirstName", "Region"],
        "thank_you_url": "https://www.example.com/thanks"
    })
}

impl World {
    /// Creates a form through the API; panics unless it is saved.
    pub async fn create_form(&self, body: &Value) -> Value {
        let (status, form) = read_json(self.app.post("/v1/forms", &self.key, body).await).await;
        assert_eq!(status, 201, "{form}");
        form
    }

    /// Posts form data to a public form path as a browser would (no redirects followed).
    pub async fn post_form_data(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        no_redirect_client()
            .post(self.app.url(path))
            .form(fields)
            .send()
            .await
            .expect("request sent")
    }

    /// All submissions of a form (newest first).
    pub async fn submissions(&self, form_id: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let path = match &before {
                Some(b) => format!("/v1/forms/{form_id}/submissions?limit=500&before={b}"),
                None => format!("/v1/forms/{form_id}/submissions?limit=500"),
            };
            let (status, page) = read_json(self.app.get(&path, &self.key).await).await;
            assert_eq!(status, 200, "{page}");
            out.extend(page["submissions"].as_array().cloned().unwrap_or_default());
            match page["next_before"].as_str() {
                Some(next) => before = Some(next.to_string()),
                None => return out,
            }
        }
    }

    /// Polls until a form has `n` submissions and none is queued; returns them.
    pub async fn wait_delivered(&self, form_id: &str, n: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        loop {
            let all = self.submissions(form_id).await;
            if all.len() >= n && all.iter().all(|s| s["status"] != "queued") {
                return all;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "submissions not delivered in time: {:?}",
                all.iter()
                    .map(|s| (&s["email"], &s["status"], &s["error"]))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls a campaign's note outcomes until nothing is pending or sending.
    pub async fn wait_notes(&self, campaign: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        loop {
            let (status, body) = read_json(
                self.app
                    .get(&format!("/v1/messages/{campaign}/notes?limit=1"), &self.key)
                    .await,
            )
            .await;
            assert_eq!(status, 200, "{body}");
            let counts = &body["counts"];
            if counts["pending"] == 0 && counts["sending"] == 0 {
                return counts.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "notes not delivered in time: {counts}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A client that shows redirects instead of following them.
pub fn no_redirect_client() -> reqwest::Client {
    crate::common::install_tls_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}
