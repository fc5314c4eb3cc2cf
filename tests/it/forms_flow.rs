//! A real HTML form posts to `/f/{form_key}`: a new email creates a lead in the CRM, the
//! same email again updates it, an email that belongs to a contact updates the contact;
//! a CRM rejection is kept with the CRM's words and can be retried after a fix (a rule of
//! ours, and a business rule of the CRM itself); thank-you URLs are stored as they will
//! be redirected to.

use crate::support::forms::contact_form;
use crate::support::services::fast_services;
use crate::support::world::{World, crm_config, world_with};
use infor_crm_fake::Kind;
use listbridge::store::{JobStatus, entity::form};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;

use crate::support::json as read_json;

/// A static page as a marketer would publish it; `{action}` is the form's submit URL.
const PAGE: &str = r#"<!doctype html>
<html><body>
<form action="{action}" method="post">
  <input type="email" name="email" required>
  <input type="text" name="first_name">
  <input type="text" name="last_name">
  <input type="text" name="company">
  <input type="text" name="city">
  <select name="region"><option>North</option><option>South</option></select>
  <button type="submit">Send</button>
</form>
</body></html>"#;

/// What a browser reads from the page: the form's action and its field names.
fn parse_form(html: &str) -> (String, Vec<String>) {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(tag[start..end].to_string())
    };
    let form_tag = html
        .split('<')
        .find(|t| t.starts_with("form "))
        .expect("page has a form");
    let action = attr(form_tag, "action").expect("form has an action");
    let names = html
        .split('<')
        .filter(|t| t.starts_with("input ") || t.starts_with("select "))
        .filter_map(|t| attr(t, "name"))
        .collect();
    (action, names)
}

