//! The console's lists table, *Import Leads / Contacts* and a run's live progress, over
//! plain HTTP against the fake Infor CRM.

mod common;
mod lists_support;

use std::time::Duration;

use common::console::{Console, Page};
use infor_crm_fake::{FakeConfig, FakeCrm, Fault, FaultConfig, FaultRule, Kind};
use listbridge::store::Role;
use lists_support::connect;
use serde_json::{Map, json};

/// The lead whose name must only ever show as text.
const XSS: &str = "<script>alert(1)</script>";
/// How it shows, escaped.
const XSS_ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

/// Leads the fake CRM starts with (plus the XSS lead).
const LEADS: usize = 300;

/// A fake CRM with generated leads and one lead named like a script.
async fn crm_with_xss_lead() -> FakeCrm {
    let crm = FakeCrm::start(FakeConfig {
        leads: LEADS,
        ..FakeConfig::default()
    })
    .await
    .expect("fake CRM starts");
    let mut lead = Map::new();
    lead.insert("FirstName".into(), json!(XSS));
    lead.insert("LastName".into(), json!(XSS));
    lead.insert("Email".into(), json!("xss@example.com"));
    lead.insert("Region".into(), json!(XSS));
    lead.insert("Company".into(), json!(XSS));
    crm.state()
        .insert_record(Kind::Lead, &lead)
        .expect("XSS lead added");
    crm
}

/// Asserts a console page never carries the script lead's name unescaped.
fn assert_escaped(page: &Page) {
    assert!(
        !page.body.contains(XSS),
        "unescaped CRM/list value in a page: {}",
        page.body
    );
}

/// The run id of a redirect to `/runs/{id}`.
fn run_id_of(page: &Page) -> String {
    assert_eq!(page.status, 303, "{page:?}");
    let location = page.location.as_deref().expect("redirect target");
    location
        .strip_prefix("/runs/")
        .unwrap_or_else(|| panic!("redirected to the run's page, not {location}"))
        .to_string()
}

