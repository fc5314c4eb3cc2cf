//! The console in a real headless Chromium: a new marketer's journey end to end, and
//! the refusals a browser must see. Screenshots of every page go to
//! `target/console-screenshots/` (desktop and 360 px wide).

use crate::support::browser::Browser;
use infor_crm_fake::{FakeConfig, FakeCrm, Kind};
use listbridge::store::Role;
use serde_json::{Map, Value, json};

const ADMIN: &str = "ann@acme.example";
const MARKETER: &str = "mark@acme.example";
const XSS: &str = "<script>alert(1)</script>";

/// A fake CRM with a few hundred leads, small pages (so an import shows progress) and
/// one lead whose first name is a script.
async fn crm() -> FakeCrm {
    let crm = FakeCrm::start(FakeConfig {
        leads: 300,
        contacts: 20,
        accounts: 5,
        page_cap: 25,
        ..FakeConfig::default()
    })
    .await
    .expect("fake CRM starts");
    let fields: Map<String, Value> = json!({
        "FirstName": XSS, "LastName": "Injected", "Company": "Injected Ltd",
        "Email": "xss.lead@example.com",
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    crm.state()
        .insert_record(Kind::Lead, &fields)
        .expect("XSS lead added");
    crm
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_marketer_from_sign_in_to_sign_out() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let crm = crm().await;
    let app = crate::support::spawn_app().await;
    app.create_account("acme").await;
    app.create_user("acme", ADMIN, Role::Admin).await;

    // Sign in: a wrong password first, then the right one; the email stays typed.
    browser.open(&app.url("/lists")).await;
    assert!(
        browser.path().await.starts_with("/sign-in"),
        "the lists need a sign-in"
    );
    browser.screenshot("01-sign-in").await;
    browser
        .sign_in(&app, ADMIN, "not the password at all")
        .await;
    browser
        .wait_text("#sign-in-error", "The email or password is wrong.")
        .await;
    browser.screenshot("02-sign-in-wrong-password").await;
    browser
        .sign_in(&app, ADMIN, crate::support::console::PASSWORD)
        .await;
    browser.wait_text("header.top", "acme").await;
    let header = browser.wait_text("header.top", ADMIN).await;
    assert!(header.contains("admin"), "{header}");
    assert_eq!(browser.path().await, "/lists");
    browser.screenshot("03-lists-empty").await;

    // Connect the CRM: the wrong password is named beside the password.
    browser.click("nav a[href='/connectors']").await;
    browser.wait_css("#connect-form").await;
    browser.fill("#base_url", &crm.base_url()).await;
    browser.fill("#username", "admin").await;
    browser.fill("#password", "wrong-password").await;
    browser.click("#connect-form button[type=submit]").await;
    let refused = browser.wait_text("#password-error", "").await;
    assert!(!refused.is_empty(), "a message beside the password");
    let kept = browser
        .wait_css("#base_url")
        .await
        .prop("value")
        .await
        .expect("value");
    assert_eq!(
        kept.as_deref(),
        Some(crm.base_url().as_str()),
        "the URL is kept"
    );
    browser.screenshot("04-connect-wrong-password").await;
    browser.fill("#password", "password").await;
    browser.click("#connect-form button[type=submit]").await;
    browser.wait_text("main", "Connected to").await;
    browser.screenshot("05-connectors").await;

    // Import leads with two custom fields and watch the progress to the end.
    browser.open(&app.url("/lists")).await;
    browser.click("a[href='/lists/import?entity=lead']").await;
    browser.click("input[name=fields][value=LeadScore]").await;
    browser.click("input[name=fields][value=Region]").await;
    browser.screenshot("06-import-leads").await;
    browser.click("form.import-form button[type=submit]").await;
    browser.wait_css("section.run-progress").await;
    assert!(browser.path().await.starts_with("/runs/"));
    browser
        .wait_text("section.run-progress", "The import has finished.")
        .await;
    browser.screenshot("07-import-finished").await;

    journey_on_the_list(&browser, &app, &crm).await;

    // Sign out: the sign-in page again, and the lists are out of reach.
    browser
        .click("header.top form[action='/sign-out'] button")
        .await;
    browser.wait_css("#sign-in").await;
    assert!(browser.path().await.starts_with("/sign-in"));
    browser.open(&app.url("/lists")).await;
    assert!(
        browser.path().await.starts_with("/sign-in"),
        "signed out: the sign-in page, not the list"
    );
    browser.screenshot("99-signed-out").await;
    browser.close().await;
}

/// The list page part of the journey: search, edit, add a column, upload a CSV.
async fn journey_on_the_list(browser: &Browser, app: &crate::support::TestApp, crm: &FakeCrm) {
    browser.click("section.run-progress a.button").await;
    browser.wait_css("#members table").await;
    browser.screenshot("08-list").await;

    // Search one lead by email; the table updates without a reload.
    let lead = crm
        .state()
        .records(Kind::Lead)
        .into_iter()
        .find(|r| {
            r.text("Email").is_some_and(|e| e.contains('@'))
                && !r.text("FirstName").unwrap_or_default().contains('<')
        })
        .expect("a seeded lead");
    let email = lead.text("Email").unwrap_or_default().trim().to_lowercase();
    browser.fill("#member-search", &email).await;
    browser
        .wait_text("#members [role=status]", ": 1 on this page")
        .await;
    let table = browser.wait_text("#members table", &email).await;
    assert_eq!(
        table.matches('@').count(),
        1,
        "only the one member: {table}"
    );
    browser.screenshot("09-search").await;

    // Open it and edit a value.
    browser.click("#members a[href*='/members/']").await;
    browser.wait_css("#member-title").await;
    browser
        .fill("input[name='v.Region']", "Journey Region")
        .await;
    browser.screenshot("10-member-edit").await;
    browser
        .click("form[action*='/members/'] button[type=submit]")
        .await;
    browser.wait_css(".notice").await;
    let region = browser
        .wait_css("input[name='v.Region']")
        .await
        .prop("value")
        .await
        .expect("value");
    assert_eq!(
        region.as_deref(),
        Some("Journey Region"),
        "the edit is saved"
    );
    browser.screenshot("11-member-saved").await;

    // Add List Columns: Title, filled on the next sync.
    browser.click("nav a[href$='/columns']").await;
    browser.click("input[name=fields][value=Title]").await;
    browser.screenshot("12-add-columns").await;
    browser
        .click("form[action$='/columns'] button[type=submit]")
        .await;
    browser.wait_text("main", "pending").await;
    browser.screenshot("13-column-added").await;

    // Upload a CSV with one malformed row: that row is named by its line.
    let csv = std::env::temp_dir().join(format!("journey-{}.csv", uuid::Uuid::new_v4()));
    std::fs::write(
        &csv,
        "Email,First Name,Last Name\nok.one@example.com,Ok,One\nnot-an-email,Bad,Row\nok.two@example.com,Ok,Two\n",
    )
    .expect("csv written");
    browser.open(&app.url("/lists")).await;
    browser.click("a[href='/lists/upload']").await;
    browser.fill("#name", "Webinar sign-ups").await;
    browser
        .wait_css("#file")
        .await
        .send_keys(&csv.display().to_string())
        .await
        .expect("file chosen");
    browser.wait_text("#delimiter", "comma").await;
    browser.screenshot("14-upload-preview").await;
    browser.click("#upload-form button[type=submit]").await;
    browser.wait_text("#accepted", "2 members accepted").await;
    let rejected = browser.wait_text("#rejected-rows", "not-an-email").await;
    assert!(
        rejected.contains('3'),
        "the malformed row is named by its line: {rejected}"
    );
    browser.screenshot("15-upload-result").await;
    let _ = std::fs::remove_file(csv);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_a_browser_sees() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let crm = crm().await;
    let app = crate::support::spawn_app().await;
    let key = app.create_account("acme").await;
    app.create_user("acme", MARKETER, Role::Marketer).await;
    let other_key = app.create_account("globex").await;
    let (_, connector) = crate::support::json(
        app.post(
            "/v1/connectors",
            &key,
            &json!({ "kind": "infor-crm", "base_url": crm.base_url(), "username": "admin", "password": "password" }),
        )
        .await,
    )
    .await;
    let (status, imported) = crate::support::json(
        app.post(
            "/v1/lists/import",
            &key,
            &json!({ "connector": connector["id"], "entity": "lead", "fields": [] }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 202, "{imported}");
    let list = imported["list"]["id"]
        .as_str()
        .expect("list id")
        .to_string();
    let uploaded = app
        .client
        .post(app.url("/v1/lists/upload?name=Other"))
        .bearer_auth(&other_key)
        .header("content-type", "text/csv")
        .body("Email\nsomeone@globex.example\n")
        .send()
        .await
        .expect("upload sent");
    let (_, other) = crate::support::json(uploaded).await;
    let other_list = other["list"]["id"]
        .as_str()
        .expect("other list id")
        .to_string();

    // Six wrong passwords in a row for one email: the sixth is slowed down.
    for attempt in 1..=6 {
        browser
            .sign_in(&app, "guess@acme.example", "a wrong password again")
            .await;
        let expected = if attempt < 6 {
            "The email or password is wrong."
        } else {
            "Too many sign-in attempts"
        };
        browser.wait_text("#sign-in-error", expected).await;
    }
    browser.screenshot("10-sign-in-slowed").await;

    browser
        .sign_in(&app, MARKETER, crate::support::console::PASSWORD)
        .await;
    browser.wait_text("header.top", "marketer").await;
    // No Connectors link for a marketer, and the page itself is refused.
    assert!(!browser.body_text().await.contains("Connectors"));
    browser.open(&app.url("/connectors")).await;
    browser.wait_text("main", "Not for your role").await;
    browser.screenshot("11-marketer-connectors-403").await;

    // Another account's list: not found, whatever the id.
    browser
        .open(&app.url(&format!("/lists/{other_list}")))
        .await;
    browser.wait_text("main", "Not found").await;

    // A form posted without its CSRF token (built by a script, as another site would).
    browser
        .client
        .execute(
            "const f = document.createElement('form'); f.method = 'post'; \
             f.action = '/sign-out'; document.body.appendChild(f); f.submit();",
            vec![],
        )
        .await
        .expect("script runs");
    browser.wait_text("main", "This form has expired").await;
    browser.open(&app.url("/lists")).await;
    browser.wait_text("header.top", MARKETER).await;

    // The lead named <script>alert(1)</script> is text on the list page.
    wait_for_members(&app, &key, &list).await;
    browser
        .open(&app.url(&format!("/lists/{list}?search=xss.lead")))
        .await;
    let text = browser.wait_text("main", XSS).await;
    assert!(text.contains(XSS), "{text}");
    assert!(
        browser.client.get_alert_text().await.is_err(),
        "no script ran"
    );
    browser.screenshot("12-xss-lead-as-text").await;
    browser.close().await;
}

/// Waits until the import of `list` has finished.
async fn wait_for_members(app: &crate::support::TestApp, key: &str, list: &str) {
    crate::support::wait::until("the import to end", async || {
        let (_, detail) =
            crate::support::json(app.get(&format!("/v1/lists/{list}"), key).await).await;
        if detail["status"] == "importing" {
            Err(detail.to_string())
        } else {
            Ok(())
        }
    })
    .await;
}
