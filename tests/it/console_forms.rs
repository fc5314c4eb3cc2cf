//! The console's Forms pages over plain HTTP, against the fake Infor CRM: building a
//! form (and its refusals beside their controls), the hosted page a visitor fills in
//! (hidden fields from the URL, the honeypot, errors beside fields), submissions
//! delivered as created then updated, a CRM rejection retried, the CSV download, and
//! another account's form. Every address a test reaches is loopback.

use crate::support::console::{Console, Page, no_redirect_client, read};
use crate::support::services::fast_services;
use crate::support::world::{World, crm_config, world_with};
use listbridge::store::Role;

/// The builder rows of the journey's form: first name, last name, email, company and
/// a hidden `campaign`.
fn spring_form(name: &str) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, String)> = vec![
        ("name", name.to_string()),
        ("title", "Spring <offer>".into()),
        ("intro", "Tell us who you are & we call you.".into()),
        ("thank_you_message", "Thanks, we will call you soon.".into()),
        ("create_new_leads", "yes".into()),
        ("update_fields", "Company".into()),
        ("action", "save".into()),
    ];
    let rows: [(&str, &str, &str, &str, &str); 5] = [
        ("First name", "first_name", "text", "usage:first_name", ""),
        ("Last name", "last_name", "text", "usage:last_name", "yes"),
        ("Email", "email", "email", "usage:email", "yes"),
        ("Company", "company", "text", "usage:company", ""),
        ("", "campaign", "hidden", "", ""),
    ];
    const KEYS: [[&str; 5]; 5] = [
        ["f0_label", "f0_name", "f0_type", "f0_map", "f0_required"],
        ["f1_label", "f1_name", "f1_type", "f1_map", "f1_required"],
        ["f2_label", "f2_name", "f2_type", "f2_map", "f2_required"],
        ["f3_label", "f3_name", "f3_type", "f3_map", "f3_required"],
        ["f4_label", "f4_name", "f4_type", "f4_map", "f4_required"],
    ];
    for (row, keys) in rows.iter().zip(KEYS) {
        let values = [row.0, row.1, row.2, row.3, row.4];
        for (k, v) in keys.iter().zip(values) {
            if !v.is_empty() {
                fields.push((k, v.to_string()));
            }
        }
    }
    fields
}

