//! Web forms and invitations in a real headless Chromium: a web form from the builder to
//! a CRM lead (created, updated, rejected and retried, the honeypot), and an invited
//! marketer who signs in by link and is signed out once removed. Screenshots go to
//! `target/console-screenshots/` beside those of `console_browser.rs`.

use crate::support::services::fast_services;
use crate::support::world::{crm_config, world_with};
use crate::support::{browser::Browser, wait};
use infor_crm_fake::Kind;
use listbridge::store::Role;
use serde_json::json;

const ADMIN: &str = "ann@acme.example";

/// Reloads `path` until the `#submissions-table` row of `email` contains `text`;
/// returns that row's text.
async fn wait_submission(
    browser: &Browser,
    app: &crate::support::TestApp,
    path: &str,
    email: &str,
    text: &str,
) -> String {
    let what = format!("the submission of {email} saying '{text}'");
    wait::until(&what, async || {
        browser.open(&app.url(path)).await;
        let rows = browser
            .client
            .find_all(fantoccini::Locator::Css("#submissions-table tbody tr"))
            .await
            .unwrap_or_default();
        for row in rows {
            if let Ok(found) = row.text().await
                && found.contains(email)
                && found.contains(text)
            {
                return Ok(found);
            }
        }
        Err("not in the table yet".to_string())
    })
    .await
}