/// Polls a run's fragment until it says the run ended; every fragment of an active run
/// polls itself, the ended one does not. Returns the last fragment.
async fn poll_until_ended(console: &Console, run: &str) -> Page {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let fragment = console.get(&format!("/runs/{run}/progress")).await;
        assert_eq!(fragment.status, 200, "{fragment:?}");
        assert_escaped(&fragment);
        let active = fragment.body.contains(">Queued<") || fragment.body.contains(">Running<");
        if active {
            assert!(
                fragment
                    .body
                    .contains(&format!("hx-get=\"/runs/{run}/progress\""))
                    && fragment.body.contains("hx-trigger=\"every 1s\"")
                    && fragment.body.contains("hx-swap=\"outerHTML\""),
                "an active run's fragment polls itself: {}",
                fragment.body
            );
        } else {
            return fragment;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the run did not end: {}",
            fragment.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The checkbox of CRM field `name` is ticked in a page.
fn ticked(page: &Page, name: &str) -> bool {
    page.body
        .contains(&format!("name=\"fields\" value=\"{name}\" checked"))
}

/// The text of the error paragraph with id `id`.
fn error_text<'p>(page: &'p Page, id: &str) -> &'p str {
    let marker = format!("id=\"{id}\">");
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {}", page.body))
        + marker.len();
    let end = page.body[start..].find('<').unwrap_or(0);
    &page.body[start..start + end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marketer_imports_leads_with_custom_fields_and_watches_it_to_the_end() {
    let crm = crm_with_xss_lead().await;
    let app = common::spawn_app().await;
    let key = app.create_account("acme").await;
    let connector = connect(&app, &key, &crm).await;
    app.create_user("acme", "mia@acme.example", Role::Marketer)
        .await;
    let console = app.sign_in("mia@acme.example").await;

    let empty = console.get("/lists").await;
    assert_eq!(empty.status, 200, "{empty:?}");
    for button in [
        "href=\"/lists/import?entity=lead\">Import Leads<",
        "href=\"/lists/import?entity=contact\">Import Contacts<",
        "href=\"/lists/upload\">Upload CSV<",
    ] {
        assert!(empty.body.contains(button), "{button}: {}", empty.body);
    }
    assert!(empty.body.contains("No lists yet"), "{}", empty.body);

    let form = console.get("/lists/import?entity=lead").await;
    assert_eq!(form.status, 200, "{form:?}");
    assert!(
        form.body.contains("value=\"All Infor CRM Leads\""),
        "the API's default name to start with: {}",
        form.body
    );
    assert!(
        form.body.contains("Email is the member key"),
        "{}",
        form.body
    );
    for locked in ["Email", "FirstName", "LastName"] {
        assert!(
            form.body
                .contains(&format!("value=\"{locked}\" checked disabled")),
            "{locked} is always imported: {}",
            form.body
        );
    }
    let score = form
        .body
        .find("value=\"LeadScore\"")
        .expect("LeadScore offered");
    assert!(
        form.body[score..]
            .split("</label>")
            .next()
            .unwrap_or_default()
            .contains("badge custom"),
        "custom fields are marked: {}",
        form.body
    );

    // Slow the CRM down so the run is still going when its page opens.
    crm.state().set_faults(FaultConfig {
        latency_ms: 400,
        ..FaultConfig::default()
    });
    let started = console
        .post(
            "/lists/import",
            &[
                ("entity", "lead"),
                ("connector", &connector),
                ("name", "Q3 leads"),
                ("fields", "LeadScore"),
                ("fields", "Region"),
            ],
        )
        .await;
    let run = run_id_of(&started);

    let page = console.get(&format!("/runs/{run}")).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("Import of"), "{}", page.body);
    assert!(page.body.contains("Q3 leads"), "{}", page.body);
    assert!(page.body.contains("<progress"), "{}", page.body);
    assert!(
        page.body.contains(&format!(
            "hx-get=\"/runs/{run}/progress\" hx-trigger=\"every 1s\" hx-swap=\"outerHTML\""
        )),
        "the page polls its fragment while the run is active: {}",
        page.body
    );

    let busy = console.get("/lists").await;
    assert!(
        busy.body.contains(&format!(
            "hx-get=\"/runs/{run}/progress?compact=1\" hx-trigger=\"every 2s\" hx-swap=\"outerHTML\""
        )),
        "the table's run in progress updates itself: {}",
        busy.body
    );
    assert!(busy.body.contains("importing"), "{}", busy.body);

    let ended = poll_until_ended(&console, &run).await;
    crm.state().clear_faults();
    assert!(!ended.body.contains("hx-trigger"), "{}", ended.body);
    assert!(!ended.body.contains("hx-get"), "{}", ended.body);
    assert!(ended.body.contains("Succeeded"), "{}", ended.body);
    assert!(
        ended.body.contains("The import has finished."),
        "{}",
        ended.body
    );
    let total = LEADS + 1;
    assert!(
        ended
            .body
            .contains(&format!("max=\"{total}\" value=\"{total}\"")),
        "a full bar: {}",
        ended.body
    );
    assert!(ended.body.contains("(100%)"), "{}", ended.body);

    let (status, lists) = common::json(app.get("/v1/lists", &key).await).await;
    assert_eq!(status, 200);
    let list = &lists[0];
    let list_id = list["id"].as_str().expect("list id");
    assert!(
        ended.body.contains(&format!("href=\"/lists/{list_id}\"")),
        "the ended fragment links to the list: {}",
        ended.body
    );
    let members = list["member_count"].as_i64().expect("member count");
    assert!(members > 0);

    let table = console.get("/lists").await;
    assert_eq!(table.status, 200);
    assert_escaped(&table);
    assert!(
        table
            .body
            .contains(&format!("href=\"/lists/{list_id}\">Q3 leads<")),
        "{}",
        table.body
    );
    assert!(table.body.contains("Imported leads"), "{}", table.body);
    assert!(
        table
            .body
            .contains(&format!("<td class=\"num\">{members}</td>")),
        "member count {members}: {}",
        table.body
    );
    assert!(table.body.contains("badge ok"), "{}", table.body);
    assert!(table.body.contains(">Succeeded<"), "{}", table.body);

    // The columns the marketer chose came with the list.
    let (_, detail) = common::json(app.get(&format!("/v1/lists/{list_id}"), &key).await).await;
    let columns: Vec<&str> = detail["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(columns, ["FirstName", "LastName", "LeadScore", "Region"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_shown_beside_their_field_with_the_choices_kept() {
    let crm = crm_with_xss_lead().await;
    let app = common::spawn_app().await;
    let key = app.create_account("acme").await;
    let connector = connect(&app, &key, &crm).await;
    app.create_user("acme", "ann@acme.example", Role::Admin)
        .await;
    let console = app.sign_in("ann@acme.example").await;

    // A list named like a script is fine, and shows as text everywhere.
    let started = console
        .post(
            "/lists/import",
            &[("entity", "lead"), ("connector", &connector), ("name", XSS)],
        )
        .await;
    let run = run_id_of(&started);
    let run_page = console.get(&format!("/runs/{run}")).await;
    assert_escaped(&run_page);
    assert!(run_page.body.contains(XSS_ESCAPED), "{}", run_page.body);
    poll_until_ended(&console, &run).await;
    let compact = console
        .get(&format!("/runs/{run}/progress?compact=1"))
        .await;
    assert_eq!(compact.status, 200);
    assert!(!compact.body.contains("hx-trigger"), "{}", compact.body);

    // The same name again: refused beside the name, every choice kept.
    let duplicate = console
        .post(
            "/lists/import",
            &[
                ("entity", "lead"),
                ("connector", &connector),
                ("name", XSS),
                ("fields", "LeadScore"),
                ("fields", "Region"),
            ],
        )
        .await;
    assert_eq!(duplicate.status, 409, "{duplicate:?}");
    assert_escaped(&duplicate);
    assert!(
        error_text(&duplicate, "name-error").contains("already exists"),
        "{}",
        duplicate.body
    );
    assert!(
        duplicate
            .body
            .contains("aria-invalid=\"true\" aria-describedby=\"name-error\"")
    );
    assert!(
        duplicate.body.contains(&format!("value=\"{XSS_ESCAPED}\"")),
        "{}",
        duplicate.body
    );
    assert!(
        ticked(&duplicate, "LeadScore") && ticked(&duplicate, "Region"),
        "{}",
        duplicate.body
    );
    assert!(!ticked(&duplicate, "Title"), "{}", duplicate.body);

    // A field the CRM does not have: named beside the picker.
    let unknown = console
        .post(
            "/lists/import",
            &[
                ("entity", "lead"),
                ("connector", &connector),
                ("name", "Scored leads"),
                ("fields", "LeadScore"),
                ("fields", "Shoe_Size__c"),
            ],
        )
        .await;
    assert_eq!(unknown.status, 422, "{unknown:?}");
    assert!(
        error_text(&unknown, "fields-error").contains("Shoe_Size__c"),
        "{}",
        unknown.body
    );
    assert!(unknown.body.contains("value=\"Scored leads\""));
    assert!(ticked(&unknown, "LeadScore"), "{}", unknown.body);

    // An empty name: the service's words beside the name.
    let empty = console
        .post(
            "/lists/import",
            &[
                ("entity", "contact"),
                ("connector", &connector),
                ("name", "  "),
                ("fields", "Region"),
            ],
        )
        .await;
    assert_eq!(empty.status, 422, "{empty:?}");
    assert!(
        error_text(&empty, "name-error").contains("must not be empty"),
        "{}",
        empty.body
    );
    assert!(empty.body.contains("Import Contacts"));
    assert!(ticked(&empty, "Region"), "{}", empty.body);

    // The connector was reset: said beside the connector, the choices kept.
    let (status, body) = common::json(
        app.post(
            &format!("/v1/connectors/{connector}/reset"),
            &key,
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let reset = console
        .post(
            "/lists/import",
            &[
                ("entity", "lead"),
                ("connector", &connector),
                ("name", "After the reset"),
                ("fields", "LeadScore"),
            ],
        )
        .await;
    assert_eq!(reset.status, 409, "{reset:?}");
    assert!(
        error_text(&reset, "connector-error").contains("reset"),
        "{}",
        reset.body
    );
    assert!(reset.body.contains("value=\"After the reset\""));
    assert!(
        reset
            .body
            .contains("type=\"hidden\" name=\"fields\" value=\"LeadScore\""),
        "the choice rides along while the fields cannot be read: {}",
        reset.body
    );

    // Nothing half-saved: only the first list exists.
    let (_, lists) = common::json(app.get("/v1/lists", &key).await).await;
    assert_eq!(lists.as_array().map(Vec::len), Some(1), "{lists}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crm_that_refuses_is_named_beside_the_connector() {
    let crm = FakeCrm::start(FakeConfig::default())
        .await
        .expect("fake CRM starts");
    let app = common::spawn_app().await;
    let key = app.create_account("acme").await;
    let connector = connect(&app, &key, &crm).await;
    app.create_user("acme", "mia@acme.example", Role::Marketer)
        .await;
    let console = app.sign_in("mia@acme.example").await;
    crm.state().set_faults(FaultConfig {
        rules: vec![FaultRule::always(Fault::Status {
            status: 401,
            retry_after: None,
        })],
        ..FaultConfig::default()
    });

    let form = console.get("/lists/import?entity=contact").await;
    assert_eq!(form.status, 200, "{form:?}");
    assert!(form.body.contains("could not be read"), "{}", form.body);

    let refused = console
        .post(
            "/lists/import",
            &[
                ("entity", "contact"),
                ("connector", &connector),
                ("name", "Contacts"),
                ("fields", "Region"),
            ],
        )
        .await;
    assert!(refused.status >= 400, "{refused:?}");
    assert!(
        !error_text(&refused, "connector-error").is_empty(),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"Contacts\""));
    assert!(
        refused
            .body
            .contains("type=\"hidden\" name=\"fields\" value=\"Region\"")
    );
    let (_, lists) = common::json(app.get("/v1/lists", &key).await).await;
    assert_eq!(lists, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_run_is_not_found() {
    let crm = FakeCrm::start(FakeConfig {
        leads: 5,
        ..FakeConfig::default()
    })
    .await
    .expect("fake CRM starts");
    let app = common::spawn_app().await;
    let key = app.create_account("acme").await;
    let connector = connect(&app, &key, &crm).await;
    let (status, body) = common::json(
        app.post(
            "/v1/lists/import",
            &key,
            &json!({ "connector": connector, "entity": "lead" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let run = body["run_id"].as_str().expect("run id");

    app.create_account("globex").await;
    app.create_user("globex", "gus@globex.example", Role::Admin)
        .await;
    let other = app.sign_in("gus@globex.example").await;
    for path in [
        format!("/runs/{run}"),
        format!("/runs/{run}/progress"),
        format!("/runs/{run}/progress?compact=1"),
        "/runs/not-a-run".to_string(),
    ] {
        let page = other.get(&path).await;
        assert_eq!(page.status, 404, "{path}: {page:?}");
        assert!(page.body.contains("Not found"), "{}", page.body);
    }
    let lists = other.get("/lists").await;
    assert!(lists.body.contains("No lists yet"), "{}", lists.body);

    // An htmx poll of a run that is gone stops polling (286) instead of failing forever.
    let response = other
        .client
        .get(format!("{}/runs/{run}/progress", other.base_url))
        .header("cookie", format!("lb_session={}", other.session))
        .header("hx-request", "true")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 286);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_connector_the_import_page_says_an_admin_must_connect_the_crm() {
    let app = common::spawn_app().await;
    app.create_account("acme").await;
    app.create_user("acme", "mia@acme.example", Role::Marketer)
        .await;
    app.create_user("acme", "ann@acme.example", Role::Admin)
        .await;

    let marketer = app.sign_in("mia@acme.example").await;
    let page = marketer.get("/lists/import?entity=lead").await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(
        page.body.contains("An admin must connect the CRM first"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("href=\"/connectors\">Connect"),
        "{}",
        page.body
    );
    assert!(
        !page
            .body
            .contains("<form method=\"post\" action=\"/lists/import\"")
    );

    let admin = app.sign_in("ann@acme.example").await;
    let page = admin.get("/lists/import?entity=contact").await;
    assert!(
        page.body.contains("href=\"/connectors\">Connect the CRM<"),
        "{}",
        page.body
    );

    let bad = admin.get("/lists/import?entity=accounts").await;
    assert_eq!(bad.status, 400, "{bad:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_shows_schedules_outcomes_and_notices() {
    let crm = FakeCrm::start(FakeConfig {
        leads: 5,
        contacts: 3,
        ..FakeConfig::default()
    })
    .await
    .expect("fake CRM starts");
    let app = common::spawn_app().await;
    let key = app.create_account("acme").await;
    let connector = connect(&app, &key, &crm).await;
    let mut lists = Vec::new();
    for entity in ["lead", "contact"] {
        let (status, body) = common::json(
            app.post(
                "/v1/lists/import",
                &key,
                &json!({ "connector": connector, "entity": entity }),
            )
            .await,
        )
        .await;
        assert_eq!(status, 202, "{body}");
        let run = body["run_id"].as_str().expect("run id").to_string();
        lists_support::wait_run_at(&app.client, &app.base_url, &key, &run).await;
        lists.push(body["list"]["id"].as_str().expect("list id").to_string());
    }
    let schedule =
        json!({ "frequency": "daily", "time_of_day": "06:00", "time_zone": "Europe/London" });
    let response = app
        .client
        .put(app.url(&format!("/v1/lists/{}/schedule", lists[0])))
        .bearer_auth(&key)
        .json(&schedule)
        .send()
        .await
        .expect("sent");
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );

    app.create_user("acme", "mia@acme.example", Role::Marketer)
        .await;
    let console = app.sign_in("mia@acme.example").await;
    let table = console.get("/lists?done=deleted").await;
    assert_eq!(table.status, 200, "{table:?}");
    assert!(
        table.body.contains("The list was deleted."),
        "{}",
        table.body
    );
    assert!(table.body.contains("All Infor CRM Leads"), "{}", table.body);
    assert!(
        table.body.contains("All Infor CRM Contacts"),
        "{}",
        table.body
    );
    assert!(table.body.contains("Imported contacts"), "{}", table.body);
    assert!(
        table.body.contains("daily 06:00 Europe/London"),
        "{}",
        table.body
    );
    assert_eq!(
        table.body.matches(">Succeeded<").count(),
        2,
        "{}",
        table.body
    );
    assert!(table.body.contains("<div class=\"table-wrap\">"));

    let plain = console.get("/lists").await;
    assert!(!plain.body.contains("The list was deleted."));
}
