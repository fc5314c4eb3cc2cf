//! Issue 15's journey in a real headless Chromium against the fake Infor CRM: a lead
//! list's *Sync* tab set to push Title and pull everything, a *Preview (dry run)* after
//! ten CRM-side edits listing exactly those ten with old → new values, *Run it for
//! real* followed to its report (the page reloads itself when the run ends), a member
//! edited on the member page and pushed by *Run Now*, a daily 06:00 Europe/London
//! schedule with its next three runs, nine more lists scheduled and an eleventh refused
//! naming and linking the ten, and a segment "Title contains CTO" built with its live
//! count, then pushed from its own *Sync* tab. Screenshots of every page go to
//! `target/console-screenshots/5x-*.png` and `6x-*.png`.

use fantoccini::Locator;
use infor_crm_fake::{Access, FakeUser, Kind};
use listbridge::store::Role;

use crate::support::schedules::{create_list, put_schedule};
use crate::support::world::{World, crm_config, world};
use crate::support::{browser::Browser, wait};

const MARKETER: &str = "mara@acme.example";
const ADMIN: &str = "ada@acme.example";

/// Ticks the checkbox matching `css` (leaves it ticked if it already is).
async fn tick(browser: &Browser, css: &str) {
    let el = browser.wait_css(css).await;
    if !el.is_selected().await.expect("checkbox state") {
        el.click().await.expect("ticks");
    }
}

/// The texts of every element matching `css` on the current page.
async fn texts(browser: &Browser, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for el in browser
        .client
        .find_all(Locator::Css(css))
        .await
        .unwrap_or_default()
    {
        out.push(el.text().await.unwrap_or_default());
    }
    out
}

