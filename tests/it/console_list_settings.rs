//! The console's list page over plain HTTP against the fake Infor CRM, its settings
//! tabs: *Add List Columns*, *Standard Field Names*, *Optimize for Infor CRM*, rename,
//! delete behind its confirmation, account isolation, and a run's live progress in
//! the header. The members tab is in `console_list_page.rs`.

use crate::support::console::unescape;
use crate::support::list_page::setup;
use crate::support::lists::{all_members, upload};
use infor_crm_fake::{FaultConfig, Kind};
use listbridge::store::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_standard_field_names_and_optimize() {
    let s = setup(5).await;
    let columns_path = format!("/lists/{}/columns", s.list);

    let picker = s.console.get(&columns_path).await;
    assert_eq!(picker.status, 200, "{picker:?}");
    assert!(
        picker.body.contains("value=\"Title\""),
        "CRM fields offered"
    );
    assert!(
        !picker.body.contains("name=\"fields\" value=\"Company\"")
            && !picker.body.contains("name=\"fields\" value=\"Email\""),
        "fields already in the list are left out"
    );

    let none = s.console.post(&columns_path, &[]).await;
    assert_eq!(none.status, 422);
    none.assert_message("fields-error", "at least one");
    let unknown = s
        .console
        .post(
            &columns_path,
            &[("fields", "Title"), ("fields", "NoSuchField")],
        )
        .await;
    assert_eq!(unknown.status, 422, "{unknown:?}");
    unknown.assert_message("fields-error", "'NoSuchField'");
    assert!(
        unknown.body.contains("value=\"Title\" checked"),
        "the ticked field stays ticked"
    );

    let added = s.console.post(&columns_path, &[("fields", "Title")]).await;
    assert_eq!(added.status, 303, "{added:?}");
    let location = added.location.expect("redirect");
    let shown = s.console.get(&location).await;
    assert!(
        shown
            .body
            .contains("Columns added. They are filled from the CRM on the next sync.")
    );
    assert!(shown.body.contains("badge warn\">pending</span>"));
    let (_, detail) = s.env.get(&format!("/v1/lists/{}", s.list)).await;
    let title = detail["columns"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "Title"))
        .expect("Title column");
    assert_eq!(title["pending"], true);
    let members = s.console.get(&format!("/lists/{}", s.list)).await;
    assert!(
        members.body.contains("Title <span class=\"badge warn\""),
        "pending in the table head"
    );

    // Standard Field Names.
    let fields_path = format!("/lists/{}/fields", s.list);
    let page = s.console.get(&fields_path).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("<option value=\"business_postal_code\">Business Postal Code</option>")
    );
    let saved = s
        .console
        .post(&fields_path, &[("column", "Company"), ("usage", "company")])
        .await;
    assert_eq!(saved.status, 303, "{saved:?}");
    let page = s.console.get(&saved.location.expect("redirect")).await;
    assert!(page.body.contains("Standard Field Name saved."));
    assert!(page.body.contains("<option value=\"company\" selected>"));
    let (_, usages) = s.env.get("/v1/field-usages").await;
    assert!(
        usages["usages"]
            .as_array()
            .is_some_and(|u| u.contains(&json!({ "column": "Company", "usage": "company" }))),
        "{usages}"
    );
    let refused = s
        .console
        .post(
            &fields_path,
            &[("column", "Company"), ("usage", "nickname")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        unescape(&refused.body).contains("'nickname' is not a system usage"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("aria-invalid=\"true\""));
    let removed = s
        .console
        .post(&fields_path, &[("column", "Company"), ("usage", "")])
        .await;
    assert_eq!(removed.status, 303);
    assert!(
        s.console
            .get(&removed.location.expect("redirect"))
            .await
            .body
            .contains("Standard Field Name removed.")
    );
    let (_, usages) = s.env.get("/v1/field-usages").await;
    assert_eq!(usages["usages"], json!([]));

    // Optimize for Infor CRM: the standard address columns added and mapped.
    let optimized = s
        .console
        .post(&format!("/lists/{}/optimize", s.list), &[])
        .await;
    assert_eq!(optimized.status, 303, "{optimized:?}");
    let page = s.console.get(&optimized.location.expect("redirect")).await;
    let notice = page
        .body
        .split("class=\"notice\" role=\"status\">")
        .nth(1)
        .and_then(|n| n.split('<').next())
        .expect("a notice");
    assert!(notice.starts_with("Optimized for Infor CRM."), "{notice}");
    assert!(
        notice.contains("Added: Business Street → Business Street, Business City → Business City")
            && notice.contains("(filled from the CRM on the next sync)"),
        "{notice}"
    );
    let (_, detail) = s.env.get(&format!("/v1/lists/{}", s.list)).await;
    let city = detail["columns"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "Business City"))
        .expect("Business City column");
    assert_eq!(city["usage"], "business_city");
    assert_eq!(city["pending"], true);
    let again = s
        .console
        .post(&format!("/lists/{}/optimize", s.list), &[])
        .await;
    let page = s.console.get(&again.location.expect("redirect")).await;
    assert!(
        page.body
            .contains("Already mapped: Business Street → Business Street")
    );
    assert!(page.body.contains("nothing changed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_list_takes_plain_columns_rename_refuses_a_duplicate_and_delete_confirms() {
    let s = setup(5).await;
    let (status, report) = upload(
        &s.env.app,
        &s.env.key,
        "name=Customers",
        "Email,Given\nann@example.com,Ann\n",
    )
    .await;
    assert_eq!(status, 201, "{report}");
    let uploaded = report["list"]["id"].as_str().expect("id").to_string();

    // Plain column names on an uploaded list.
    let page = s.console.get(&format!("/lists/{uploaded}/columns")).await;
    assert!(page.body.contains("<textarea id=\"names\" name=\"names\""));
    let added = s
        .console
        .post(
            &format!("/lists/{uploaded}/columns"),
            &[("names", "Tier, Score\nRegion")],
        )
        .await;
    assert_eq!(added.status, 303, "{added:?}");
    let (_, detail) = s.env.get(&format!("/v1/lists/{uploaded}")).await;
    let names: Vec<&str> = detail["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, vec!["Given", "Tier", "Score", "Region"]);
    let clash = s
        .console
        .post(&format!("/lists/{uploaded}/columns"), &[("names", "given")])
        .await;
    assert_eq!(clash.status, 409);
    clash.assert_message("names-error", "already has the column");
    assert!(
        clash.body.contains(">given</textarea>"),
        "the typed names are kept"
    );

    // Rename: a duplicate refused beside the field with the typed name kept.
    let settings = format!("/lists/{}/settings", s.list);
    let rename = format!("/lists/{}/rename", s.list);
    let refused = s.console.post(&rename, &[("name", "Customers")]).await;
    assert_eq!(refused.status, 409, "{refused:?}");
    refused.assert_message("name-error", "a list named 'Customers' already exists");
    assert!(
        refused
            .body
            .contains("id=\"name\" name=\"name\" value=\"Customers\"")
    );
    let empty = s.console.post(&rename, &[("name", "  ")]).await;
    assert_eq!(empty.status, 422);
    empty.assert_message("name-error", "must not be empty");
    let renamed = s.console.post(&rename, &[("name", "Leads 2026")]).await;
    assert_eq!(renamed.status, 303);
    assert_eq!(
        renamed.location.as_deref(),
        Some(format!("{settings}?done=renamed").as_str())
    );
    assert!(
        s.console
            .get(&format!("{settings}?done=renamed"))
            .await
            .body
            .contains("List renamed.")
    );
    let (_, detail) = s.env.get(&format!("/v1/lists/{}", s.list)).await;
    assert_eq!(detail["name"], "Leads 2026");

    // Delete: the confirmation first, then the list is gone and the CRM untouched.
    let crm_leads = s.env.crm.state().count(Kind::Lead);
    let confirm = s.console.get(&format!("/lists/{}/delete", s.list)).await;
    assert_eq!(confirm.status, 200);
    for words in [
        "Delete the list “Leads 2026”?",
        "members and their values",
        "columns;",
        "its segments (it has none)",
        "its runs and their reports",
        "its schedule (it has none)",
        "Nothing is deleted in the CRM:",
        "the leads this list was imported from stay as they are",
    ] {
        assert!(confirm.body.contains(words), "{words}: {}", confirm.body);
    }
    let (status, _) = s.env.get(&format!("/v1/lists/{}", s.list)).await;
    assert_eq!(status, 200, "the confirmation page deletes nothing");
    let deleted = s
        .console
        .post(&format!("/lists/{}/delete", s.list), &[])
        .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(deleted.location.as_deref(), Some("/lists?done=deleted"));
    let (status, _) = s.env.get(&format!("/v1/lists/{}", s.list)).await;
    assert_eq!(status, 404);
    assert_eq!(
        s.env.crm.state().count(Kind::Lead),
        crm_leads,
        "nothing deleted in the CRM"
    );
    assert_eq!(
        s.console.get(&format!("/lists/{}", s.list)).await.status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_list_and_malformed_ids_are_not_found() {
    let s = setup(3).await;
    let member = all_members(&s.env.app, &s.env.key, &s.list).await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    s.env.app.create_account("globex").await;
    s.env
        .app
        .create_user("globex", "gus@globex.example", Role::Admin)
        .await;
    let other = s.env.app.sign_in("gus@globex.example").await;
    for path in [
        format!("/lists/{}", s.list),
        format!("/lists/{}/members/{member}", s.list),
        format!("/lists/{}/members/new", s.list),
        format!("/lists/{}/columns", s.list),
        format!("/lists/{}/fields", s.list),
        format!("/lists/{}/settings", s.list),
        format!("/lists/{}/delete", s.list),
        "/lists/not-a-list-id".to_string(),
        format!("/lists/{}/members/not-a-member-id", s.list),
    ] {
        let page = other.get(&path).await;
        assert_eq!(page.status, 404, "{path}: {page:?}");
        assert!(page.body.contains("Not found"), "{path}: the 404 page");
        assert!(!page.body.contains("All Infor CRM Leads"), "{path}");
    }
    for (path, form) in [
        (
            format!("/lists/{}/rename", s.list),
            vec![("name", "Mine now")],
        ),
        (format!("/lists/{}/delete", s.list), vec![]),
        (
            format!("/lists/{}/members/{member}", s.list),
            vec![("v.Company", "X")],
        ),
        (format!("/lists/{}/members/{member}/remove", s.list), vec![]),
        (format!("/lists/{}/optimize", s.list), vec![]),
    ] {
        let page = other.post(&path, &form).await;
        assert_eq!(page.status, 404, "{path}: {page:?}");
    }
    let (status, detail) = s.env.get(&format!("/v1/lists/{}", s.list)).await;
    assert_eq!(status, 200);
    assert_eq!(detail["name"], "All Infor CRM Leads");
    assert_eq!(s.console.get("/lists/not-a-list-id").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_in_progress_shows_its_live_progress_in_the_header() {
    let s = setup(3).await;
    // A slow CRM keeps the next import running while the page is read.
    s.env.crm.state().set_faults(FaultConfig {
        latency_ms: 1_500,
        ..FaultConfig::default()
    });
    let (status, body) = s
        .env
        .start_import(
            &json!({ "connector": s.env.connector, "entity": "lead", "name": "Slow leads" }),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let (list, run) = (
        body["list"]["id"].as_str().expect("list id"),
        body["run_id"].as_str().expect("run id"),
    );
    let page = s.console.get(&format!("/lists/{list}")).await;
    assert_eq!(page.status, 200, "{page:?}");
    page.assert_shows(&format!(
        "<div hx-get=\"/runs/{run}/progress\" hx-trigger=\"load\" hx-swap=\"outerHTML\"></div>"
    ));
    assert!(page.body.contains(">importing</span>"));
    s.env.crm.state().clear_faults();
    let report = s.env.wait_run(run).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    let page = s.console.get(&format!("/lists/{list}")).await;
    assert!(
        !page.body.contains("/progress\""),
        "no progress once the run ended"
    );
    assert!(page.body.contains(">ready</span>"));
}
