//! *Delete connector* and a connector that moves: a connector in use is refused naming
//! its lists, forms and scheduled syncs (through the API and on the console's
//! confirmation page), deleted once nothing uses it (and connectable again); *Reconfirm
//! Login* with a new address logs in there before saving it, and a refused address
//! changes nothing.

use serde_json::{Value, json};

use crate::support::{
    assert_problem,
    console::Console,
    json,
    ports::closed_port,
    schedules::{delete_schedule, put_schedule},
    world::{World, connect_body, crm_config, fake_crm, world},
};
use listbridge::store::Role;

const PASSWORD: &str = "secret";

/// A lead list named `name` imported from the world's connector, a form on it, and a
/// daily sync of the list; returns (list id, form id).
async fn in_use(w: &World, name: &str) -> (String, String) {
    let list = w.imported_list("lead", &["Title"]).await;
    let (status, _) = json(
        w.app
            .patch(
                &format!("/v1/lists/{list}"),
                &w.key,
                &json!({ "name": name }),
            )
            .await,
    )
    .await;
    assert_eq!(status, 200, "list renamed");
    let (form, _) = w.create_contact_form("Spring offer").await;
    let (status, body) = put_schedule(
        &w.app,
        &w.key,
        &format!("/v1/lists/{list}"),
        &json!({ "frequency": "daily", "time_of_day": "06:00", "time_zone": "UTC" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (list.to_string(), form)
}

async fn delete_connector(w: &World, key: &str) -> reqwest::Response {
    w.app
        .delete(&format!("/v1/connectors/{}", w.connector), key)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_in_use_is_refused_naming_what_uses_it_then_deleted() {
    let w = world(crm_config(5, 0)).await;
    let (list, form) = in_use(&w, "Spring leads").await;
    let other_key = w.app.create_account("globex").await;
    assert_problem(delete_connector(&w, &other_key).await, 404, "not_found").await;

    let refused = delete_connector(&w, &w.key).await;
    assert_eq!(refused.status().as_u16(), 409);
    let problem: Value = refused.json().await.expect("problem");
    assert_eq!(problem["error"], "connector_in_use", "{problem}");
    assert_eq!(
        problem["details"],
        json!({
            "lists": ["Spring leads"],
            "forms": ["Spring offer"],
            "schedules": ["list 'Spring leads'"],
            "conversion_exports": [],
            "waiting_notes": 0,
            "waiting_calls": 0,
        })
    );
    let message = problem["message"].as_str().expect("message");
    assert!(
        message.contains("list 'Spring leads'")
            && message.contains("form 'Spring offer'")
            && message.contains("the scheduled syncs of list 'Spring leads'")
            && message.ends_with("delete or change those first"),
        "{message}"
    );
    let (status, _) = json(
        w.app
            .get(&format!("/v1/connectors/{}", w.connector), &w.key)
            .await,
    )
    .await;
    assert_eq!(status, 200, "still there");

    // Take away one user at a time: each refusal names only what is left.
    let path = format!("/v1/lists/{list}");
    assert_eq!(delete_schedule(&w.app, &w.key, &path).await, 204);
    let status = w
        .app
        .delete(&format!("/v1/forms/{form}"), &w.key)
        .await
        .status();
    assert_eq!(status.as_u16(), 204);
    let refused: Value = delete_connector(&w, &w.key)
        .await
        .json()
        .await
        .expect("problem");
    assert_eq!(refused["details"]["lists"], json!(["Spring leads"]));
    assert_eq!(refused["details"]["forms"], json!([]));
    assert_eq!(refused["details"]["schedules"], json!([]));
    let status = w.app.delete(&path, &w.key).await.status();
    assert_eq!(status.as_u16(), 204);

    let deleted = delete_connector(&w, &w.key).await;
    assert_eq!(deleted.status().as_u16(), 204);
    assert_problem(
        w.app
            .get(&format!("/v1/connectors/{}", w.connector), &w.key)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(delete_connector(&w, &w.key).await, 404, "not_found").await;
    let (status, again) = json(
        w.app
            .post(
                "/v1/connectors",
                &w.key,
                &connect_body(&w.crm.base_url(), "password"),
            )
            .await,
    )
    .await;
    assert_eq!(status, 201, "the kind is free to connect again: {again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_names_what_uses_a_connector_and_deletes_it_when_nothing_does() {
    let w = world(crm_config(5, 0)).await;
    let (list, form) = in_use(&w, "Spring leads").await;
    let ann: Console = w
        .app
        .signed_in("acme", "ann@acme.example", Role::Admin)
        .await;
    let path = format!("/connectors/{}/delete", w.connector);
    ann.get("/connectors").await.assert_shows(&path);

    let page = ann.get(&path).await;
    assert_eq!(page.status, 200, "{page:?}");
    page.assert_shows("id=\"delete-in-use\"");
    page.assert_shows("List <q>Spring leads</q>");
    page.assert_shows("Form <q>Spring offer</q>");
    page.assert_shows("The scheduled sync of list &#39;Spring leads&#39;");
    assert!(!page.body.contains("id=\"delete-form\""), "no button");
    // A post anyway (a stale page) is refused with the same words.
    let refused = ann.post(&path, &[]).await;
    assert_eq!(refused.status, 409, "{refused:?}");
    refused.assert_shows("id=\"delete-refused\"");

    let list_path = format!("/v1/lists/{list}");
    assert_eq!(delete_schedule(&w.app, &w.key, &list_path).await, 204);
    w.app.delete(&format!("/v1/forms/{form}"), &w.key).await;
    w.app.delete(&list_path, &w.key).await;
    let page = ann.get(&path).await;
    page.assert_shows("id=\"delete-form\"");
    let without_csrf = ann.post_raw(&path, &[]).await;
    assert_eq!(without_csrf.status, 403);
    let done = ann.post(&path, &[]).await;
    assert_eq!(done.status, 303, "{done:?}");
    assert_eq!(done.location.as_deref(), Some("/connectors?done=deleted"));
    let after = ann.get("/connectors?done=deleted").await;
    after.assert_shows("The connector was deleted, with its stored login.");
    assert_eq!(ann.get(&path).await.status, 404);

    w.app
        .create_user("acme", "mia@acme.example", Role::Marketer)
        .await;
    let mia = w.app.sign_in("mia@acme.example").await;
    assert_eq!(mia.get(&path).await.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconfirm_moves_a_connector_to_a_new_address_after_logging_in_there() {
    let (old, new) = (fake_crm(PASSWORD).await, fake_crm(PASSWORD).await);
    let app = crate::support::spawn_app().await;
    let key = app.create_account("acme").await;
    let (status, created) = json(
        app.post(
            "/v1/connectors",
            &key,
            &connect_body(&old.base_url(), PASSWORD),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let path = format!(
        "/v1/connectors/{}/reconfirm",
        created["id"].as_str().expect("id")
    );

    // Refused addresses and logins change nothing.
    let (_held, closed) = closed_port();
    let unreachable = format!("http://{closed}");
    let refused = app
        .post(
            &path,
            &key,
            &json!({ "base_url": unreachable, "password": PASSWORD }),
        )
        .await;
    assert_problem(refused, 422, "crm_unreachable").await;
    let wrong = app
        .post(
            &path,
            &key,
            &json!({ "base_url": new.base_url(), "password": "wrong" }),
        )
        .await;
    assert_problem(wrong, 422, "crm_login_failed").await;
    let blank = app
        .post(
            &path,
            &key,
            &json!({ "base_url": "  ", "password": PASSWORD }),
        )
        .await;
    assert_problem(blank, 400, "missing_field").await;
    let (_, still) = json(app.get("/v1/connectors", &key).await).await;
    assert_eq!(still[0]["base_url"], old.base_url().as_str(), "{still}");

    let (status, moved) = json(
        app.post(
            &path,
            &key,
            &json!({ "base_url": new.base_url(), "password": PASSWORD }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["base_url"], new.base_url().as_str());
    assert_eq!(moved["status"], "connected");
    let before = new.state().stats().total;
    let (status, _) = json(
        app.get(
            &format!(
                "/v1/connectors/{}/fields?entity=lead",
                created["id"].as_str().expect("id")
            ),
            &key,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        new.state().stats().total > before,
        "the fields came from the new address"
    );
    old.shutdown().await;
    new.shutdown().await;
}
