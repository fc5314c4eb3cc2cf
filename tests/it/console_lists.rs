//! The console's lists table, *Import Leads / Contacts* and a run's live progress, over
//! plain HTTP against the fake Infor CRM.

use crate::support::console::{Console, Page};
use crate::support::wait;
use crate::support::world::{World, crm_config, world};
use infor_crm_fake::{Fault, FaultConfig, FaultRule, Kind};
use listbridge::store::Role;
use serde_json::{Map, json};

/// The lead whose name must only ever show as text.
const XSS: &str = "<script>alert(1)</script>";
/// How it shows, escaped.
const XSS_ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

/// Leads the fake CRM starts with (plus the XSS lead).
const LEADS: usize = 300;

/// A world whose fake CRM has generated leads and one lead named like a script.
async fn world_with_xss_lead() -> World {
    let world = world(crm_config(LEADS, 0)).await;
    let mut lead = Map::new();
    lead.insert("FirstName".into(), json!(XSS));
    lead.insert("LastName".into(), json!(XSS));
    lead.insert("Email".into(), json!("xss@example.com"));
    lead.insert("Region".into(), json!(XSS));
    lead.insert("Company".into(), json!(XSS));
    world
        .crm
        .state()
        .insert_record(Kind::Lead, &lead)
        .expect("XSS lead added");
    world
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
    wait::until("the run to end", async || {
        let fragment = console.get(&format!("/runs/{run}/progress")).await;
        assert_eq!(fragment.status, 200, "{fragment:?}");
        assert_escaped(&fragment);
        let active = fragment.body.contains(">Queued<") || fragment.body.contains(">Running<");
        if !active {
            return Ok(fragment);
        }
        assert!(
            fragment
                .body
                .contains(&format!("hx-get=\"/runs/{run}/progress\""))
                && fragment.body.contains("hx-trigger=\"every 1s\"")
                && fragment.body.contains("hx-swap=\"outerHTML\""),
            "an active run's fragment polls itself: {}",
            fragment.body
        );
        Err(fragment.body)
    })
    .await
}

/// The checkbox of CRM field `name` is ticked in a page.
fn ticked(page: &Page, name: &str) -> bool {
    page.body
        .contains(&format!("name=\"fields\" value=\"{name}\" checked"))
}

