//! The console's run history, run report and dry-run preview over plain HTTP against
//! the fake Infor CRM: history rows with what started each run and its counts (for a
//! list and for a segment), a report's records in the CRM's own words filtered by
//! outcome and downloaded as CSV with formula cells defused, a run failed by a changed
//! CRM password pointing to *Reconfirm Login*, and a preview's old → new values.

use infor_crm_fake::{Access, FakeUser, Kind};
use listbridge::store::{ListId, Role};
use serde_json::{Map, Value, json};

use crate::support::console::{Console, Page};
use crate::support::world::{World, crm_config, world};

/// The CRM's words for a refused company, as an Infor CRM business rule says them.
const BLOCKED: &str = "Company 'Blocked Co' is on the blocked list";
/// A CRM lead's email that is a spreadsheet formula (and not an email).
const FORMULA_EMAIL: &str = "=HYPERLINK(\"http://evil.example\")";

async fn admin(w: &World) -> Console {
    w.app
        .signed_in("acme", "ann@acme.example", Role::Admin)
        .await
}

/// The run id of a report.
fn id_of(report: &Value) -> String {
    report["id"].as_str().expect("run id").to_string()
}

#[track_caller]
fn assert_ok(page: &Page) {
    assert_eq!(page.status, 200, "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_lists_each_run_with_what_started_it_and_its_counts() {
    let w = world(crm_config(10, 0)).await;
    let (list, import) = w.import("lead", &["Title"]).await;
    assert_eq!(import["status"], "succeeded", "{import}");
    w.save_sync(
        list,
        &json!({ "pull": { "enabled": true, "update_existing": true } }),
    )
    .await;
    let keys: Vec<String> = w
        .members(list)
        .await
        .iter()
        .take(3)
        .map(|m| m.crm.clone().expect("linked").key)
        .collect();
    w.crm_update(Kind::Lead, &keys, &[("Title", "Head of Tests")]);
    let sync = w.sync(list).await;
    assert_eq!(sync["counts"]["pulled_updated"], 3, "{sync}");
    let console = admin(&w).await;

    let page = console.get(&format!("/lists/{list}/runs")).await;
    assert_ok(&page);
    let text = page.text();
    page.assert_shows(&format!("href=\"/runs/{}\"", id_of(&import)));
    page.assert_shows(&format!("href=\"/runs/{}\"", id_of(&sync)));
    let rows: Vec<&str> = text.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 2, "two runs: {text}");
    // Newest first: the sync, started by hand, then the import.
    assert!(
        rows[0].contains("Sync") && rows[0].contains("By hand"),
        "{}",
        rows[0]
    );
    assert!(
        rows[0].contains("Members updated from the CRM: <strong>3</strong>"),
        "{}",
        rows[0]
    );
    assert!(rows[0].contains("Succeeded"), "{}", rows[0]);
    assert!(
        rows[1].contains("Import") && rows[1].contains(">Import<"),
        "{}",
        rows[1]
    );
    assert!(
        rows[1].contains("Members added: <strong>10</strong>"),
        "{}",
        rows[1]
    );
    assert!(
        text.contains("aria-current=\"page\">Runs</a>"),
        "the Runs tab is marked"
    );

    // A segment's history holds its own runs only, under the segment's header.
    let filter = json!({ "combine": "all", "conditions": [
        { "column": "Title", "op": "equals", "value": "Head of Tests" }
    ] });
    let segment = w.create_segment(list, "Testers", &filter).await;
    let empty = console.get(&format!("/segments/{segment}/runs")).await;
    assert_ok(&empty);
    empty.assert_shows("Testers");
    empty.assert_shows("No run yet");
    let (status, body) = w
        .put(
            &format!("/v1/segments/{segment}/sync"),
            &json!({ "push": { "enabled": true, "update_existing": true, "fields": ["Title"] } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = w
        .post(&format!("/v1/segments/{segment}/runs"), &json!({}))
        .await;
    assert!(status == 202 || status == 200, "{body}");
    let pushed = w
        .wait_run(body["run"]["id"].as_str().expect("run id"))
        .await;
    let page = console.get(&format!("/segments/{segment}/runs")).await;
    assert_ok(&page);
    page.assert_shows(&format!("href=\"/runs/{}\"", id_of(&pushed)));
    assert!(
        !page.body.contains(&id_of(&sync)),
        "the list's runs are not the segment's"
    );

    // Another account sees none of it.
    w.app.create_account("other").await;
    let other = w
        .app
        .signed_in("other", "olga@other.example", Role::Admin)
        .await;
    assert_eq!(other.get(&format!("/lists/{list}/runs")).await.status, 404);
    assert_eq!(
        other.get(&format!("/runs/{}", id_of(&sync))).await.status,
        404
    );
}

/// A lead list whose sync pulls new CRM records and pushes Company, run once after the
/// CRM refused one member's Company and got a new lead whose email is a formula: the
/// report holds one `failed` record (the CRM's words) and one `invalid` one.
async fn refused_and_invalid(w: &World) -> (ListId, String, String) {
    let list = w.imported_list("lead", &["Company"]).await;
    w.save_sync(
        list,
        &json!({
            "pull": { "enabled": true, "add_new": true },
            "push": { "enabled": true, "update_existing": true, "fields": ["Company"] }
        }),
    )
    .await;
    w.crm_refuses_company("Blocked Co", BLOCKED);
    let member = w.members(list).await.into_iter().next().expect("member");
    w.edit_member(list, &member.email, "Company", "Blocked Co")
        .await;
    let mut lead = Map::new();
    lead.insert("FirstName".into(), json!("Formula"));
    lead.insert("LastName".into(), json!("Person"));
    lead.insert("Company".into(), json!("Formula Co"));
    lead.insert("Email".into(), json!(FORMULA_EMAIL));
    w.crm
        .state()
        .insert_record(Kind::Lead, &lead)
        .expect("lead added");
    let report = w.sync(list).await;
    assert_eq!(report["status"], "completed_with_errors", "{report}");
    assert_eq!(report["counts"]["failed"], 1, "{report}");
    assert_eq!(report["counts"]["invalid"], 1, "{report}");
    (list, id_of(&report), member.email)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_shows_refused_records_in_the_crms_words_filters_them_and_downloads_them() {
    let w = world(crm_config(5, 0)).await;
    let (list, run, email) = refused_and_invalid(&w).await;
    let console = admin(&w).await;

    let page = console.get(&format!("/runs/{run}")).await;
    assert_ok(&page);
    let text = page.text();
    assert!(text.contains(BLOCKED), "the CRM's own words: {text}");
    assert!(text.contains(&email), "{text}");
    assert!(text.contains("Failed or refused by the CRM"), "{text}");
    assert!(text.contains("Without a valid email"), "{text}");
    assert!(
        text.contains(FORMULA_EMAIL),
        "the formula shown as text: {text}"
    );
    assert!(!page.body.contains(FORMULA_EMAIL), "escaped in the HTML");
    assert!(
        text.contains(&format!("href=\"/runs/{run}?outcome=failed\"")),
        "a tab per outcome"
    );
    assert!(
        text.contains(&format!("href=\"/runs/{run}/records.csv\"")),
        "{text}"
    );
    assert!(
        !text.contains("hx-trigger"),
        "an ended run's page does not poll"
    );
    // The run page's own poll that sees the end reloads the page, which is this report;
    // the same fragment embedded elsewhere (the list page) does not reload its page.
    let poll = |from: String| {
        console
            .client
            .get(format!("{}/runs/{run}/progress", console.base_url))
            .header("cookie", format!("lb_session={}", console.session))
            .header("HX-Request", "true")
            .header("HX-Current-URL", format!("{}{from}", console.base_url))
            .send()
    };
    let own = poll(format!("/runs/{run}?done=already_running"))
        .await
        .expect("sent");
    assert_eq!(
        own.headers().get("hx-refresh").map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    let embedded = poll(format!("/lists/{list}")).await.expect("sent");
    assert!(embedded.headers().get("hx-refresh").is_none());
    assert!(
        embedded
            .text()
            .await
            .expect("body")
            .contains(&format!("href=\"/runs/{run}\">See the report"))
    );

    let failed = console.get(&format!("/runs/{run}?outcome=failed")).await;
    assert_ok(&failed);
    let text = failed.text();
    assert!(text.contains(BLOCKED), "{text}");
    assert!(
        !text.contains(FORMULA_EMAIL),
        "the filter leaves the invalid record out: {text}"
    );
    assert!(
        text.contains(&format!("href=\"/runs/{run}/records.csv?outcome=failed\"")),
        "{text}"
    );
    assert_eq!(text.matches("data-outcome=\"failed\"").count(), 1, "{text}");

    let csv = console.get(&format!("/runs/{run}/records.csv")).await;
    assert_ok(&csv);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "seq,outcome,email,crm_record,field,detail,values");
    assert_eq!(lines.len(), 3, "{}", csv.body);
    let refused = lines
        .iter()
        .find(|l| l.contains(",failed,"))
        .expect("failed row");
    assert!(refused.contains(BLOCKED), "{refused}");
    assert!(refused.contains(&email), "{refused}");
    let invalid = lines
        .iter()
        .find(|l| l.contains(",invalid,"))
        .expect("invalid row");
    assert!(
        invalid.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\""),
        "the formula cell is defused: {invalid}"
    );

    let only_failed = console
        .get(&format!("/runs/{run}/records.csv?outcome=failed"))
        .await;
    assert_ok(&only_failed);
    assert_eq!(only_failed.body.lines().count(), 2, "{}", only_failed.body);
    assert!(
        !only_failed.body.contains("HYPERLINK"),
        "{}",
        only_failed.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_failed_by_a_changed_crm_password_links_to_reconfirm_login() {
    let w = world(crm_config(5, 0)).await;
    // The connector logs in as a CRM user whose password then changes in the CRM.
    w.crm
        .state()
        .add_user(FakeUser::new("marketing", "first password", Access::Full))
        .expect("user added");
    let (status, body) = w
        .post(
            &format!("/v1/connectors/{}/reconfirm", w.connector),
            &json!({ "username": "marketing", "password": "first password" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let list = w.pulling_lead_list(&["Title"]).await;
    w.crm
        .state()
        .add_user(FakeUser::new("marketing", "second password", Access::Full))
        .expect("password changed");
    let report = w.sync(list).await;
    assert_eq!(report["status"], "failed", "{report}");
    let run = id_of(&report);

    let console = admin(&w).await;
    let page = console.get(&format!("/runs/{run}")).await;
    assert_ok(&page);
    assert!(
        page.text()
            .contains("<strong>The CRM refused the password.</strong> Reconfirm Login"),
        "{}",
        page.body
    );
    page.assert_shows(&format!(
        "href=\"/connectors/{}/reconfirm\">Reconfirm Login</a>",
        w.connector
    ));

    // A marketer cannot open the connector's page: they are told to ask an admin.
    let marketer = w
        .app
        .signed_in("acme", "mark@acme.example", Role::Marketer)
        .await;
    let page = marketer.get(&format!("/runs/{run}")).await;
    assert_ok(&page);
    assert!(
        page.text()
            .contains("Ask an admin of your account to Reconfirm Login")
    );
    assert!(
        !page.body.contains("/reconfirm\""),
        "no link a marketer may not follow"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_after_crm_edits_shows_old_and_new_values_and_runs_for_real() {
    let w = world(crm_config(8, 0)).await;
    let list = w.pulling_lead_list(&["Title"]).await;
    let members = w.members(list).await;
    let edited: Vec<_> = members.iter().take(2).collect();
    let keys: Vec<String> = edited
        .iter()
        .map(|m| m.crm.clone().expect("linked").key)
        .collect();
    w.crm_update(Kind::Lead, &keys, &[("Title", "Chief <Preview> Officer")]);
    let run = w.run_now(list, true).await;
    let report = w.wait_run(&run).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    let console = admin(&w).await;

    let page = console.get(&format!("/runs/{run}")).await;
    assert_ok(&page);
    let text = page.text();
    assert!(text.contains("Preview of a sync of"), "{text}");
    assert!(text.contains("nothing was written"), "{text}");
    assert!(
        text.contains("Would update from the CRM <span class=\"badge ok\">2</span>"),
        "{text}"
    );
    for member in &edited {
        assert!(text.contains(&member.email), "{text}");
        let old = member
            .values
            .get("Title")
            .cloned()
            .flatten()
            .unwrap_or_else(|| "(blank)".into());
        assert!(
            text.contains(&format!(
                "<span class=\"run-field\">Title</span>: <del>{old}</del> → <ins>Chief <Preview> Officer</ins>"
            )),
            "old → new for {}: {text}",
            member.email
        );
    }
    assert_eq!(
        text.matches("data-outcome=\"planned_pull_update\"").count(),
        2,
        "only the edited: {text}"
    );
    assert!(!page.body.contains("Chief <Preview>"), "values are escaped");
    page.assert_shows(&format!("action=\"/lists/{list}/run\""));
    page.assert_shows("name=\"mode\" value=\"run\"");
    page.assert_shows("Run it for real");
    // Nothing was written by the preview.
    let after = w.members(list).await;
    assert!(
        after
            .iter()
            .all(|m| m.values.get("Title").cloned().flatten().as_deref()
                != Some("Chief <Preview> Officer"))
    );
}
