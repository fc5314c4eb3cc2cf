//! The console's Connectors pages over plain HTTP, against the fake Infor CRM: Connect
//! and its four refusals, Reconfirm Login, Reset Connector, the field browser, roles
//! and other accounts' connectors. Every address a test connects to is loopback.

use crate::support::{
    INSECURE_LOOPBACK_URL, TestApp,
    console::{Console, Page, unescape},
    json, loopback_addresses_only,
    ports::closed_port,
    spawn_app_configured,
    world::fake_crm,
};
use infor_crm_fake::FakeCrm;
use listbridge::{app::Services, store::Role};

/// The fake CRM's default login.
const CRM_USER: &str = "admin";
const CRM_PASSWORD: &str = "password";
/// A wrong password distinctive enough to search for in pages.
const WRONG_PASSWORD: &str = "Wrong-Pa55-not-shown";

/// An app with account `acme`, its admin signed in, and its API key; outbound requests
/// may reach loopback addresses (the fake CRMs), not the name `localhost`.
async fn admin_console() -> (TestApp, Console, String) {
    let app = spawn_app_configured(Services::default(), loopback_addresses_only).await;
    let key = app.create_account("acme").await;
    let console = app.signed_in("acme", "ann@acme.example", Role::Admin).await;
    (app, console, key)
}

async fn connect(console: &Console, base_url: &str, username: &str, password: &str) -> Page {
    console
        .post(
            "/connectors",
            &[
                ("kind", "infor-crm"),
                ("base_url", base_url),
                ("username", username),
                ("password", password),
            ],
        )
        .await
}

/// The message shown beside control `field`, if any; asserts the control points at it.
fn error_beside(page: &Page, field: &str) -> Option<String> {
    let message = page.message(&format!("{field}-error"))?;
    let control = format!("id=\"{field}\" name=\"{field}\"");
    let control_at = page
        .body
        .find(&control)
        .expect("the control is on the page");
    let tag_end = page.body[control_at..]
        .find('>')
        .map(|i| control_at + i)
        .expect("the control's tag ends");
    let tag = &page.body[control_at..tag_end];
    assert!(
        tag.contains("aria-invalid=\"true\"") && tag.contains(&format!("{field}-error")),
        "the control in error is marked: {tag}"
    );
    Some(message)
}

/// The `value` of the text input `field`.
fn typed(page: &Page, field: &str) -> Option<String> {
    let control = format!("id=\"{field}\" name=\"{field}\"");
    let at = page.body.find(&control)?;
    let tag_end = at + page.body[at..].find('>')?;
    let tag = &page.body[at..tag_end];
    let start = tag.find("value=\"")? + "value=\"".len();
    let end = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + end]))
}

/// The connectors of the account, as the JSON API shows them.
async fn api_connectors(app: &TestApp, key: &str) -> Vec<serde_json::Value> {
    let (status, body) = json(app.get("/v1/connectors", key).await).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().cloned().unwrap_or_default()
}

