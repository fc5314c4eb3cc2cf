//! The console's *Sync* tab over plain HTTP against the fake Infor CRM: the setup
//! form's defaults, a saved setup equal to what the JSON API returns, refusals beside
//! the control they concern with the choices kept, and *Run Now* / *Preview (dry run)*
//! landing on the run (the active one on a second press).

use crate::support::console::{Console, Page};
use crate::support::services::api_only;
use crate::support::world::{World, crm_config, world, world_with};
use listbridge::store::Role;
use serde_json::json;

/// A marketer of the world's account, signed in.
async fn marketer(w: &World) -> Console {
    w.app
        .signed_in("acme", "marketer@acme.example", Role::Marketer)
        .await
}

/// The `<input …>` tag whose attributes hold `attrs` (e.g. `name="x" value="y"`).
#[track_caller]
fn input<'a>(page: &'a Page, attrs: &str) -> &'a str {
    let at = page
        .body
        .find(attrs)
        .unwrap_or_else(|| panic!("no input with {attrs} in: {}", page.body));
    let start = page.body[..at].rfind('<').expect("tag start");
    let end = at + page.body[at..].find('>').expect("tag end");
    &page.body[start..=end]
}

/// Whether the input with `attrs` is ticked.
#[track_caller]
fn ticked(page: &Page, attrs: &str) -> bool {
    input(page, attrs).contains(" checked")
}

/// Every value offered for the checkbox group `name`.
fn values(page: &Page, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\" value=\"");
    page.body
        .match_indices(&marker)
        .filter_map(|(at, _)| {
            let rest = &page.body[at + marker.len()..];
            rest.find('"').map(|end| rest[..end].to_string())
        })
        .collect()
}