/// The run id of the run page the browser is on (`/runs/{id}`, maybe with a query).
async fn run_on_page(browser: &Browser) -> String {
    let path = browser.path().await;
    path.strip_prefix("/runs/")
        .unwrap_or_else(|| panic!("on a run page, not {path}"))
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Waits until the run page has reloaded itself as the report of the ended run (the
/// progress poll that sees the end answers `HX-Refresh`), with this status badge.
async fn wait_report(browser: &Browser, status: &str) {
    browser.wait_css("#records-title").await;
    browser
        .wait_text("section.run-progress .badge", status)
        .await;
}

/// The number shown beside `label` in the report's counts.
async fn count_of(browser: &Browser, label: &str) -> Option<String> {
    for pair in texts(browser, "dl.run-counts > div").await {
        let mut lines = pair.lines().map(str::trim);
        if lines.next() == Some(label) {
            return lines.next().map(String::from);
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_preview_run_schedule_and_segment_in_the_browser() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let w = world(crm_config(12, 0)).await;
    let list = w.imported_list("lead", &["Title"]).await;
    w.app.create_user("acme", MARKETER, Role::Marketer).await;
    browser.signed_in(&w.app, MARKETER).await;

    set_up_sync(&browser, &w, list).await;
    let edited = preview_and_run(&browser, &w, list).await;
    edit_and_push(&browser, &w, list, &edited).await;
    schedule_daily(&browser, &w, list).await;
    eleventh_refused(&browser, &w, list).await;
    segment_and_push(&browser, &w, list).await;

    browser.close().await;
}

/// A run failed because the CRM password changed: the run page says so and links to
/// *Reconfirm Login*; the new password typed there, *Run Now* succeeds. Screenshots
/// `63-run-failed-password.png` and `64-reconfirm-login.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_failed_by_a_changed_password_is_reconfirmed_and_run_again_in_the_browser() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let w = world(crm_config(5, 0)).await;
    // The connector logs in as a CRM user whose password then changes in the CRM.
    w.crm
        .state()
        .add_user(FakeUser::new("marketing", "first password", Access::Full))
        .expect("user added");
    let (status, body) = w
        .post(
            &format!("/v1/connectors/{}/reconfirm", w.connector),
            &serde_json::json!({ "username": "marketing", "password": "first password" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let list = w.imported_list("lead", &["Title"]).await;
    w.app.create_user("acme", ADMIN, Role::Admin).await;
    browser.signed_in(&w.app, ADMIN).await;
    set_up_sync(&browser, &w, list).await;
    w.crm
        .state()
        .add_user(FakeUser::new("marketing", "second password", Access::Full))
        .expect("password changed");

    browser.click("button[name=mode][value=run]").await;
    browser
        .wait_text("#run-advice", "The CRM refused the password")
        .await;
    browser
        .wait_text("section.run-progress .badge", "Failed")
        .await;
    let failed = run_on_page(&browser).await;
    let reconfirm = format!("/connectors/{}/reconfirm", w.connector);
    let link = browser.wait_css("#run-advice a").await;
    assert_eq!(link.text().await.expect("link text"), "Reconfirm Login");
    assert_eq!(
        link.attr("href").await.expect("href").as_deref(),
        Some(reconfirm.as_str())
    );
    browser.screenshot("63-run-failed-password").await;

    link.click().await.expect("follows the link");
    browser.wait_css("#reconfirm-form #password").await;
    assert_eq!(browser.path().await, reconfirm);
    browser.fill("#password", "second password").await;
    browser.screenshot("64-reconfirm-login").await;
    browser.click("#reconfirm-form button[type=submit]").await;
    browser.wait_text("main", "Login reconfirmed").await;

    browser
        .open(&w.app.url(&format!("/lists/{list}/sync")))
        .await;
    browser.click("button[name=mode][value=run]").await;
    wait::until("a new run page", async || {
        let path = browser.path().await;
        if path.starts_with("/runs/") && !path.contains(&failed) {
            Ok(())
        } else {
            Err(path)
        }
    })
    .await;
    wait_report(&browser, "Succeeded").await;
    browser.screenshot("65-run-after-reconfirm").await;

    browser.close().await;
}

/// The Sync tab: push Title (update existing records), pull all fields, Save.
async fn set_up_sync(browser: &Browser, w: &World, list: listbridge::store::ListId) {
    browser
        .open(&w.app.url(&format!("/lists/{list}/sync")))
        .await;
    browser
        .wait_text("#run-blocked", "Save the sync setup first")
        .await;
    browser.screenshot("50-sync-setup").await;
    tick(browser, "#push_enabled").await;
    tick(browser, "#push_update_existing").await;
    tick(browser, "input[name=push_fields][value=Title]").await;
    tick(browser, "#pull_enabled").await;
    tick(browser, "#pull_update_existing").await;
    for el in browser
        .client
        .find_all(Locator::Css("input[name=pull_fields]"))
        .await
        .expect("pull fields")
    {
        assert!(
            el.is_selected().await.expect("state"),
            "pull fields are all ticked by default"
        );
    }
    browser
        .click("#sync-title ~ form button[type=submit]")
        .await;
    browser.wait_text("main", "Sync setup saved.").await;
    browser.screenshot("51-sync-saved").await;
    let (status, setup) = w.get(&format!("/v1/lists/{list}/sync")).await;
    assert_eq!(status, 200, "{setup}");
    assert_eq!(setup["push"]["enabled"], true, "{setup}");
    assert_eq!(
        setup["push"]["fields"],
        serde_json::json!(["Title"]),
        "{setup}"
    );
    assert_eq!(setup["pull"]["enabled"], true, "{setup}");
    assert_eq!(setup["pull"]["fields"], serde_json::Value::Null, "{setup}");
}

/// Ten CRM-side Title edits, previewed (exactly those ten, old → new), then run for
/// real: the report shows ten members updated from the CRM. Returns the edited
/// members' `(email, CRM key)`.
async fn preview_and_run(
    browser: &Browser,
    w: &World,
    list: listbridge::store::ListId,
) -> Vec<(String, String)> {
    let members = w.members(list).await;
    let mut edited = Vec::new();
    let mut expected = Vec::new();
    for (i, m) in members.iter().take(10).enumerate() {
        let key = m.crm.clone().expect("linked").key;
        let new = format!("CTO of Unit {i}");
        w.crm_update_over_http(Kind::Lead, std::slice::from_ref(&key), &[("Title", &new)])
            .await;
        let old = m
            .values
            .get("Title")
            .cloned()
            .flatten()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "(blank)".into());
        expected.push((m.email.clone(), format!("Title: {old} → {new}")));
        edited.push((m.email.clone(), key));
    }

    browser
        .open(&w.app.url(&format!("/lists/{list}/sync")))
        .await;
    browser.click("button[name=mode][value=preview]").await;
    wait_report(browser, "Succeeded").await;
    browser
        .wait_text("h1.run-title", "Preview of a sync of")
        .await;
    let rows = texts(browser, "tr[data-outcome=planned_pull_update]").await;
    assert_eq!(rows.len(), 10, "exactly the ten edited: {rows:?}");
    for (email, change) in &expected {
        assert!(
            rows.iter()
                .any(|r| r.contains(email.as_str()) && r.contains(change.as_str())),
            "{email} with {change} in {rows:?}"
        );
    }
    let others = texts(browser, "tr[data-outcome]").await;
    assert_eq!(others.len(), 10, "nothing else would change: {others:?}");
    browser.screenshot("52-preview").await;
    let preview = run_on_page(browser).await;

    browser
        .click(".run-preview-intro button[type=submit]")
        .await;
    wait::until("a new run page", async || {
        let path = browser.path().await;
        if path.starts_with("/runs/") && !path.contains(&preview) {
            Ok(())
        } else {
            Err(path)
        }
    })
    .await;
    wait_report(browser, "Succeeded").await;
    browser.wait_text("h1.run-title", "Sync of").await;
    assert_eq!(
        count_of(browser, "Members updated from the CRM")
            .await
            .as_deref(),
        Some("10"),
        "{:?}",
        texts(browser, "dl.run-counts > div").await
    );
    browser.screenshot("53-run-report").await;
    for (email, _) in &edited {
        let title = w.member_value(list, email, "Title").await;
        assert!(
            title
                .as_deref()
                .is_some_and(|t| t.starts_with("CTO of Unit")),
            "{email} pulled: {title:?}"
        );
    }
    edited
}

/// The member page: a new Title, saved; Run Now on the Sync tab pushes it to the CRM.
async fn edit_and_push(
    browser: &Browser,
    w: &World,
    list: listbridge::store::ListId,
    edited: &[(String, String)],
) {
    let (email, key) = &edited[0];
    let member = w
        .members(list)
        .await
        .into_iter()
        .find(|m| &m.email == email)
        .expect("member");
    browser
        .open(&w.app.url(&format!("/lists/{list}/members/{}", member.id)))
        .await;
    browser
        .fill("input[name='v.Title']", "Chief Browser Officer")
        .await;
    browser.screenshot("54-member-edit").await;
    browser
        .click(&format!(
            "form[action='/lists/{list}/members/{}'] button[type=submit]",
            member.id
        ))
        .await;
    wait::until("the member's new Title saved", async || {
        match w.member_value(list, email, "Title").await {
            Some(t) if t == "Chief Browser Officer" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    browser.wait_css("main").await;
    browser.screenshot("55-member-saved").await;

    browser
        .open(&w.app.url(&format!("/lists/{list}/sync")))
        .await;
    browser.click("button[name=mode][value=run]").await;
    browser.wait_css("section.run-progress").await;
    wait_report(browser, "Succeeded").await;
    browser.screenshot("56-run-now-report").await;
    assert_eq!(
        w.crm_lead_text(key, "Title").as_deref(),
        Some("Chief Browser Officer"),
        "the CRM has the member's new Title"
    );
}

/// The Schedule tab: daily at 06:00 Europe/London, and the next three runs shown.
async fn schedule_daily(browser: &Browser, w: &World, list: listbridge::store::ListId) {
    browser
        .open(&w.app.url(&format!("/lists/{list}/schedule")))
        .await;
    browser
        .wait_text("#schedule-places", "0 of 10 lists scheduled")
        .await;
    browser.screenshot("57-schedule").await;
    save_daily_london_schedule(browser).await;
    browser.wait_text("main", "Schedule saved.").await;
    browser
        .wait_text("#schedule-places", "1 of 10 lists scheduled")
        .await;
    let runs = texts(browser, "#next-runs li").await;
    assert_eq!(runs.len(), 3, "{runs:?}");
    for at in &runs {
        assert!(
            at.contains("06:00") && (at.contains("GMT") || at.contains("BST")),
            "06:00 London time: {runs:?}"
        );
    }
    browser.screenshot("58-schedule-saved").await;
}

/// Nine more lists scheduled (through the API): the tenth's page says "10 of 10", and
/// an eleventh list's schedule is refused naming and linking the ten.
async fn eleventh_refused(browser: &Browser, w: &World, first: listbridge::store::ListId) {
    let mut scheduled = vec![first];
    for i in 2..=10 {
        let list = create_list(&w.app.state, w.account, &format!("Scheduled list {i}")).await;
        let (status, body) = put_schedule(
            &w.app,
            &w.key,
            &format!("/v1/lists/{list}"),
            &serde_json::json!({
                "frequency": "daily", "time_of_day": "06:00", "time_zone": "Europe/London"
            }),
        )
        .await;
        assert_eq!(status, 200, "list {i}: {body}");
        scheduled.push(list);
    }
    let eleventh = create_list(&w.app.state, w.account, "The eleventh").await;
    browser
        .open(&w.app.url(&format!("/lists/{eleventh}/schedule")))
        .await;
    browser
        .wait_text("#schedule-places", "10 of 10 lists scheduled")
        .await;
    save_daily_london_schedule(browser).await;
    browser
        .wait_text("#enabled-error", "10 lists are already scheduled")
        .await;
    let mut links = Vec::new();
    for a in browser
        .client
        .find_all(Locator::Css("#schedule-holders li a"))
        .await
        .expect("the ten")
    {
        links.push(a.attr("href").await.expect("href").unwrap_or_default());
    }
    links.sort();
    let mut expected: Vec<String> = scheduled
        .iter()
        .map(|l| format!("/lists/{l}/schedule"))
        .collect();
    expected.sort();
    assert_eq!(links, expected, "the ten, each linked");
    let names = texts(browser, "#schedule-holders li").await;
    assert!(names.iter().any(|n| n == "Scheduled list 7"), "{names:?}");
    browser.screenshot("58b-eleventh-refused").await;
}

/// A segment "Title contains CTO" with its live count, saved, pushed from its Sync tab.
async fn segment_and_push(browser: &Browser, w: &World, list: listbridge::store::ListId) {
    let ctos = w
        .members(list)
        .await
        .iter()
        .filter(|m| {
            m.values
                .get("Title")
                .cloned()
                .flatten()
                .is_some_and(|t| t.to_lowercase().contains("cto"))
        })
        .count();
    assert!(ctos >= 9, "nine CTOs at least: {ctos}");
    let matching = format!("{ctos} members match");

    browser
        .open(&w.app.url(&format!("/lists/{list}/segments/new")))
        .await;
    browser.fill("#name", "Title contains CTO").await;
    browser
        .wait_css("#column-0")
        .await
        .select_by_value("Title")
        .await
        .expect("column chosen");
    browser
        .wait_css("#op-0")
        .await
        .select_by_value("contains")
        .await
        .expect("operator chosen");
    browser.fill("#value-0", "CTO").await;
    browser.wait_text("#segment-count", &matching).await;
    browser.screenshot("59-segment-builder").await;
    browser.click("button[name=action][value=save]").await;
    browser.wait_text("main", "Segment saved.").await;
    let path = browser.path().await;
    let segment = path
        .strip_prefix("/segments/")
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("on the segment's page, not {path}"))
        .to_string();
    browser.screenshot("60-segment-members").await;

    browser.click("nav.lp-tabs a[href$='/sync']").await;
    browser
        .wait_text("#pull-why", "A segment can only push")
        .await;
    tick(browser, "#push_enabled").await;
    tick(browser, "#push_update_existing").await;
    tick(browser, "input[name=push_fields][value=Title]").await;
    browser
        .click("#sync-title ~ form button[type=submit]")
        .await;
    browser.wait_text("main", "Sync setup saved.").await;
    browser.screenshot("61-segment-sync").await;
    browser.click("button[name=mode][value=run]").await;
    wait_report(browser, "Succeeded").await;
    browser
        .wait_text("h1.run-title", "Title contains CTO")
        .await;
    browser.screenshot("62-segment-run").await;
    let run = run_on_page(browser).await;
    let (status, report) = w.get(&format!("/v1/runs/{run}")).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["segment_id"], serde_json::json!(segment), "{report}");
    assert_eq!(report["status"], "succeeded", "{report}");
}

/// Fills the open schedule page with "daily at 06:00 Europe/London, enabled" and saves.
/// The time is set by script: Chrome's time input expects a locale-specific format.
async fn save_daily_london_schedule(browser: &Browser) {
    browser
        .wait_css("#frequency")
        .await
        .select_by_value("daily")
        .await
        .expect("daily chosen");
    browser.fill("#interval", "1").await;
    browser
        .client
        .execute(
            "document.getElementById('time_of_day').value = '06:00';",
            vec![],
        )
        .await
        .expect("time set");
    browser.fill("#time_zone", "Europe/London").await;
    tick(browser, "#enabled").await;
    browser.click("button[name=action][value=save]").await;
}
