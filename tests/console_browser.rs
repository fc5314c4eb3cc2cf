//! The console in a real headless Chromium: a new marketer's journey end to end, and
//! the refusals a browser must see. Screenshots of every page go to
//! `target/console-screenshots/`.

mod common;

use common::browser::Browser;
use listbridge::store::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_page_in_a_browser() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let app = common::spawn_app().await;
    app.create_account("acme").await;
    app.create_user("acme", "ann@acme.example", Role::Admin)
        .await;
    browser.open(&app.url("/lists")).await;
    assert!(browser.path().await.starts_with("/sign-in"));
    browser.screenshot("01-sign-in").await;
    browser.fill("#email", "ann@acme.example").await;
    browser.fill("#password", "wrong password here").await;
    browser.click("#sign-in button[type=submit]").await;
    browser
        .wait_text("#sign-in-error", "The email or password is wrong.")
        .await;
    browser.screenshot("02-sign-in-wrong-password").await;
    browser.close().await;
}