/// The run id a Run Now answer redirects to.
#[track_caller]
fn run_of(page: &Page) -> String {
    assert_eq!(page.status, 303, "{page:?}");
    let location = page.location.as_deref().expect("location");
    let id = location
        .strip_prefix("/runs/")
        .unwrap_or_else(|| panic!("to a run page: {location}"));
    id.split('?').next().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_offers_the_columns_with_the_product_defaults() {
    let w = world(crm_config(5, 0)).await;
    let list = w.imported_list("lead", &["Title"]).await;
    let console = marketer(&w).await;

    let page = console.get(&format!("/lists/{list}/sync")).await;
    assert_eq!(page.status, 200, "{page:?}");
    page.assert_shows(&format!(
        "href=\"/lists/{list}/sync\" aria-current=\"page\">Sync</a>"
    ));
    for tab in ["runs", "schedule", "segments"] {
        page.assert_shows(&format!("href=\"/lists/{list}/{tab}\""));
    }
    assert!(!ticked(&page, "name=\"push_enabled\""));
    assert!(!ticked(&page, "name=\"pull_enabled\""));
    let push = values(&page, "push_fields");
    assert!(push.contains(&"Title".to_string()), "{push:?}");
    assert_eq!(
        push,
        values(&page, "pull_fields"),
        "the same columns both ways"
    );
    for field in &push {
        assert!(
            !ticked(&page, &format!("name=\"push_fields\" value=\"{field}\"")),
            "push {field}"
        );
        assert!(
            ticked(&page, &format!("name=\"pull_fields\" value=\"{field}\"")),
            "pull {field}"
        );
    }
    assert!(ticked(&page, "value=\"crm_wins\""));
    assert!(!ticked(&page, "value=\"list_wins\""));
    let text = page.text();
    assert!(text.contains("Add new records as leads"), "{text}");
    assert!(text.contains("The list's value is kept and sent to the CRM."));
    // Nothing saved yet: Run Now says so before it is pressed.
    page.assert_message("run-blocked", "Save the sync setup first");

    // An uploaded list cannot pull, and the page says why instead of offering it.
    let (upload, _) = w.people_list(2, "defaults.example").await;
    let page = console.get(&format!("/lists/{upload}/sync")).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(
        !page.body.contains("name=\"pull_enabled\""),
        "{}",
        page.body
    );
    page.assert_message("pull-why", "can only push");
    assert!(values(&page, "push_fields").contains(&"FirstName".to_string()));

    assert_eq!(console.get("/lists/not-an-id/sync").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_title_and_pull_all_is_saved_as_the_api_returns_it() {
    let w = world(crm_config(5, 0)).await;
    let list = w.imported_list("lead", &["Title"]).await;
    let console = marketer(&w).await;
    let path = format!("/lists/{list}/sync");
    let pull_fields = values(&console.get(&path).await, "pull_fields");

    let mut form: Vec<(&str, &str)> = vec![
        ("push_enabled", "on"),
        ("push_update_existing", "on"),
        ("push_fields", "Title"),
        ("pull_shown", "1"),
        ("pull_enabled", "on"),
        ("pull_add_new", "on"),
        ("pull_update_existing", "on"),
        ("conflict_rule", "newest_wins"),
    ];
    form.extend(pull_fields.iter().map(|f| ("pull_fields", f.as_str())));
    let saved = console.post(&path, &form).await;
    assert_eq!(saved.status, 303, "{saved:?}");
    assert_eq!(
        saved.location.as_deref(),
        Some(&*format!("{path}?done=sync_saved"))
    );

    let (status, body) = w.get(&format!("/v1/lists/{list}/sync")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({
            "push": { "enabled": true, "add_new": false, "update_existing": true, "fields": ["Title"] },
            "pull": { "enabled": true, "add_new": true, "update_existing": true, "fields": null },
            "conflict_rule": "newest_wins",
        })
    );

    let page = console.get(&format!("{path}?done=sync_saved")).await;
    assert!(page.text().contains("Sync setup saved."), "{}", page.body);
    assert!(ticked(&page, "name=\"push_fields\" value=\"Title\""));
    assert!(ticked(&page, "name=\"pull_enabled\""));
    assert!(ticked(&page, "value=\"newest_wins\""));
    assert!(
        page.message("run-blocked").is_none(),
        "saved: Run Now can run"
    );

    // Unticking a pull field excludes it, and only it.
    let mut form: Vec<(&str, &str)> = vec![
        ("pull_shown", "1"),
        ("pull_enabled", "on"),
        ("pull_update_existing", "on"),
    ];
    form.extend(
        pull_fields
            .iter()
            .filter(|f| *f != "Title")
            .map(|f| ("pull_fields", f.as_str())),
    );
    assert_eq!(console.post(&path, &form).await.status, 303);
    let (_, body) = w.get(&format!("/v1/lists/{list}/sync")).await;
    let pulled: Vec<&str> = body["pull"]["fields"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(pulled.len(), pull_fields.len() - 1, "{body}");
    assert!(!pulled.contains(&"Title"), "{body}");
    assert_eq!(
        body["push"]["enabled"], false,
        "push unticked is off: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_show_beside_the_control_with_the_choices_kept() {
    let w = world(crm_config(5, 0)).await;
    let list = w.imported_list("lead", &["Title", "CreateDate"]).await;
    let console = marketer(&w).await;
    let before = w.get(&format!("/v1/lists/{list}/sync")).await;

    // A field the CRM maintains itself cannot be a push-update field.
    let path = format!("/lists/{list}/sync");
    assert!(values(&console.get(&path).await, "push_fields").contains(&"CreateDate".to_string()));
    let page = console
        .post(
            &path,
            &[
                ("push_enabled", "on"),
                ("push_update_existing", "on"),
                ("push_fields", "Title"),
                ("push_fields", "CreateDate"),
                ("conflict_rule", "list_wins"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{page:?}");
    page.assert_message("push_fields-error", "'CreateDate'");
    page.assert_message("push_fields-error", "cannot be push-update fields");
    assert!(ticked(&page, "name=\"push_fields\" value=\"CreateDate\""));
    assert!(ticked(&page, "name=\"push_fields\" value=\"Title\""));
    assert!(ticked(&page, "name=\"push_enabled\""));
    assert!(ticked(&page, "value=\"list_wins\""));
    assert_eq!(
        w.get(&format!("/v1/lists/{list}/sync")).await,
        before,
        "nothing saved"
    );

    // Pull asked of an uploaded list (a hand-made request: the page does not offer it).
    let (upload, _) = w.people_list(2, "refusals.example").await;
    let page = console
        .post(
            &format!("/lists/{upload}/sync"),
            &[
                ("push_enabled", "on"),
                ("push_add_new", "on"),
                ("pull_enabled", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{page:?}");
    page.assert_message(
        "pull-error",
        "it can only push to the CRM, not pull from it",
    );
    assert!(ticked(&page, "name=\"push_add_new\""));

    // Address columns without Standard Field Names: named beside Push.
    let address = w
        .uploaded_list(
            "Addresses",
            &[("Email", Some("email")), ("City", None)],
            &[("a@addr.example", vec![("City", "Leeds")])],
        )
        .await;
    let page = console
        .post(&format!("/lists/{address}/sync"), &[("push_enabled", "on")])
        .await;
    assert_eq!(page.status, 422, "{page:?}");
    page.assert_message("push-error", "'City'");
    page.assert_shows(&format!("href=\"/lists/{address}/fields\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_now_lands_on_the_run_which_succeeds() {
    let w = world(crm_config(5, 0)).await;
    let list = w.pulling_lead_list(&["Title"]).await;
    let console = marketer(&w).await;

    let pressed = console
        .post(&format!("/lists/{list}/run"), &[("mode", "run")])
        .await;
    let run = run_of(&pressed);
    let report = w.wait_run(&run).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["dry_run"], false, "{report}");
    let page = console.get(&format!("/runs/{run}")).await;
    assert_eq!(page.status, 200, "{page:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_makes_a_dry_run() {
    let w = world(crm_config(5, 0)).await;
    let list = w.pulling_lead_list(&["Title"]).await;
    let console = marketer(&w).await;

    let pressed = console
        .post(&format!("/lists/{list}/run"), &[("mode", "preview")])
        .await;
    let run = run_of(&pressed);
    let report = w.wait_run(&run).await;
    assert_eq!(report["dry_run"], true, "{report}");
    assert_eq!(report["status"], "succeeded", "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_press_lands_on_the_active_run() {
    // No workers: the first run stays queued.
    let w = world_with(crm_config(5, 0), api_only()).await;
    let (list, _) = w.people_list(3, "twice.example").await;
    let console = marketer(&w).await;
    let run_path = format!("/lists/{list}/run");

    // Before a setup is saved Run Now is refused in words, on the sync page.
    let refused = console.post(&run_path, &[("mode", "run")]).await;
    assert_eq!(refused.status, 409, "{refused:?}");
    refused.assert_message("run-error", "Save the sync setup first");

    w.push_new_members(list).await;
    let first = console.post(&run_path, &[("mode", "run")]).await;
    let run = run_of(&first);
    assert_eq!(first.location.as_deref(), Some(&*format!("/runs/{run}")));
    let second = console.post(&run_path, &[("mode", "run")]).await;
    assert_eq!(
        second.location.as_deref(),
        Some(&*format!("/runs/{run}?done=already_running")),
        "{second:?}"
    );
    let page = console
        .get(second.location.as_deref().unwrap_or_default())
        .await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(
        page.text().contains("already has a run in progress"),
        "{}",
        page.body
    );
    let (_, history) = w.get(&format!("/v1/lists/{list}/runs")).await;
    assert_eq!(history.as_array().map(Vec::len), Some(1), "{history}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_segment_pushes_and_says_why_it_cannot_pull() {
    let w = world_with(crm_config(5, 0), api_only()).await;
    let (list, _) = w.people_list(6, "segment.example").await;
    let filter = json!({ "combine": "all", "conditions": [
        { "column": "Company", "op": "equals", "value": "Company 3" }
    ] });
    let segment = w.create_segment(list, "Company 3 only", &filter).await;
    let console = marketer(&w).await;
    let path = format!("/segments/{segment}/sync");

    let page = console.get(&path).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.text().contains("Company 3 only"));
    page.assert_message("pull-why", "A segment can only push");
    let saved = console
        .post(&path, &[("push_enabled", "on"), ("push_add_new", "on")])
        .await;
    assert_eq!(saved.status, 303, "{saved:?}");
    let (_, body) = w.get(&format!("/v1/segments/{segment}/sync")).await;
    assert_eq!(body["push"]["add_new"], true, "{body}");
    let pressed = console
        .post(&format!("/segments/{segment}/run"), &[("mode", "run")])
        .await;
    let run = run_of(&pressed);
    let (_, report) = w.get(&format!("/v1/runs/{run}")).await;
    assert_eq!(report["segment_id"], json!(segment), "{report}");
}