/// Posts *Import Leads / Contacts*: `entity`, `connector`, the list's `name` and the
/// CRM `fields` ticked.
async fn import(
    console: &Console,
    entity: &str,
    connector: &str,
    name: &str,
    fields: &[&str],
) -> Page {
    let mut form = vec![("entity", entity), ("connector", connector), ("name", name)];
    form.extend(fields.iter().map(|f| ("fields", *f)));
    console.post("/lists/import", &form).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marketer_imports_leads_with_custom_fields_and_watches_it_to_the_end() {
    let world = world_with_xss_lead().await;
    let (app, crm, key) = (&world.app, &world.crm, world.key.as_str());
    let connector = world.connector.to_string();
    let console = app
        .signed_in("acme", "mia@acme.example", Role::Marketer)
        .await;

    let empty = console.get("/lists").await;
    assert_eq!(empty.status, 200, "{empty:?}");
    for button in [
        "href=\"/lists/import?entity=lead\">Import Leads<",
        "href=\"/lists/import?entity=contact\">Import Contacts<",
        "href=\"/lists/upload\">Upload CSV<",
    ] {
        assert!(empty.body.contains(button), "{button}: {}", empty.body);
    }
    empty.assert_shows("No lists yet");

    let form = console.get("/lists/import?entity=lead").await;
    assert_eq!(form.status, 200, "{form:?}");
    assert!(
        form.body.contains("value=\"All Infor CRM Leads\""),
        "the API's default name to start with: {}",
        form.body
    );
    form.assert_shows("Email is the member key");
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
    let started = import(
        &console,
        "lead",
        &connector,
        "Q3 leads",
        &["LeadScore", "Region"],
    )
    .await;
    let run = run_id_of(&started);

    let page = console.get(&format!("/runs/{run}")).await;
    assert_eq!(page.status, 200, "{page:?}");
    page.assert_shows("Import of");
    page.assert_shows("Q3 leads");
    page.assert_shows("<progress");
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
    busy.assert_shows("importing");

    let ended = poll_until_ended(&console, &run).await;
    crm.state().clear_faults();
    assert!(!ended.body.contains("hx-trigger"), "{}", ended.body);
    assert!(!ended.body.contains("hx-get"), "{}", ended.body);
    ended.assert_shows("Succeeded");
    ended.assert_shows("The import has finished.");
    let total = LEADS + 1;
    assert!(
        ended
            .body
            .contains(&format!("max=\"{total}\" value=\"{total}\"")),
        "a full bar: {}",
        ended.body
    );
    ended.assert_shows("(100%)");

    let (status, lists) = crate::support::json(app.get("/v1/lists", key).await).await;
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
    table.assert_shows(&format!("href=\"/lists/{list_id}\">Q3 leads<"));
    table.assert_shows("Imported leads");
    assert!(
        table
            .body
            .contains(&format!("<td class=\"num\">{members}</td>")),
        "member count {members}: {}",
        table.body
    );
    table.assert_shows("badge ok");
    table.assert_shows(">Succeeded<");

    // The columns the marketer chose came with the list.
    let (_, detail) =
        crate::support::json(app.get(&format!("/v1/lists/{list_id}"), key).await).await;
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
    let world = world_with_xss_lead().await;
    let (app, key) = (&world.app, world.key.as_str());
    let connector = world.connector.to_string();
    let console = app.signed_in("acme", "ann@acme.example", Role::Admin).await;

    // A list named like a script is fine, and shows as text everywhere.
    let started = import(&console, "lead", &connector, XSS, &[]).await;
    let run = run_id_of(&started);
    let run_page = console.get(&format!("/runs/{run}")).await;
    assert_escaped(&run_page);
    run_page.assert_shows(XSS_ESCAPED);
    poll_until_ended(&console, &run).await;
    let compact = console
        .get(&format!("/runs/{run}/progress?compact=1"))
        .await;
    assert_eq!(compact.status, 200);
    assert!(!compact.body.contains("hx-trigger"), "{}", compact.body);

    // The same name again: refused beside the name, every choice kept.
    let duplicate = import(&console, "lead", &connector, XSS, &["LeadScore", "Region"]).await;
    assert_eq!(duplicate.status, 409, "{duplicate:?}");
    assert_escaped(&duplicate);
    duplicate.assert_message("name-error", "already exists");
    assert!(
        duplicate
            .body
            .contains("aria-invalid=\"true\" aria-describedby=\"name-error\"")
    );
    duplicate.assert_shows(&format!("value=\"{XSS_ESCAPED}\""));
    assert!(
        ticked(&duplicate, "LeadScore") && ticked(&duplicate, "Region"),
        "{}",
        duplicate.body
    );
    assert!(!ticked(&duplicate, "Title"), "{}", duplicate.body);

    // A field the CRM does not have: named beside the picker.
    let unknown = import(
        &console,
        "lead",
        &connector,
        "Scored leads",
        &["LeadScore", "Shoe_Size__c"],
    )
    .await;
    assert_eq!(unknown.status, 422, "{unknown:?}");
    unknown.assert_message("fields-error", "Shoe_Size__c");
    assert!(unknown.body.contains("value=\"Scored leads\""));
    assert!(ticked(&unknown, "LeadScore"), "{}", unknown.body);

    // An empty name: the service's words beside the name.
    let empty = import(&console, "contact", &connector, "  ", &["Region"]).await;
    assert_eq!(empty.status, 422, "{empty:?}");
    empty.assert_message("name-error", "must not be empty");
    assert!(empty.body.contains("Import Contacts"));
    assert!(ticked(&empty, "Region"), "{}", empty.body);

    // The connector was reset: said beside the connector, the choices kept.
    let (status, body) = crate::support::json(
        app.post(
            &format!("/v1/connectors/{connector}/reset"),
            key,
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let reset = import(
        &console,
        "lead",
        &connector,
        "After the reset",
        &["LeadScore"],
    )
    .await;
    assert_eq!(reset.status, 409, "{reset:?}");
    reset.assert_message("connector-error", "reset");
    assert!(reset.body.contains("value=\"After the reset\""));
    assert!(
        reset
            .body
            .contains("type=\"hidden\" name=\"fields\" value=\"LeadScore\""),
        "the choice rides along while the fields cannot be read: {}",
        reset.body
    );

    // Nothing half-saved: only the first list exists.
    let (_, lists) = crate::support::json(app.get("/v1/lists", key).await).await;
    assert_eq!(lists.as_array().map(Vec::len), Some(1), "{lists}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crm_that_refuses_is_named_beside_the_connector() {
    let world = world(crm_config(0, 0)).await;
    let (app, crm, key) = (&world.app, &world.crm, world.key.as_str());
    let connector = world.connector.to_string();
    let console = app
        .signed_in("acme", "mia@acme.example", Role::Marketer)
        .await;
    crm.state().set_faults(FaultConfig {
        rules: vec![FaultRule::always(Fault::Status {
            status: 401,
            retry_after: None,
        })],
        ..FaultConfig::default()
    });

    let form = console.get("/lists/import?entity=contact").await;
    assert_eq!(form.status, 200, "{form:?}");
    form.assert_shows("could not be read");

    let refused = import(&console, "contact", &connector, "Contacts", &["Region"]).await;
    assert!(refused.status >= 400, "{refused:?}");
    assert!(
        refused
            .message("connector-error")
            .is_some_and(|m| !m.is_empty()),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"Contacts\""));
    assert!(
        refused
            .body
            .contains("type=\"hidden\" name=\"fields\" value=\"Region\"")
    );
    let (_, lists) = crate::support::json(app.get("/v1/lists", key).await).await;
    assert_eq!(lists, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_run_is_not_found() {
    let world = world(crm_config(5, 0)).await;
    let (app, key) = (&world.app, world.key.as_str());
    let connector = world.connector.to_string();
    let (status, body) = crate::support::json(
        app.post(
            "/v1/lists/import",
            key,
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
        page.assert_shows("Not found");
    }
    let lists = other.get("/lists").await;
    lists.assert_shows("No lists yet");

    // An htmx poll of a run that is gone stops polling (286) instead of failing forever.
    let gone = other.get_htmx(&format!("/runs/{run}/progress")).await;
    assert_eq!(gone.status, 286, "{gone:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_connector_the_import_page_says_an_admin_must_connect_the_crm() {
    let app = crate::support::spawn_app().await;
    app.create_account("acme").await;
    app.create_user("acme", "mia@acme.example", Role::Marketer)
        .await;
    app.create_user("acme", "ann@acme.example", Role::Admin)
        .await;

    let marketer = app.sign_in("mia@acme.example").await;
    let page = marketer.get("/lists/import?entity=lead").await;
    assert_eq!(page.status, 200, "{page:?}");
    page.assert_shows("An admin must connect the CRM first");
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
    page.assert_shows("href=\"/connectors\">Connect the CRM<");

    let bad = admin.get("/lists/import?entity=accounts").await;
    assert_eq!(bad.status, 400, "{bad:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_shows_schedules_outcomes_and_notices() {
    let world = world(crm_config(5, 3)).await;
    let (app, key) = (&world.app, world.key.as_str());
    let connector = world.connector.to_string();
    let mut lists = Vec::new();
    for entity in ["lead", "contact"] {
        let (status, body) = crate::support::json(
            app.post(
                "/v1/lists/import",
                key,
                &json!({ "connector": connector, "entity": entity }),
            )
            .await,
        )
        .await;
        assert_eq!(status, 202, "{body}");
        let run = body["run_id"].as_str().expect("run id").to_string();
        crate::support::runs::wait_run_at(&app.client, &app.base_url, key, &run).await;
        lists.push(body["list"]["id"].as_str().expect("list id").to_string());
    }
    let schedule =
        json!({ "frequency": "daily", "time_of_day": "06:00", "time_zone": "Europe/London" });
    let response = app
        .client
        .put(app.url(&format!("/v1/lists/{}/schedule", lists[0])))
        .bearer_auth(key)
        .json(&schedule)
        .send()
        .await
        .expect("sent");
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );

    let console = app
        .signed_in("acme", "mia@acme.example", Role::Marketer)
        .await;
    let table = console.get("/lists?done=deleted").await;
    assert_eq!(table.status, 200, "{table:?}");
    table.assert_shows("The list was deleted.");
    table.assert_shows("All Infor CRM Leads");
    table.assert_shows("All Infor CRM Contacts");
    table.assert_shows("Imported contacts");
    table.assert_shows("daily 06:00 Europe/London");
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
