//! Two CRMs in one account (issue 17): two Infor CRMs connected side by side, a list
//! imported from each synced at the same time, an uploaded list pushing to the one its
//! setup chose (and refused until it chooses), and *Delete connector* naming what uses
//! each.

use infor_crm_fake::{FakeCrm, Kind};
use listbridge::store::Role;
use serde_json::json;

use crate::support::{
    assert_problem,
    world::{World, connect, connect_body, crm_config, world},
};

/// The world's CRM and a second, independent one connected to the same account.
async fn two_crms() -> (World, FakeCrm, String) {
    let w = world(crm_config(30, 0)).await;
    let second = FakeCrm::start(crm_config(20, 0))
        .await
        .expect("the second fake CRM starts");
    let id = connect(&w.app, &w.key, &second).await;
    (w, second, id.as_db())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_infor_crms_sync_side_by_side_and_an_upload_pushes_where_it_was_told() {
    let (w, second, second_id) = two_crms().await;

    // The same CRM twice is refused; a second one of the same kind was not.
    let again = w
        .app
        .post(
            "/v1/connectors",
            &w.key,
            &connect_body(&second.base_url(), "password"),
        )
        .await;
    assert_problem(again, 409, "already_connected").await;

    // A list imported from each, synced at the same time.
    let (status, first_import) = w
        .start_import(&json!({ "connector": w.connector, "entity": "lead", "fields": ["Title"] }))
        .await;
    assert_eq!(status, 202, "{first_import}");
    let (status, second_import) = w
        .start_import(&json!({ "connector": second_id, "entity": "lead", "fields": ["Title"] }))
        .await;
    assert_eq!(status, 202, "{second_import}");
    // Two Infor CRMs: each default list name says which.
    for (import, crm) in [(&first_import, &w.crm), (&second_import, &second)] {
        let host = crm.base_url().trim_start_matches("http://").to_string();
        assert_eq!(
            import["list"]["name"],
            json!(format!("All Infor CRM Leads ({host})")),
            "{import}"
        );
    }
    let (a, b) = tokio::join!(
        w.wait_run(first_import["run_id"].as_str().unwrap_or_default()),
        w.wait_run(second_import["run_id"].as_str().unwrap_or_default())
    );
    assert_eq!(
        (&a["status"], &b["status"]),
        (&json!("succeeded"), &json!("succeeded"))
    );
    assert_eq!(a["counts"]["pulled_new"], 30, "{a}");
    assert_eq!(b["counts"]["pulled_new"], 20, "{b}");

    // An uploaded list must say which CRM it pushes to.
    let (upload, rows) = w.people_list(7, "two-crms.example").await;
    let push = json!({ "push": { "enabled": true, "add_new": true } });
    let refused = w
        .app
        .put(&format!("/v1/lists/{upload}/sync"), &w.key, &push)
        .await;
    let problem = assert_problem(refused, 422, "connector_required").await;
    assert_eq!(
        problem["details"]["names"],
        json!(["connector_id"]),
        "{problem}"
    );

    let mut chosen = push.clone();
    chosen["connector_id"] = json!(second_id);
    w.save_sync(upload, &chosen).await;
    let (_, saved) = w.get(&format!("/v1/lists/{upload}/sync")).await;
    assert_eq!(saved["connector_id"], json!(second_id), "{saved}");

    let first_leads = w.crm_leads().len();
    let report = w.sync(upload).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["counts"]["pushed_new"], 7, "{report}");
    assert_eq!(
        w.crm_leads().len(),
        first_leads,
        "nothing pushed to the other CRM"
    );
    let second_leads = second.state().records(Kind::Lead);
    assert_eq!(second_leads.len(), 27);
    for (email, _) in &rows {
        let held = second_leads
            .iter()
            .filter(|r| {
                r.text("Email")
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .count();
        assert_eq!(held, 1, "{email} is a lead of the chosen CRM once");
    }

    // A list imported from a CRM cannot be pointed at another.
    let imported = first_import["list"]["id"].as_str().unwrap_or_default();
    let elsewhere = w
        .app
        .put(&format!("/v1/lists/{imported}/sync"), &w.key, &chosen)
        .await;
    assert_problem(elsewhere, 422, "connector_not_allowed").await;

    // Each connector is refused for deletion, naming what uses it.
    let refused = w
        .app
        .delete(&format!("/v1/connectors/{second_id}"), &w.key)
        .await;
    let problem = assert_problem(refused, 409, "connector_in_use").await;
    let lists = problem["details"]["lists"].to_string();
    assert!(lists.contains("Upload"), "{problem}");
    let second_list = second_import["list"]["name"].as_str().unwrap_or_default();
    assert!(lists.contains(second_list), "{problem}");
    let refused = w
        .app
        .delete(&format!("/v1/connectors/{}", w.connector), &w.key)
        .await;
    let problem = assert_problem(refused, 409, "connector_in_use").await;
    assert!(
        !problem["details"]["lists"].to_string().contains("Upload"),
        "{problem}"
    );
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_asks_an_uploaded_list_which_crm_it_pushes_to() {
    let (w, second, second_id) = two_crms().await;
    let (upload, _) = w.people_list(3, "console-two.example").await;
    let console = w
        .app
        .signed_in("acme", "marketer@acme.example", Role::Marketer)
        .await;
    let path = format!("/lists/{upload}/sync");
    let page = console.get(&path).await;
    assert_eq!(page.status, 200, "{page:?}");
    page.assert_shows("<label for=\"connector_id\">CRM to push to</label>");
    page.assert_shows(&format!(
        "<option value=\"{second_id}\">Infor CRM at {}",
        second.base_url()
    ));

    let unchosen = console
        .post(&path, &[("push_enabled", "on"), ("push_add_new", "on")])
        .await;
    assert_eq!(unchosen.status, 422, "{unchosen:?}");
    unchosen.assert_message("connector_id-error", "several CRMs");

    let saved = console
        .post(
            &path,
            &[
                ("push_enabled", "on"),
                ("push_add_new", "on"),
                ("connector_id", &second_id),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{saved:?}");
    let (_, setup) = w.get(&format!("/v1/lists/{upload}/sync")).await;
    assert_eq!(setup["connector_id"], json!(second_id), "{setup}");
    let again = console.get(&path).await;
    again.assert_shows(&format!("<option value=\"{second_id}\" selected>"));

    // A list imported from a CRM offers no choice.
    let imported = w.imported_list("lead", &["Title"]).await;
    let page = console.get(&format!("/lists/{imported}/sync")).await;
    assert!(
        !page.body.contains("name=\"connector_id\""),
        "{}",
        page.body
    );
    second.shutdown().await;
}

/// With two CRMs a "message sent" report that wants notes names the one they go to:
/// refused without it (naming both), and written into that CRM alone with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_report_says_which_crm_its_notes_go_to_when_there_are_two() {
    let (w, second, second_id) = two_crms().await;
    // Both fakes are seeded alike: a lead only the second CRM has.
    let email = "only.second@crm-two.example";
    let mut fields = serde_json::Map::new();
    for (k, v) in [
        ("FirstName", "Sam"),
        ("LastName", "Second"),
        ("Company", "Second Co"),
        ("Email", email),
    ] {
        fields.insert(k.into(), json!(v));
    }
    second
        .state()
        .insert_record(Kind::Lead, &fields)
        .expect("lead inserted");
    let report = |connector: Option<&str>| {
        let mut body = json!({
            "campaign_id": "two-crms",
            "subject": "Autumn news",
            "sent_at": "2025-10-01T08:30:00Z",
            "recipients": [{ "email": email, "preview_url": "https://mail.example.com/p/1" }]
        });
        if let Some(id) = connector {
            body["connector_id"] = json!(id);
        }
        body
    };

    let refused = w.app.post("/v1/messages/sent", &w.key, &report(None)).await;
    let body = assert_problem(refused, 422, "connector_required").await;
    let message = body["message"].as_str().unwrap_or_default();
    for id in [w.connector.as_db(), second_id.clone()] {
        assert!(message.contains(&id), "names connector {id}: {message}");
    }

    let history = |crm: &FakeCrm| crm.state().records(Kind::History).len();
    let first_before = history(&w.crm);
    let (status, recorded) = w.post("/v1/messages/sent", &report(Some(&second_id))).await;
    assert_eq!(status, 202, "{recorded}");
    let counts = w.wait_notes("two-crms").await;
    assert_eq!(counts["delivered"], 1, "{counts}");
    assert_eq!(history(&second), 1, "the note is in the CRM named");
    assert_eq!(history(&w.crm), first_before, "and not in the other");
}