/// Submits the page's form with these values, as a browser does.
async fn submit_page(w: &World, page: &str, values: &[(&str, &str)]) -> reqwest::Response {
    let (action, names) = parse_form(page);
    let fields: Vec<(&str, &str)> = names
        .iter()
        .map(|n| {
            let value = values.iter().find(|(k, _)| k == n).map_or("", |(_, v)| *v);
            (n.as_str(), value)
        })
        .collect();
    let path = action.trim_start_matches(&w.app.base_url);
    w.post_form_data(path, &fields).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_form_creates_then_updates_a_lead_and_updates_a_contact() {
    let w = world_with(crm_config(3, 3), fast_services()).await;
    let form = w.create_form(&contact_form("Contact us")).await;
    let form_id = form["id"].as_str().expect("form id");
    let page = PAGE.replace(
        "{action}",
        &w.app
            .url(form["submit_path"].as_str().expect("submit path")),
    );

    // A new email: 303 to the thank-you page, then a lead in the CRM.
    let response = submit_page(
        &w,
        &page,
        &[
            ("email", " Ann.New@Example.com "),
            ("first_name", "Ann"),
            ("last_name", "New"),
            ("company", "Acme"),
            ("city", "Springfield"),
            ("region", "North"),
        ],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        "https://www.example.com/thanks"
    );
    let subs = w.wait_delivered(form_id, 1).await;
    assert_eq!(subs[0]["status"], "delivered", "{}", subs[0]);
    assert_eq!(subs[0]["action"], "created");
    assert_eq!(subs[0]["email"], "ann.new@example.com");
    let leads = w.leads_by_email("ann.new@example.com");
    assert_eq!(leads.len(), 1);
    let lead = &leads[0];
    assert_eq!(subs[0]["crm"]["key"], lead.key.as_str());
    assert_eq!(lead.text("FirstName"), Some("Ann"));
    assert_eq!(lead.text("Company"), Some("Acme"));
    assert_eq!(lead.text("Region"), Some("North"));

    // The same email again: the lead is updated (only update_fields), not duplicated.
    let response = submit_page(
        &w,
        &page,
        &[
            ("email", "ann.new@example.com"),
            ("first_name", "Annie"),
            ("last_name", "New"),
            ("company", "Other Co"),
            ("region", "South"),
        ],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    let subs = w.wait_delivered(form_id, 2).await;
    assert_eq!(subs[0]["action"], "updated", "{}", subs[0]);
    assert_eq!(subs[0]["crm"]["key"], lead.key.as_str());
    let leads = w.leads_by_email("ann.new@example.com");
    assert_eq!(leads.len(), 1, "no second lead");
    assert_eq!(leads[0].text("FirstName"), Some("Annie"));
    assert_eq!(leads[0].text("Region"), Some("South"));
    assert_eq!(
        leads[0].text("Company"),
        Some("Acme"),
        "Company is not in update_fields"
    );

    // An email that belongs to a contact: the contact is updated, no lead is created.
    let contact = w.crm.state().records(Kind::Contact).remove(0);
    let email = contact
        .text("Email")
        .expect("seeded contact has an email")
        .to_string();
    let leads_before = w.crm.state().count(Kind::Lead);
    let response = submit_page(
        &w,
        &page,
        &[("email", &email.to_uppercase()), ("first_name", "Connie")],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    let subs = w.wait_delivered(form_id, 3).await;
    assert_eq!(subs[0]["action"], "updated", "{}", subs[0]);
    assert_eq!(subs[0]["crm"]["entity"], "contact");
    assert_eq!(subs[0]["crm"]["key"], contact.key.as_str());
    let updated = w
        .crm
        .state()
        .record(Kind::Contact, &contact.key)
        .expect("contact still there");
    assert_eq!(updated.text("FirstName"), Some("Connie"));
    assert_eq!(w.crm.state().count(Kind::Lead), leads_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_submissions_get_202_and_a_form_without_thank_you_url_a_page() {
    let w = world_with(crm_config(1, 1), fast_services()).await;
    let mut body = contact_form("No redirect");
    body["thank_you_url"] = json!(null);
    let form = w.create_form(&body).await;
    let path = form["submit_path"].as_str().expect("submit path");

    let response = w
        .post_form_data(
            path,
            &[
                ("email", "page@example.com"),
                ("last_name", "P"),
                ("company", "C"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("text/html"))
    );
    assert!(response.text().await.expect("body").contains("Thank you"));

    let (status, receipt) = read_json(
        w.app
            .client
            .post(w.app.url(path))
            .json(&json!({ "email": "json@example.com", "last_name": "J", "company": "C" }))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(status, 202, "{receipt}");
    assert_eq!(receipt["status"], "queued");
    let id = receipt["submission_id"].as_str().expect("id").to_string();
    let subs = w.wait_delivered(form["id"].as_str().expect("id"), 2).await;
    let mine = subs
        .iter()
        .find(|s| s["id"] == id.as_str())
        .expect("listed");
    assert_eq!(mine["action"], "created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_is_kept_with_the_crm_reason_and_retried_after_a_fix() {
    let w = world_with(crm_config(1, 1), fast_services()).await;
    // No company field: a new lead lacks the CRM's mandatory Company.
    let mut body = json!({
        "name": "Short form",
        "fields": [
            { "name": "email", "usage": "email" },
            { "name": "last_name", "usage": "last_name" }
        ],
        "keep_unknown_fields": true
    });
    let form = w.create_form(&body).await;
    let form_id = form["id"].as_str().expect("id").to_string();
    let path = form["submit_path"].as_str().expect("path").to_string();
    let response = w
        .post_form_data(
            &path,
            &[
                ("email", "nocompany@example.com"),
                ("last_name", "Lee"),
                ("org", "Lee Ltd"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let subs = w.wait_delivered(&form_id, 1).await;
    assert_eq!(subs[0]["status"], "rejected", "{}", subs[0]);
    let error = subs[0]["error"].as_str().expect("error kept");
    assert!(error.contains("Company"), "{error}");
    assert_eq!(subs[0]["fields"]["org"], "Lee Ltd", "unknown field kept");
    assert_eq!(w.leads_by_email("nocompany@example.com").len(), 0);

    // A retry before the fix is allowed and fails the same way; fix the form, retry.
    body["fields"]
        .as_array_mut()
        .expect("fields")
        .push(json!({ "name": "org", "usage": "company" }));
    let response = w
        .app
        .client
        .put(w.app.url(&format!("/v1/forms/{form_id}")))
        .bearer_auth(&w.key)
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    let sid = subs[0]["id"].as_str().expect("id");
    let retry = format!("/v1/forms/{form_id}/submissions/{sid}/retry");
    let (status, again) = w.post(&retry, &json!({})).await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again["status"], "queued");
    let subs = w.wait_delivered(&form_id, 1).await;
    assert_eq!(subs[0]["status"], "delivered", "{}", subs[0]);
    assert_eq!(subs[0]["action"], "created");
    let leads = w.leads_by_email("nocompany@example.com");
    assert_eq!(leads.len(), 1);
    assert_eq!(leads[0].text("Company"), Some("Lee Ltd"));

    // A delivered submission is not retried.
    let (status, body) = w.post(&retry, &json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "not_retryable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_with_unmapped_address_fields_is_refused_with_their_names() {
    let w = world_with(crm_config(1, 1), fast_services()).await;
    let body = json!({
        "name": "Address form",
        "fields": [
            { "name": "email", "usage": "email" },
            { "name": "City" },
            { "name": "zip_code" },
            { "name": "Street", "usage": "business_street" },
            { "name": "comment" }
        ]
    });
    let (status, problem) = w.post("/v1/forms", &body).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["error"], "unmapped_address_fields");
    assert_eq!(problem["details"]["names"], json!(["City", "zip_code"]));
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|m| m.contains("'City'") && m.contains("'zip_code'")),
        "{problem}"
    );

    // Mapping them in Standard Field Names is enough.
    w.set_usage("City", "business_city").await;
    w.set_usage("zip_code", "business_postal_code").await;
    let (status, form) = w.post("/v1/forms", &body).await;
    assert_eq!(status, 201, "{form}");
    let (status, list) = w.get("/v1/forms").await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    // Another account sees neither the form nor its submissions.
    let other = w.app.create_account("other").await;
    let id = form["id"].as_str().expect("id");
    let (status, _) = read_json(w.app.get(&format!("/v1/forms/{id}"), &other).await).await;
    assert_eq!(status, 404);
    let (status, _) = read_json(
        w.app
            .get(&format!("/v1/forms/{id}/submissions"), &other)
            .await,
    )
    .await;
    assert_eq!(status, 404);
    let (_, list) = read_json(w.app.get("/v1/forms", &other).await).await;
    assert_eq!(list, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_submissions_is_stored_whole_in_few_commits() {
    let w = world_with(crm_config(0, 0), fast_services()).await;
    let (form_id, path) = w.create_contact_form("Burst").await;
    let commits_before = w.app.state.intake_writer.commits();
    let posts = (0..300).map(|i| {
        let request = w.app.client.post(w.app.url(&path)).json(&json!({
            "email": format!("burst{i}@example.com"),
            "first_name": format!("B{i}"),
            "last_name": "Burst",
            "company": "Burst Co"
        }));
        async move { request.send().await.expect("sent").status().as_u16() }
    });
    let statuses = futures::future::join_all(posts).await;
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    let commits = w.app.state.intake_writer.commits() - commits_before;
    assert!(
        commits < 300,
        "concurrent submissions share commits: {commits} for 300"
    );
    let stored = w.submissions(&form_id).await;
    assert_eq!(stored.len(), 300, "every accepted submission is stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_the_crm_itself_refuses_stays_rejected_until_retried_after_the_fix() {
    let w = world_with(crm_config(1, 1), fast_services()).await;
    let (form_id, path) = w.create_contact_form("Blocked").await;
    // A business rule of the customer's CRM: valid SData, refused all the same.
    w.crm_refuses_company(
        "Blocked Co",
        "Company Blocked Co is on the do-not-trade list",
    );
    w.crm.state().reset_stats();
    let response = w
        .post_form_data(
            &path,
            &[
                ("email", "blocked@example.com"),
                ("last_name", "Block"),
                ("company", "Blocked Co"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);

    let subs = w.wait_delivered(&form_id, 1).await;
    assert_eq!(subs[0]["status"], "rejected", "{}", subs[0]);
    let error = subs[0]["error"].as_str().expect("the CRM's reason is kept");
    assert!(
        error.contains("Company Blocked Co is on the do-not-trade list"),
        "{error}"
    );
    assert!(subs[0]["crm"].is_null(), "{}", subs[0]);
    assert_eq!(w.leads_by_email("blocked@example.com").len(), 0);
    assert_eq!(w.crm.state().stats().kind_count("leads", "POST"), 1);
    // Not retried automatically: its job ends done, not waiting for another attempt.
    // (The submission's outcome is committed before the job is marked finished, so
    // the job may still show `running` for a moment.)
    let jobs = crate::support::wait::until("the delivery job to finish", async || {
        let jobs = w.jobs().await;
        match jobs.as_slice() {
            [job] if job.status != JobStatus::Running => Ok(jobs),
            _ => Err(format!("{jobs:?}")),
        }
    })
    .await;
    assert_eq!(jobs[0].status, JobStatus::Succeeded, "{jobs:?}");
    assert_eq!(jobs[0].attempts, 1);

    // The CRM's administrator lifts the rule; one retry delivers it, once.
    w.crm.state().clear_write_rules();
    let sid = subs[0]["id"].as_str().expect("id");
    let retry = format!("/v1/forms/{form_id}/submissions/{sid}/retry");
    let (status, again) = w.post(&retry, &json!({})).await;
    assert_eq!(status, 202, "{again}");
    let subs = w.wait_delivered(&form_id, 1).await;
    assert_eq!(subs[0]["status"], "delivered", "{}", subs[0]);
    assert_eq!(subs[0]["action"], "created");
    assert!(subs[0]["error"].is_null(), "{}", subs[0]);
    let leads = w.leads_by_email("blocked@example.com");
    assert_eq!(leads.len(), 1, "one lead");
    assert_eq!(subs[0]["crm"]["key"], leads[0].key.as_str());
    assert_eq!(leads[0].text("Company"), Some("Blocked Co"));
    assert_eq!(w.crm.state().stats().kind_count("leads", "POST"), 2);
    let (status, _) = w.post(&retry, &json!({})).await;
    assert_eq!(status, 409, "a delivered submission is not sent again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thank_you_urls_are_stored_as_they_are_redirected_to() {
    let w = world_with(crm_config(1, 1), fast_services()).await;
    // Pasted with a tab and a line break: the URL parser drops them (as browsers do),
    // and the form keeps what it made of the URL.
    let mut body = contact_form("Pasted URL");
    body["thank_you_url"] = json!("https://www.Example.com/thank\tyou\n?src=web form");
    let form = w.create_form(&body).await;
    let normal = "https://www.example.com/thankyou?src=web%20form";
    assert_eq!(form["thank_you_url"], normal);
    let form_id = form["id"].as_str().expect("id").to_string();
    let path = form["submit_path"].as_str().expect("path").to_string();
    let response = w
        .post_form_data(&path, &[("email", "tab@example.com"), ("company", "C")])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], normal);

    // A form saved before URLs were normalised still redirects (no 500 after the
    // submission was stored).
    form::Entity::update_many()
        .col_expr(
            form::Column::ThankYouUrl,
            Expr::value("https://www.example.com/old\npage"),
        )
        .filter(form::Column::Id.eq(form_id.clone()))
        .exec(w.app.state.store.conn())
        .await
        .expect("raw update");
    // Changed beside the forms service, which would have dropped the intake's copy of
    // the form read a moment ago: drop it as the service does rather than wait a second.
    w.app
        .state
        .intake_cache
        .forget_form(listbridge::store::FormId::from_db(&form_id).expect("form id"));
    let response = w
        .post_form_data(&path, &[("email", "old@example.com"), ("company", "C")])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        "https://www.example.com/oldpage"
    );
    assert_eq!(w.wait_delivered(&form_id, 2).await.len(), 2);

    // What is no http(s) URL at all is refused, naming the field.
    body["thank_you_url"] = json!("javascript:alert(1)");
    let (status, problem) = w.post("/v1/forms", &body).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["error"], "invalid_thank_you_url");
    assert_eq!(problem["details"]["names"], json!(["thank_you_url"]));
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|m| m.contains("thank_you_url")),
        "{problem}"
    );
}
