//! Helpers for form and note tests: forms through the API, posting as a
//! browser would, and waiting for submissions and note outcomes.

use serde_json::{Value, json};

use crate::support::{console::no_redirect_client, wait, world::World};

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
        let (status, form) = self.post("/v1/forms", body).await;
        assert_eq!(status, 201, "{form}");
        form
    }

    /// Creates a [`contact_form`] named `name`; returns its id and public submit path.
    pub async fn create_contact_form(&self, name: &str) -> (String, String) {
        let form = self.create_form(&contact_form(name)).await;
        let id = form["id"].as_str().expect("form id").to_string();
        let path = form["submit_path"]
            .as_str()
            .expect("submit path")
            .to_string();
        (id, path)
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
            let (status, page) = self.get(&path).await;
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
        wait::until("the submissions' delivery", async || {
            let all = self.submissions(form_id).await;
            if all.len() >= n && all.iter().all(|s| s["status"] != "queued") {
                return Ok(all);
            }
            let seen: Vec<_> = all
                .iter()
                .map(|s| (&s["email"], &s["status"], &s["error"]))
                .collect();
            Err(format!("{seen:?}"))
        })
        .await
    }

    /// [`World::wait_delivered`], and every submission must have been delivered.
    pub async fn wait_all_delivered(&self, form_id: &str, n: usize) -> Vec<Value> {
        let all = self.wait_delivered(form_id, n).await;
        let undelivered: Vec<_> = all
            .iter()
            .filter(|s| s["status"] != "delivered")
            .map(|s| (&s["email"], &s["status"], &s["error"]))
            .collect();
        assert!(undelivered.is_empty(), "not delivered: {undelivered:?}");
        all
    }

    /// Polls a campaign's note outcomes until nothing is pending or sending.
    pub async fn wait_notes(&self, campaign: &str) -> Value {
        wait::until("the notes' delivery", async || {
            let (status, body) = self
                .get(&format!("/v1/messages/{campaign}/notes?limit=1"))
                .await;
            assert_eq!(status, 200, "{body}");
            let counts = &body["counts"];
            if counts["pending"] == 0 && counts["sending"] == 0 {
                Ok(counts.clone())
            } else {
                Err(counts.to_string())
            }
        })
        .await
    }
}