fn assert_only_errors(page: &Page, field: &str) {
    for other in ["kind", "base_url", "username", "password"] {
        if other != field {
            assert!(
                error_beside(page, other).is_none(),
                "no message beside {other}: {}",
                page.body
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_refusals_are_shown_beside_their_field_and_keep_what_was_typed() {
    let (app, console, key) = admin_console().await;
    let crm = fake_crm(CRM_PASSWORD).await;

    // No connector yet: the Connect form is the page.
    let empty = console.get("/connectors").await;
    assert_eq!(empty.status, 200, "{empty:?}");
    empty.assert_shows("id=\"connect-form\"");
    assert!(
        empty
            .body
            .contains("<option value=\"infor-crm\" selected>Infor CRM</option>")
    );

    // A wrong password: beside the password, never echoed.
    let wrong = connect(&console, &crm.base_url(), CRM_USER, WRONG_PASSWORD).await;
    assert_eq!(wrong.status, 422, "{wrong:?}");
    let message = error_beside(&wrong, "password").expect("message beside the password");
    assert!(message.contains("the CRM refused the login"), "{message}");
    assert_only_errors(&wrong, "password");
    assert_eq!(typed(&wrong, "base_url"), Some(crm.base_url()));
    assert_eq!(typed(&wrong, "username").as_deref(), Some(CRM_USER));
    assert!(
        !wrong.body.contains(WRONG_PASSWORD),
        "the password is not kept"
    );

    // An unreachable host: a loopback port nobody listens on, held for the rest of the
    // test.
    let (_held, closed) = closed_port();
    let unreachable_url = format!("http://{closed}");
    let unreachable = connect(&console, &unreachable_url, CRM_USER, CRM_PASSWORD).await;
    assert_eq!(unreachable.status, 422, "{unreachable:?}");
    let message = error_beside(&unreachable, "base_url").expect("message beside the URL");
    assert!(message.contains("could not be reached"), "{message}");
    assert!(message.contains(&closed.to_string()), "{message}");
    assert_only_errors(&unreachable, "base_url");
    assert_eq!(typed(&unreachable, "base_url"), Some(unreachable_url));

    // A URL that answers HTTP but not SData: listbridge itself.
    let not_sdata = connect(&console, &app.base_url, CRM_USER, CRM_PASSWORD).await;
    assert_eq!(not_sdata.status, 422, "{not_sdata:?}");
    let message = error_beside(&not_sdata, "base_url").expect("message beside the URL");
    assert!(
        message.contains("does not answer as an SData endpoint"),
        "{message}"
    );
    assert_eq!(typed(&not_sdata, "base_url"), Some(app.base_url.clone()));

    // Plain http to a host not allowed (these settings allow loopback addresses, not
    // the name `localhost`): refused by the URL policy before any request is sent (the
    // policy's own message; a request would have failed differently), and a broken
    // policy would only reach a closed loopback port. The typed URL comes back
    // escaped, as text.
    let insecure_url = format!("{INSECURE_LOOPBACK_URL}/<b>x</b>");
    let insecure = connect(&console, &insecure_url, CRM_USER, CRM_PASSWORD).await;
    assert_eq!(insecure.status, 422, "{insecure:?}");
    let message = error_beside(&insecure, "base_url").expect("message beside the URL");
    assert!(
        message.contains("uses plain http:// to a remote host"),
        "{message}"
    );
    assert!(!insecure.body.contains("<b>x</b>"), "typed text is escaped");
    insecure.assert_shows("&#60;b&#62;x&#60;/b&#62;");
    assert_eq!(typed(&insecure, "base_url"), Some(insecure_url));

    // An empty user name: beside the user name.
    let no_user = connect(&console, &crm.base_url(), "  ", CRM_PASSWORD).await;
    assert_eq!(no_user.status, 400, "{no_user:?}");
    let message = error_beside(&no_user, "username").expect("message beside the user");
    assert!(message.contains("username must not be empty"), "{message}");

    // Nothing was saved.
    assert!(api_connectors(&app, &key).await.is_empty());
    assert!(
        console
            .get("/connectors")
            .await
            .body
            .contains("id=\"connect-form\"")
    );
    crm.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_successful_connect_is_listed_with_its_crm_user() {
    let (app, console, key) = admin_console().await;
    let crm = fake_crm(CRM_PASSWORD).await;

    let new = console.get("/connectors/new").await;
    assert_eq!(new.status, 200, "{new:?}");
    assert!(new.body.contains("id=\"connect-form\""));

    let done = connect(&console, &crm.base_url(), CRM_USER, CRM_PASSWORD).await;
    assert_eq!(done.status, 303, "{done:?}");
    assert_eq!(done.location.as_deref(), Some("/connectors?done=connected"));

    let saved = api_connectors(&app, &key).await;
    assert_eq!(saved.len(), 1, "{saved:?}");
    let crm_user = saved[0]["crm_user"]["name"]
        .as_str()
        .expect("the CRM user is known")
        .to_string();
    let id = saved[0]["id"].as_str().expect("an id").to_string();

    let page = console.get("/connectors?done=connected").await;
    assert_eq!(page.status, 200, "{page:?}");
    let body = unescape(&page.body);
    assert!(
        body.contains(&format!(
            "Connected to {} as {}.",
            crm.base_url(),
            crm_user.trim()
        )),
        "{body}"
    );
    assert!(body.contains("<table id=\"connectors\">"), "{body}");
    assert!(body.contains(crm_user.trim()), "{body}");
    assert!(body.contains("<span class=\"badge ok\">connected</span>"));
    assert!(
        body.contains(" UTC</time>"),
        "last verified, in UTC: {body}"
    );
    for action in ["reconfirm", "reset", "fields?entity=lead"] {
        assert!(
            body.contains(&format!("/connectors/{id}/{action}")),
            "{action}: {body}"
        );
    }
    assert!(
        !body.contains("id=\"connect-form\""),
        "no Connect form once connected"
    );

    // The same CRM a second time is refused beside its URL.
    let again = connect(&console, &crm.base_url(), CRM_USER, CRM_PASSWORD).await;
    assert_eq!(again.status, 409, "{again:?}");
    let message = error_beside(&again, "base_url").expect("message beside the URL");
    assert!(
        message.contains("already connected to this infor-crm CRM"),
        "{message}"
    );
    crm.shutdown().await;
}

/// Connects the fake CRM through the console and returns the connector id.
async fn connected(app: &TestApp, console: &Console, key: &str, crm: &FakeCrm) -> String {
    let done = connect(console, &crm.base_url(), CRM_USER, CRM_PASSWORD).await;
    assert_eq!(done.status, 303, "{done:?}");
    let saved = api_connectors(app, key).await;
    saved[0]["id"].as_str().expect("an id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconfirm_login_refuses_a_wrong_password_or_address_then_moves_to_the_new_one() {
    let (app, console, key) = admin_console().await;
    let crm = fake_crm(CRM_PASSWORD).await;
    let moved = fake_crm(CRM_PASSWORD).await;
    let id = connected(&app, &console, &key, &crm).await;
    let before = api_connectors(&app, &key).await[0].clone();

    let form = console.get(&format!("/connectors/{id}/reconfirm")).await;
    assert_eq!(form.status, 200, "{form:?}");
    assert_eq!(typed(&form, "username").as_deref(), Some(CRM_USER));
    assert_eq!(
        typed(&form, "base_url").as_deref(),
        Some(crm.base_url().as_str())
    );

    let wrong = console
        .post(
            &format!("/connectors/{id}/reconfirm"),
            &[
                ("base_url", crm.base_url().as_str()),
                ("username", CRM_USER),
                ("password", WRONG_PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422, "{wrong:?}");
    let message = error_beside(&wrong, "password").expect("message beside the password");
    assert!(message.contains("the CRM refused the login"), "{message}");
    assert_eq!(typed(&wrong, "username").as_deref(), Some(CRM_USER));
    assert!(!wrong.body.contains(WRONG_PASSWORD));
    let (_held, closed) = closed_port();
    let unreachable = format!("http://{closed}");
    let nowhere = console
        .post(
            &format!("/connectors/{id}/reconfirm"),
            &[
                ("base_url", unreachable.as_str()),
                ("username", CRM_USER),
                ("password", CRM_PASSWORD),
            ],
        )
        .await;
    assert_eq!(nowhere.status, 422, "{nowhere:?}");
    assert!(error_beside(&nowhere, "base_url").is_some(), "{nowhere:?}");
    assert_eq!(typed(&nowhere, "base_url"), Some(unreachable));
    let unchanged = api_connectors(&app, &key).await[0].clone();
    assert_eq!(
        unchanged["updated_at"], before["updated_at"],
        "nothing changed"
    );
    assert_eq!(unchanged["base_url"], crm.base_url().as_str());

    // The CRM moved: the new address is logged in to, then saved.
    let right = console
        .post(
            &format!("/connectors/{id}/reconfirm"),
            &[
                ("base_url", moved.base_url().as_str()),
                ("username", CRM_USER),
                ("password", CRM_PASSWORD),
            ],
        )
        .await;
    assert_eq!(right.status, 303, "{right:?}");
    let target = right.location.expect("redirected");
    assert_eq!(
        target,
        format!("/connectors?done=reconfirmed&connector={id}")
    );
    let page = console.get(&target).await;
    assert!(
        unescape(&page.body).contains(&format!("Login reconfirmed: {}", moved.base_url())),
        "{}",
        page.body
    );
    assert_eq!(
        api_connectors(&app, &key).await[0]["base_url"],
        moved.base_url().as_str()
    );
    crm.shutdown().await;
    moved.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_connector_is_confirmed_first_then_forgets_the_login() {
    let (app, console, key) = admin_console().await;
    let crm = fake_crm(CRM_PASSWORD).await;
    let id = connected(&app, &console, &key, &crm).await;

    let confirm = console.get(&format!("/connectors/{id}/reset")).await;
    assert_eq!(confirm.status, 200, "{confirm:?}");
    confirm.assert_shows("is forgotten");
    assert!(confirm.body.contains("paused"));
    assert!(confirm.body.contains("Kept: your lists"));
    assert!(
        confirm
            .body
            .contains(&format!("action=\"/connectors/{id}/reset\" class=\"row\""))
    );
    assert!(
        confirm
            .body
            .contains("<button type=\"submit\" class=\"danger\">Reset Connector</button>")
    );
    // Showing the confirmation changed nothing.
    assert_eq!(api_connectors(&app, &key).await[0]["status"], "connected");

    let reset = console.post(&format!("/connectors/{id}/reset"), &[]).await;
    assert_eq!(reset.status, 303, "{reset:?}");
    assert_eq!(
        reset.location.as_deref(),
        Some(format!("/connectors?done=reset&connector={id}").as_str())
    );
    assert_eq!(api_connectors(&app, &key).await[0]["status"], "reset");

    let list = console
        .get(&format!("/connectors?done=reset&connector={id}"))
        .await;
    list.assert_shows("<span class=\"badge bad\">reset</span>");
    assert!(list.body.contains("was reset: its password is forgotten"));

    // The field browser says why it cannot show fields, and how to fix it.
    let fields = console
        .get(&format!("/connectors/{id}/fields?entity=lead"))
        .await;
    assert_eq!(fields.status, 409, "{fields:?}");
    fields.assert_shows("has been reset");
    assert!(fields.body.contains(&format!("/connectors/{id}/reconfirm")));
    crm.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_field_browser_marks_custom_fields_per_entity() {
    let (app, console, key) = admin_console().await;
    let crm = fake_crm(CRM_PASSWORD).await;
    let id = connected(&app, &console, &key, &crm).await;

    for (entity, tab) in [("lead", "Leads"), ("contact", "Contacts")] {
        let page = console
            .get(&format!("/connectors/{id}/fields?entity={entity}"))
            .await;
        assert_eq!(page.status, 200, "{page:?}");
        page.assert_shows(&format!(
            "fields?entity={entity}\" aria-current=\"page\">{tab}</a>"
        ));
        let row_start = page
            .body
            .find("<span class=\"cell mono\">LeadScore</span>")
            .expect("the custom field is listed");
        let row_end = row_start + page.body[row_start..].find("</tr>").expect("row ends");
        let row = &page.body[row_start..row_end];
        assert!(
            row.contains("<span class=\"badge custom\">custom</span>"),
            "{row}"
        );
        assert!(row.contains("whole number"), "{row}");
        assert!(page.body.contains("<span class=\"cell mono\">Email</span>"));
        assert!(page.body.contains(">standard<"));
    }
    let default = console.get(&format!("/connectors/{id}/fields")).await;
    assert!(default.body.contains("aria-current=\"page\">Leads</a>"));
    let bad = console
        .get(&format!("/connectors/{id}/fields?entity=planet"))
        .await;
    assert_eq!(bad.status, 400, "{bad:?}");
    crm.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marketer_cannot_open_or_use_the_connectors_pages() {
    let (app, _admin, key) = admin_console().await;
    app.create_user("acme", "mo@acme.example", Role::Marketer)
        .await;
    let marketer = app.sign_in("mo@acme.example").await;
    let lists = marketer.get("/lists").await;
    assert!(
        !lists.body.contains("href=\"/connectors\""),
        "no Connectors link for a marketer"
    );
    for path in ["/connectors", "/connectors/new"] {
        let page = marketer.get(path).await;
        assert_eq!(page.status, 403, "{path}: {page:?}");
        page.assert_shows("Only an admin");
    }
    let post = connect(&marketer, "http://127.0.0.1:9", CRM_USER, CRM_PASSWORD).await;
    assert_eq!(post.status, 403, "{post:?}");
    assert!(api_connectors(&app, &key).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_connector_and_a_malformed_id_are_not_found() {
    let (app, acme, acme_key) = admin_console().await;
    let crm = fake_crm(CRM_PASSWORD).await;
    app.create_account("globex").await;
    app.create_user("globex", "gil@globex.example", Role::Admin)
        .await;
    let globex = app.sign_in("gil@globex.example").await;
    let done = connect(&globex, &crm.base_url(), CRM_USER, CRM_PASSWORD).await;
    assert_eq!(done.status, 303, "{done:?}");
    let theirs = globex.get("/connectors").await;
    let marker = "href=\"/connectors/";
    let id = theirs
        .body
        .match_indices(marker)
        .filter_map(|(at, _)| theirs.body.get(at + marker.len()..at + marker.len() + 36))
        .find(|id| uuid_like(id))
        .expect("a connector link");

    for path in [
        format!("/connectors/{id}/reconfirm"),
        format!("/connectors/{id}/reset"),
        format!("/connectors/{id}/fields?entity=lead"),
        "/connectors/not-an-id/reconfirm".to_string(),
        "/connectors/not-an-id/fields".to_string(),
    ] {
        let page = acme.get(&path).await;
        assert_eq!(page.status, 404, "{path}: {page:?}");
        page.assert_shows("no such connector");
    }
    for path in [
        format!("/connectors/{id}/reset"),
        format!("/connectors/{id}/reconfirm"),
    ] {
        let page = acme
            .post(&path, &[("username", CRM_USER), ("password", CRM_PASSWORD)])
            .await;
        assert_eq!(page.status, 404, "{path}: {page:?}");
    }
    // Theirs is untouched and acme still has none.
    let still = globex.get("/connectors").await;
    assert!(
        still
            .body
            .contains("<span class=\"badge ok\">connected</span>")
    );
    assert!(api_connectors(&app, &acme_key).await.is_empty());
    crm.shutdown().await;
}

fn uuid_like(text: &str) -> bool {
    text.len() == 36 && text.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}