/// Fills the hosted form and sends it; waits for the thank-you.
async fn submit_hosted(browser: &Browser, url: &str, values: &[(&str, &str)]) {
    browser.open(url).await;
    for (name, value) in values {
        browser
            .fill(&format!("#hosted-form input[name={name}]"), value)
            .await;
    }
    browser.click("#hosted-form button[type=submit]").await;
    browser
        .wait_text("#thank-you", "Thanks, we will call you soon.")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_form_from_the_builder_to_crm_leads() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let w = world_with(crm_config(1, 1), fast_services()).await;
    w.app.create_user("acme", ADMIN, Role::Admin).await;
    browser.signed_in(&w.app, ADMIN).await;

    // Build the form: first name, last name, email, company and a hidden campaign.
    browser.open(&w.app.url("/forms/new")).await;
    browser.fill("#name", "Spring offer").await;
    browser.fill("#title", "Spring offer").await;
    browser
        .fill("#intro", "Tell us who you are and we call you.")
        .await;
    browser
        .fill("#thank_you_message", "Thanks, we will call you soon.")
        .await;
    let rows = [
        (
            "First name",
            "first_name",
            "text",
            "usage:first_name",
            false,
        ),
        ("Last name", "last_name", "text", "usage:last_name", true),
        ("Email", "email", "email", "usage:email", true),
        ("Company", "company", "text", "usage:company", false),
        ("", "campaign", "hidden", "", false),
    ];
    for (i, (label, name, kind, map, required)) in rows.iter().enumerate() {
        browser.fill(&format!("#f{i}_label"), label).await;
        browser.fill(&format!("#f{i}_name"), name).await;
        browser
            .wait_css(&format!("#f{i}_type"))
            .await
            .select_by_value(kind)
            .await
            .expect("type chosen");
        if !map.is_empty() {
            browser
                .wait_css(&format!("#f{i}_map"))
                .await
                .select_by_value(map)
                .await
                .expect("mapping chosen");
        }
        if *required {
            browser.click(&format!("input[name=f{i}_required]")).await;
        }
    }
    let create = browser.wait_css("#create_new_leads").await;
    if !create.is_selected().await.expect("checkbox state") {
        create.click().await.expect("ticks");
    }
    browser
        .click("input[name=update_fields][value=Company]")
        .await;
    browser.screenshot("20-form-builder").await;
    browser.click("#save-form").await;
    browser.wait_css("#form-notice").await;
    let snippet = browser.wait_text("#embed-snippet", "<form").await;
    assert!(snippet.contains("campaign"), "{snippet}");
    browser.screenshot("21-form-saved").await;
    let hosted = browser
        .wait_css("#hosted-link")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("a hosted page link");
    let hosted_url = if hosted.starts_with("http") {
        hosted.clone()
    } else {
        w.app.url(&hosted)
    };
    let submissions = browser
        .wait_css("#submissions-link")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("a submissions link");
    let form_id = submissions
        .trim_start_matches("/forms/")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();

    // A visitor fills the hosted page; the hidden campaign comes from the URL.
    browser.open(&format!("{hosted_url}?campaign=spring")).await;
    browser.wait_text("#form-title", "Spring offer").await;
    browser.screenshot("22-hosted-form").await;
    submit_hosted(
        &browser,
        &format!("{hosted_url}?campaign=spring"),
        &[
            ("first_name", "Flora"),
            ("last_name", "Finch"),
            ("email", "flora.finch@example.com"),
            ("company", "Finch Ltd"),
        ],
    )
    .await;
    browser.screenshot("23-thank-you").await;
    let created = wait_submission(
        &browser,
        &w.app,
        &submissions,
        "flora.finch@example.com",
        "created",
    )
    .await;
    let leads = w.leads_by_email("flora.finch@example.com");
    assert_eq!(leads.len(), 1, "one lead");
    assert!(
        created.contains(leads[0].key.trim()),
        "the lead's key is shown: {created}"
    );
    browser.screenshot("24-submission-created").await;

    // Again with a new company: updated, not doubled.
    submit_hosted(
        &browser,
        &hosted_url,
        &[
            ("first_name", "Flora"),
            ("last_name", "Finch"),
            ("email", "flora.finch@example.com"),
            ("company", "Finch Group"),
        ],
    )
    .await;
    wait_submission(
        &browser,
        &w.app,
        &submissions,
        "flora.finch@example.com",
        "updated",
    )
    .await;
    let leads = w.leads_by_email("flora.finch@example.com");
    assert_eq!(leads.len(), 1, "updated, not doubled");
    assert_eq!(leads[0].text("Company"), Some("Finch Group"));

    // The CRM refuses one: its words are shown; retried after the rule is lifted.
    w.crm_refuses_company(
        "Blocked Co",
        "Company Blocked Co is on the do-not-trade list",
    );
    submit_hosted(
        &browser,
        &hosted_url,
        &[
            ("last_name", "Moth"),
            ("email", "mia.moth@example.com"),
            ("company", "Blocked Co"),
        ],
    )
    .await;
    wait_submission(
        &browser,
        &w.app,
        &submissions,
        "mia.moth@example.com",
        "do-not-trade list",
    )
    .await;
    browser.screenshot("25-submission-rejected").await;
    w.crm.state().clear_write_rules();
    browser
        .click("#submissions-table form[action$='/retry'] button")
        .await;
    wait::until("the retried lead", async || {
        match w.leads_with_email("mia.moth@example.com") {
            0 => Err("no lead yet".to_string()),
            _ => Ok(()),
        }
    })
    .await;
    let table = wait_submission(
        &browser,
        &w.app,
        &submissions,
        "mia.moth@example.com",
        "created",
    )
    .await;
    assert_eq!(
        w.leads_with_email("mia.moth@example.com"),
        1,
        "created once: {table}"
    );

    // A bot fills the honeypot: the same thank-you, nothing stored.
    let before = w.submissions(&form_id).await.len();
    browser.open(&hosted_url).await;
    for (name, value) in [("last_name", "Bot"), ("email", "bot@example.com")] {
        browser
            .fill(&format!("#hosted-form input[name={name}]"), value)
            .await;
    }
    browser
        .client
        .execute(
            "document.querySelector('#hosted-form input[tabindex=\"-1\"]').value = 'http://spam.example';",
            vec![],
        )
        .await
        .expect("honeypot filled");
    browser.click("#hosted-form button[type=submit]").await;
    browser
        .wait_text("#thank-you", "Thanks, we will call you soon.")
        .await;
    assert_eq!(
        w.submissions(&form_id).await.len(),
        before,
        "nothing stored for the bot"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_marketer_signs_in_by_link_and_is_signed_out_once_removed() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let app = crate::support::spawn_app().await;
    app.create_account("acme").await;
    app.create_user("acme", ADMIN, Role::Admin).await;
    let admin = app.sign_in(ADMIN).await;

    // The admin invites a marketer by link (in the browser).
    browser.signed_in(&app, ADMIN).await;
    browser.open(&app.url("/people")).await;
    browser.fill("#invite-email", "mark@acme.example").await;
    browser
        .wait_css("#invite-role")
        .await
        .select_by_value("marketer")
        .await
        .expect("role chosen");
    browser.click("#invite-by-link").await;
    browser.screenshot("30-people").await;
    browser.click("#invite-form button[type=submit]").await;
    let link = browser
        .wait_css("#invite-link")
        .await
        .prop("value")
        .await
        .expect("value")
        .expect("the link is shown");
    assert!(link.contains("/invite/"), "{link}");
    browser.screenshot("31-invite-link").await;
    browser
        .click("header.top form[action='/sign-out'] button")
        .await;
    browser.wait_css("#sign-in").await;

    // The marketer opens the link, chooses a password and is signed in.
    let link = link.trim().to_string();
    let link = if link.starts_with("http") {
        link
    } else {
        app.url(&link)
    };
    browser.open(&link).await;
    browser
        .fill("#new_password", "a marketer's own passphrase")
        .await;
    browser
        .fill("#confirm_password", "a marketer's own passphrase")
        .await;
    browser.screenshot("32-invite-accept").await;
    browser.click("#invite-accept button[type=submit]").await;
    browser.wait_text("header.top", "mark@acme.example").await;
    browser.open(&app.url("/people")).await;
    browser.wait_text("main", "Not for your role").await;
    browser.open(&app.url("/lists")).await;
    browser.wait_text("header.top", "marketer").await;

    // The admin removes them; the marketer's next click lands on sign-in.
    let (user, _) = app
        .state
        .store
        .users()
        .password_hash("mark@acme.example")
        .await
        .expect("read")
        .expect("the marketer exists");
    let removed = admin
        .post(&format!("/people/{}/remove", user.id), &[])
        .await;
    assert_eq!(removed.status, 303, "{removed:?}");
    browser.click("nav a[href='/forms']").await;
    browser.wait_css("#sign-in").await;
    assert!(browser.path().await.starts_with("/sign-in"));
    browser.screenshot("33-removed-signed-out").await;
    browser.close().await;
}

/// Reloads `/campaigns` until the row of `campaign` shows `written` notes written.
async fn wait_written(
    browser: &Browser,
    app: &crate::support::TestApp,
    campaign: &str,
    written: &str,
) {
    let css = format!("tr[data-campaign='{campaign}'] [data-count=written]");
    wait::until(&format!("{written} notes written"), async || {
        browser.open(&app.url("/campaigns")).await;
        match browser.client.find(fantoccini::Locator::Css(&css)).await {
            Ok(el) => match el.text().await {
                Ok(text) if text.trim() == written => Ok(()),
                Ok(text) => Err(format!("{text} written")),
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(e.to_string()),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_campaign_writes_each_note_once() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let w = world_with(crm_config(300, 20), fast_services()).await;
    w.app
        .create_user("acme", "mark@acme.example", Role::Marketer)
        .await;
    let list = w.imported_list("lead", &[]).await;
    let recipients: Vec<serde_json::Value> = w
        .members(list)
        .await
        .into_iter()
        .take(200)
        .map(|m| json!({ "email": m.email }))
        .collect();
    assert_eq!(recipients.len(), 200);
    let report = json!({
        "campaign_id": "spring-2026",
        "subject": "Spring offer",
        "sent_at": "2026-03-02T09:15:00Z",
        "preview_url_template": "https://mail.example.com/preview?to={email}",
        "recipients": recipients,
    });
    let history_before = w.crm.state().records(Kind::History).len();
    let (status, _) =
        crate::support::json(w.app.post("/v1/messages/sent", &w.key, &report).await).await;
    assert_eq!(status, 202);

    browser.signed_in(&w.app, "mark@acme.example").await;
    wait_written(&browser, &w.app, "spring-2026", "200").await;
    browser.screenshot("40-campaigns").await;
    assert_eq!(
        w.crm.state().records(Kind::History).len(),
        history_before + 200
    );

    // The same report again: still 200 notes, in the console and in the CRM.
    let (status, _) =
        crate::support::json(w.app.post("/v1/messages/sent", &w.key, &report).await).await;
    assert_eq!(status, 202);
    wait_written(&browser, &w.app, "spring-2026", "200").await;
    browser.click("tr[data-campaign='spring-2026'] a").await;
    browser.wait_text("main", "Spring offer").await;
    browser.screenshot("41-campaign").await;
    assert_eq!(
        w.crm.state().records(Kind::History).len(),
        history_before + 200
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_api_key_stops_working_at_once() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let app = crate::support::spawn_app().await;
    app.create_account("acme").await;
    app.create_user("acme", ADMIN, Role::Admin).await;
    browser.signed_in(&app, ADMIN).await;
    browser.open(&app.url("/people")).await;
    browser.fill("#key-label", "Zapier").await;
    browser.click("#key-form button[type=submit]").await;
    let key = browser
        .wait_css("#new-key")
        .await
        .prop("value")
        .await
        .expect("value")
        .expect("the key is shown once");
    assert!(key.starts_with("lb_"), "{key}");
    browser.screenshot("42-api-key-created").await;
    assert_eq!(app.get("/v1/account", &key).await.status(), 200);

    browser.open(&app.url("/people")).await;
    browser.click("#keys-table a[href$='/revoke']").await;
    browser.screenshot("43-api-key-revoke").await;
    browser.click("#revoke-form button[type=submit]").await;
    browser.wait_css("#people-notice").await;
    assert_eq!(
        app.get("/v1/account", &key).await.status(),
        401,
        "revoked at once"
    );
    browser.close().await;
}