async fn post(console: &Console, path: &str, fields: &[(&'static str, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    console.post(path, &pairs).await
}

async fn signed_in(w: &World) -> Console {
    w.app
        .signed_in("acme", "mia@acme.example", Role::Marketer)
        .await
}

/// Posts form data to the hosted page's action as a browser does.
async fn submit(
    w: &World,
    path: &str,
    fields: &[(&str, &str)],
) -> (Page, reqwest::header::HeaderMap) {
    let response = no_redirect_client()
        .post(w.app.url(path))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .form(fields)
        .send()
        .await
        .expect("sent");
    let headers = response.headers().clone();
    (read(response).await, headers)
}

fn form_id_of(page: &Page) -> String {
    let location = page.location.as_deref().expect("redirected to the form");
    location
        .trim_start_matches("/forms/")
        .split('?')
        .next()
        .expect("id")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_built_in_the_console_collects_leads_through_its_hosted_page() {
    let w = world_with(crm_config(1, 1), fast_services()).await;
    let console = signed_in(&w).await;

    let new = console.get("/forms/new").await;
    assert_eq!(new.status, 200, "{}", new.body);
    assert!(
        new.body
            .contains("Update these fields on an existing lead or contact")
    );
    assert!(
        new.body.contains("value=\"crm:Company\""),
        "CRM fields offered"
    );

    // Refused: an address field without a mapping, shown beside its row, values kept.
    let mut bad = spring_form("Spring typo");
    bad.push(("f5_label", "City".into()));
    let page = post(&console, "/forms", &bad).await;
    assert_eq!(page.status, 422, "{}", page.body);
    let message = page
        .message("f5-error")
        .expect("the message is beside the City row");
    assert!(
        message.contains("'city'") && message.contains("not mapped"),
        "{message}"
    );
    assert!(
        page.body.contains("value=\"Spring typo\""),
        "the name is kept"
    );
    assert!(
        page.body.contains("Tell us who you are &#38; we call you.")
            || page.body.contains("Tell us who you are &amp; we call you."),
        "the intro is kept"
    );
    assert!(
        page.body
            .contains("id=\"f5_map\" name=\"f5_map\" aria-invalid=\"true\"")
    );

    // Refused: a CRM field the CRM maintains itself.
    let mut bad = spring_form("Spring typo");
    bad.push(("f5_name", "created".into()));
    bad.push(("f5_map", "crm:CreateDate".into()));
    let page = post(&console, "/forms", &bad).await;
    assert_eq!(page.status, 422, "{}", page.body);
    let message = page
        .message("f5-error")
        .expect("the message is beside the row");
    assert!(
        message.contains("'CreateDate'") && message.contains("maintains"),
        "{message}"
    );
    assert!(
        page.body.contains("value=\"crm:CreateDate\" selected"),
        "the choice is kept"
    );

    // Saved.
    let saved = post(&console, "/forms", &spring_form("Spring")).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let form_id = form_id_of(&saved);
    let shown = console.get(&format!("/forms/{form_id}?done=created")).await;
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("The form is saved."));
    assert!(shown.body.contains("id=\"embed-snippet\""));
    let snippet_at = shown.body.find("id=\"embed-snippet\"").expect("snippet");
    assert!(
        shown.body[snippet_at..].contains("&#60;form method="),
        "the snippet is shown as text: {}",
        &shown.body[snippet_at..snippet_at + 300]
    );
    let (_, api_form) =
        crate::support::json(w.app.get(&format!("/v1/forms/{form_id}"), &w.key).await).await;
    let path = api_form["submit_path"].as_str().expect("path").to_string();
    assert_eq!(api_form["title"], "Spring <offer>");
    assert_eq!(api_form["fields"][4]["type"], "hidden");
    let list = console.get("/forms").await;
    assert!(list.body.contains("Spring") && list.body.contains(&path));

    // The hosted page: labels, required marks, the hidden field from the URL, no script.
    let hosted = reqwest::get(w.app.url(&format!("{path}?campaign=spring")))
        .await
        .expect("sent");
    let csp = hosted
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(csp.contains("form-action 'self' https:"), "{csp}");
    let hosted = read(hosted).await;
    assert_eq!(hosted.status, 200);
    hosted.assert_shows("<h1 id=\"form-title\">Spring &#60;offer&#62;</h1>");
    assert!(
        hosted
            .body
            .contains(">Last name <span class=\"req\" aria-hidden=\"true\">*</span></label>")
    );
    assert!(hosted.body.contains("name=\"campaign\" value=\"spring\""));
    assert!(hosted.body.contains("autocomplete=\"given-name\""));
    assert!(
        hosted.body.contains("class=\"hp\""),
        "the honeypot is there, hidden by CSS"
    );
    assert!(!hosted.body.to_lowercase().contains("<script"));
    assert!(!hosted.body.contains("style="));

    // Sent as a browser would: the thank-you; delivered as created.
    let visitor = [
        ("first_name", "Flora"),
        ("last_name", "Spring"),
        ("email", "flora@example.com"),
        ("company", "Bloom Ltd"),
        ("campaign", "spring"),
        ("lb_website", ""),
    ];
    let (thanks, _) = submit(&w, &path, &visitor).await;
    assert_eq!(thanks.status, 200, "{}", thanks.body);
    assert!(thanks.body.contains("Thanks, we will call you soon."));
    let subs = w.wait_delivered(&form_id, 1).await;
    assert_eq!(subs[0]["action"], "created", "{}", subs[0]);
    assert_eq!(subs[0]["fields"]["campaign"], "spring");
    let leads = w.leads_by_email("flora@example.com");
    assert_eq!(leads.len(), 1);
    assert_eq!(leads[0].text("Company"), Some("Bloom Ltd"));
    let table = console.get(&format!("/forms/{form_id}/submissions")).await;
    assert!(table.body.contains("flora@example.com"));
    assert!(table.body.contains("created"));
    assert!(
        table.body.contains(leads[0].key.as_str()),
        "the lead's key is shown"
    );

    // Again with a new company: updated, not doubled.
    let mut again = visitor;
    again[3] = ("company", "Bloom & Co");
    let (thanks, _) = submit(&w, &path, &again).await;
    assert_eq!(thanks.status, 200);
    let subs = w.wait_delivered(&form_id, 2).await;
    assert_eq!(subs[0]["action"], "updated", "{}", subs[0]);
    let leads = w.leads_by_email("flora@example.com");
    assert_eq!(leads.len(), 1, "not doubled");
    assert_eq!(leads[0].text("Company"), Some("Bloom & Co"));
    let table = console
        .get(&format!("/forms/{form_id}/submissions?status=delivered"))
        .await;
    assert!(table.body.contains("updated"));

    // The honeypot filled in: the same thank-you, nothing stored.
    let mut bot = visitor;
    bot[2] = ("email", "bot@example.com");
    bot[5] = ("lb_website", "http://spam.example");
    let (thanks, _) = submit(&w, &path, &bot).await;
    assert_eq!(thanks.status, 200);
    assert!(thanks.body.contains("Thanks, we will call you soon."));
    assert_eq!(
        w.submissions(&form_id).await.len(),
        2,
        "the bot's submission is not stored"
    );

    // A field error: the page again, the message beside the field, the values kept.
    let typo = [
        ("first_name", "Hal"),
        ("last_name", ""),
        ("email", "hal-at-example"),
        ("company", "Hal <Inc>"),
        ("campaign", "spring"),
        ("lb_website", ""),
    ];
    let (again_page, headers) = submit(&w, &path, &typo).await;
    assert_eq!(again_page.status, 422, "{}", again_page.body);
    assert!(
        headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .starts_with("text/html")
    );
    let beside = again_page
        .message("f1-last_name-error")
        .expect("beside last name");
    assert!(beside.contains("fill in"), "{beside}");
    assert!(again_page.body.contains("value=\"Hal\""));
    assert!(again_page.body.contains("value=\"Hal &#60;Inc&#62;\""));
    assert!(again_page.body.contains("value=\"hal-at-example\""));
    let (email_page, _) = submit(
        &w,
        &path,
        &[
            ("last_name", "Hal"),
            ("email", "hal-at-example"),
            ("lb_website", ""),
        ],
    )
    .await;
    assert_eq!(email_page.status, 422);
    assert!(
        email_page.message("f2-email-error").is_some(),
        "{}",
        email_page.body
    );
    assert_eq!(w.submissions(&form_id).await.len(), 2);

    // Rejected by a rule of the CRM: the CRM's words, retried after the rule is lifted.
    w.crm_refuses_company(
        "Blocked Co",
        "Company Blocked Co is on the do-not-trade list",
    );
    let blocked = [
        ("last_name", "Block"),
        ("email", "block@example.com"),
        ("company", "Blocked Co"),
        ("lb_website", ""),
    ];
    let (thanks, _) = submit(&w, &path, &blocked).await;
    assert_eq!(thanks.status, 200);
    let subs = w.wait_delivered(&form_id, 3).await;
    assert_eq!(subs[0]["status"], "rejected", "{}", subs[0]);
    let sid = subs[0]["id"].as_str().expect("id").to_string();
    let rejected = console
        .get(&format!("/forms/{form_id}/submissions?status=rejected"))
        .await;
    assert!(
        rejected
            .body
            .contains("Company Blocked Co is on the do-not-trade list")
    );
    assert!(rejected.body.contains(&format!("/submissions/{sid}/retry")));
    assert!(
        !rejected.body.contains("flora@example.com"),
        "filtered by status"
    );
    w.crm.state().clear_write_rules();
    let retried = console
        .post(&format!("/forms/{form_id}/submissions/{sid}/retry"), &[])
        .await;
    assert_eq!(retried.status, 303, "{}", retried.body);
    let subs = w.wait_delivered(&form_id, 3).await;
    let block = subs
        .iter()
        .find(|s| s["id"] == sid.as_str())
        .expect("still there");
    assert_eq!(block["action"], "created", "{block}");
    assert_eq!(w.leads_by_email("block@example.com").len(), 1);

    // The CSV download.
    let csv = console
        .get(&format!("/forms/{form_id}/submissions.csv"))
        .await;
    assert_eq!(csv.status, 200);
    let lines: Vec<&str> = csv.body.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 4, "{}", csv.body);
    assert!(lines[0].starts_with("submitted_at,email,status,action,crm_entity,crm_key,error,field:first_name,field:last_name,field:email,field:company,field:campaign"), "{}", lines[0]);
    assert!(csv.body.contains("\"Bloom & Co\"") || csv.body.contains("Bloom & Co"));

    // Another account's console cannot open the form or its submissions.
    w.app.create_account("other").await;
    w.app
        .create_user("other", "olga@other.example", Role::Admin)
        .await;
    let other = w.app.sign_in("olga@other.example").await;
    assert_eq!(other.get(&format!("/forms/{form_id}")).await.status, 404);
    assert_eq!(
        other
            .get(&format!("/forms/{form_id}/submissions"))
            .await
            .status,
        404
    );
    assert_eq!(
        other
            .get(&format!("/forms/{form_id}/submissions.csv"))
            .await
            .status,
        404
    );
    let list = other.get("/forms").await;
    assert!(!list.body.contains(&path));
}
