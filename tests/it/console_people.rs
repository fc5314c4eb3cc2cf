//! The console's People and API keys pages, the invitation link, Change password and
//! the Account settings, over plain HTTP: inviting by link and by generated password,
//! roles and the rule that keeps an admin, removing a person (their sessions end at
//! once), API keys shown once, their last use and revocation, and other accounts' ids.

use std::sync::Arc;

use crate::support::{
    TestApp,
    console::{
        Console, PASSWORD, Page, hidden_value, no_redirect_client, read, set_cookie_value, unescape,
    },
    spawn_app, spawn_app_with,
};
use chrono::Duration;
use listbridge::{app::Services, clock::TestClock, store::Role};

/// An admin's new password in the password tests.
const NEW_PASSWORD: &str = "a brand new passphrase";

/// An app with account `acme` and its admin Ann signed in.
async fn admin_console(app: &TestApp) -> Console {
    app.create_account("acme").await;
    app.signed_in("acme", "ann@acme.example", Role::Admin).await
}

/// *Invite a person*: `email` as `role`, `by` a sign-in `link` or a generated `password`.
async fn invite(admin: &Console, email: &str, role: &str, by: &str) -> Page {
    admin
        .post(
            "/people/invite",
            &[("email", email), ("role", role), ("by", by)],
        )
        .await
}

/// *Change password*: the current one, the new one and its repetition.
async fn change_password(console: &Console, current: &str, new: &str, confirm: &str) -> Page {
    console
        .post(
            "/account/password",
            &[
                ("current_password", current),
                ("new_password", new),
                ("confirm_password", confirm),
            ],
        )
        .await
}

/// The `value` of the input with this id.
fn input_value(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let marker = "value=\"";
    let from = start + html[start..].find(marker)? + marker.len();
    let end = html[from..].find('"')?;
    Some(unescape(&html[from..from + end]))
}

/// The path (`/invite/…`) of the sign-in link on an invitation's page.
fn invite_path(page: &Page) -> String {
    let link = input_value(&page.body, "invite-link").expect("the link is shown");
    let at = link.find("/invite/").expect("the link is to /invite/");
    link[at..].to_string()
}

/// Opens an invitation link, chooses `password` (twice, or `confirm` when given) and
/// submits; returns the answer and the session cookie it set, if any.
async fn accept(
    app: &TestApp,
    path: &str,
    password: &str,
    confirm: &str,
) -> (Page, Option<String>) {
    let form = app.visit(path).await;
    assert_eq!(form.status, 200, "{form:?}");
    let token = hidden_value(&form.body, "form_token").expect("the form carries its token");
    let response = no_redirect_client()
        .post(app.url(path))
        .header("cookie", format!("lb_invite={token}"))
        .form(&[
            ("form_token", token.as_str()),
            ("new_password", password),
            ("confirm_password", confirm),
        ])
        .send()
        .await
        .unwrap();
    let session = set_cookie_value(&response, "lb_session");
    (read(response).await, session)
}

/// The user id in a page's `id="person-…"` row for `email`.
fn person_id(people: &str, email: &str) -> String {
    let table = people
        .find("id=\"people-table\"")
        .expect("the people table");
    let at = table + people[table..].find(email).expect("the person is listed");
    let row = people[..at].rfind("id=\"person-").expect("in a row") + "id=\"person-".len();
    people[row..row + 36].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_marketer_signs_in_by_link_once_and_is_signed_out_when_removed() {
    let app = spawn_app().await;
    let admin = admin_console(&app).await;

    let invited = invite(&admin, "Mia@Acme.example", "marketer", "link").await;
    assert_eq!(invited.status, 200, "{invited:?}");
    invited.assert_shows("mia@acme.example is invited");
    assert!(invited.body.contains("shown only this once"));
    let path = invite_path(&invited);
    let people = admin.get("/people").await;
    assert!(people.body.contains("mia@acme.example"));
    people.assert_shows("badge warn\">invited");
    assert!(
        !people.body.contains(&path),
        "the link is never shown again"
    );

    // The invitation page refuses a short password and two different ones, beside the field.
    let (short, session) = accept(&app, &path, "too short", "too short").await;
    assert_eq!(short.status, 422);
    assert!(session.is_none());
    short.assert_shows("The password must have at least 12 characters.");
    let (differ, _) = accept(&app, &path, PASSWORD, "something else entirely").await;
    assert_eq!(differ.status, 422);
    assert!(differ.body.contains("The two passwords are not the same."));

    let (accepted, session) = accept(&app, &path, PASSWORD, PASSWORD).await;
    assert_eq!(accepted.status, 303, "{accepted:?}");
    assert_eq!(accepted.location.as_deref(), Some("/lists"));
    let mia = app
        .console_of(session.expect("signed in with a new session"))
        .await;

    // A marketer cannot open People (nor Account), but can change their password.
    let forbidden = mia.get("/people").await;
    assert_eq!(forbidden.status, 403, "{forbidden:?}");
    assert_eq!(mia.get("/account").await.status, 403);
    assert_eq!(mia.get("/account/password").await.status, 200);
    let sneaky = invite(&mia, "eve@acme.example", "admin", "password").await;
    assert_eq!(sneaky.status, 403);

    // The link works once.
    let again = app.visit(&path).await;
    assert_eq!(again.status, 410, "{again:?}");
    again.assert_shows("This sign-in link was already used");
    let replay = app
        .visit_post(
            &path,
            None,
            &[
                ("form_token", "x"),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(replay.status, 410);
    assert!(
        app.sign_in_with("mia@acme.example", NEW_PASSWORD)
            .await
            .is_none()
    );

    // The chosen password signs in; a second browser of Mia's.
    let mia_phone = app.sign_in("mia@acme.example").await;
    let people = admin.get("/people").await;
    assert!(
        !people.body.contains("badge warn\">invited"),
        "no longer waiting"
    );
    let id = person_id(&people.body, "mia@acme.example");

    let confirm = admin.get(&format!("/people/{id}/remove")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Remove mia@acme.example?"));
    let removed = admin.post(&format!("/people/{id}/remove"), &[]).await;
    assert_eq!(removed.status, 303, "{removed:?}");
    assert_eq!(removed.location.as_deref(), Some("/people?done=removed"));
    let listed = admin.get("/people?done=removed").await;
    assert!(
        listed
            .body
            .contains("The person was removed and signed out everywhere.")
    );
    assert!(!listed.body.contains("mia@acme.example"));

    // Every session of hers is gone from the store (ON DELETE CASCADE) ...
    let user_id = listbridge::store::UserId::from_db(&id).unwrap();
    assert_eq!(
        app.state
            .store
            .sessions()
            .count_of_user(user_id)
            .await
            .unwrap(),
        0
    );
    // ... so her next click, in either browser, lands on sign-in.
    assert!(mia.get("/lists").await.is_sign_in_redirect());
    assert!(mia_phone.get("/lists").await.is_sign_in_redirect());
    assert!(
        app.sign_in_with("mia@acme.example", PASSWORD)
            .await
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_link_expires_after_72_hours() {
    let clock = Arc::new(TestClock::new(chrono::Utc::now()));
    let app = spawn_app_with(Services {
        clock: clock.clone(),
        ..Services::default()
    })
    .await;
    let admin = admin_console(&app).await;
    let invited = invite(&admin, "max@acme.example", "marketer", "link").await;
    let path = invite_path(&invited);

    clock.advance(Duration::hours(71));
    let fine = app.visit(&path).await;
    assert_eq!(fine.status, 200, "71 h is fine");
    assert!(fine.body.contains("max@acme.example"));

    clock.advance(Duration::hours(2));
    let expired = app.visit(&path).await;
    assert_eq!(expired.status, 410, "{expired:?}");
    expired.assert_shows("This sign-in link has expired (links work for 72 hours)");
    assert!(
        !expired.body.contains("new_password"),
        "no form on a dead link"
    );
    let posted = app
        .visit_post(
            &path,
            Some("lb_invite=t"),
            &[
                ("form_token", "t"),
                ("new_password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(posted.status, 410);
    let unknown = app.visit("/invite/not-a-token").await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("This sign-in link is not valid"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_with_a_generated_password_and_its_refusals() {
    let app = spawn_app().await;
    let admin = admin_console(&app).await;

    let bad = invite(&admin, "not-an-email", "marketer", "password").await;
    assert_eq!(bad.status, 422, "{bad:?}");
    bad.assert_shows("id=\"invite-email-error\"");
    assert!(
        bad.body.contains("value=\"not-an-email\""),
        "what was typed stays"
    );
    assert!(
        bad.body
            .contains("value=\"password\" id=\"invite-by-password\" checked")
    );
    let taken = invite(&admin, "ann@acme.example", "marketer", "link").await;
    assert_eq!(taken.status, 409);
    taken.assert_shows("Someone already signs in with ann@acme.example.");

    let invited = invite(&admin, "<b>bo</b>@acme.example", "admin", "password").await;
    // An email with markup is refused by the email rule, and shown escaped.
    assert!(!invited.body.contains("<b>bo</b>"));

    let invited = invite(&admin, "bo@acme.example", "admin", "password").await;
    assert_eq!(invited.status, 200, "{invited:?}");
    let password = input_value(&invited.body, "invite-password").expect("the password is shown");
    assert!(password.len() >= 12);
    let bo = app
        .sign_in_with("bo@acme.example", &password)
        .await
        .expect("the generated password signs in");
    assert_eq!(bo.get("/people").await.status, 200, "bo is an admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_change_but_an_admin_keeps_their_own_and_other_accounts_are_not_found() {
    let app = spawn_app().await;
    let admin = admin_console(&app).await;
    app.create_user("acme", "mia@acme.example", Role::Marketer)
        .await;
    app.create_account("globex").await;
    app.create_user("globex", "gus@globex.example", Role::Admin)
        .await;
    let gus = app.sign_in("gus@globex.example").await;
    let gus_id = person_id(&gus.get("/people").await.body, "gus@globex.example");

    let people = admin.get("/people").await;
    let mia_id = person_id(&people.body, "mia@acme.example");
    let ann_id = person_id(&people.body, "ann@acme.example");
    assert!(people.body.contains(
        "You cannot change your own role or remove yourself, so this account always keeps an admin."
    ));
    assert!(
        !people.body.contains(&format!("/people/{ann_id}/role")),
        "no control for oneself"
    );
    assert!(!people.body.contains("gus@globex.example"));

    let changed = admin
        .post(&format!("/people/{mia_id}/role"), &[("role", "admin")])
        .await;
    assert_eq!(changed.status, 303, "{changed:?}");
    let mia = app.sign_in("mia@acme.example").await;
    assert_eq!(mia.get("/people").await.status, 200, "mia is an admin now");
    let back = admin
        .post(&format!("/people/{mia_id}/role"), &[("role", "marketer")])
        .await;
    assert_eq!(back.status, 303);
    assert_eq!(mia.get("/people").await.status, 403, "from her next click");

    // The rule that keeps an admin, beside the control.
    let own = admin
        .post(&format!("/people/{ann_id}/role"), &[("role", "marketer")])
        .await;
    assert_eq!(own.status, 422, "{own:?}");
    assert!(own.body.contains(&format!("id=\"role-{ann_id}-error\"")));
    own.assert_shows("You cannot change your own role, so this account always keeps an admin");
    let remove_self = admin.post(&format!("/people/{ann_id}/remove"), &[]).await;
    assert_eq!(remove_self.status, 422);
    assert!(remove_self.body.contains("You cannot remove yourself"));
    assert_eq!(admin.get("/people").await.status, 200, "still an admin");
    let bad_role = admin
        .post(&format!("/people/{mia_id}/role"), &[("role", "owner")])
        .await;
    assert_eq!(bad_role.status, 422);
    assert!(bad_role.body.contains("Choose admin or marketer."));

    // Another account's person, and a malformed id: not found, nothing changed.
    for path in [
        format!("/people/{gus_id}/remove"),
        "/people/not-an-id/remove".to_string(),
    ] {
        assert_eq!(admin.get(&path).await.status, 404, "{path}");
        assert_eq!(admin.post(&path, &[]).await.status, 404, "{path}");
    }
    assert_eq!(
        admin
            .post(&format!("/people/{gus_id}/role"), &[("role", "marketer")])
            .await
            .status,
        404
    );
    assert_eq!(gus.get("/people").await.status, 200, "gus is untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_key_is_shown_once_records_its_last_use_and_stops_at_once_when_revoked() {
    let clock = Arc::new(TestClock::new(chrono::Utc::now()));
    let app = spawn_app_with(Services {
        clock: clock.clone(),
        ..Services::default()
    })
    .await;
    let admin = admin_console(&app).await;
    let globex_key = app.create_account("globex").await;
    let _ = globex_key;

    let empty = admin.post("/people/keys", &[("label", "   ")]).await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("id=\"key-label-error\""));
    empty.assert_shows("Invalid API key name: give the key a name that says what uses it.");

    let created = admin
        .post("/people/keys", &[("label", "Zapier <beta>")])
        .await;
    assert_eq!(created.status, 200, "{created:?}");
    assert!(
        created.body.contains("Zapier &#60;beta&#62;")
            || created.body.contains("Zapier &lt;beta&gt;"),
        "escaped"
    );
    assert!(created.body.contains("shown only this once"));
    let key = input_value(&created.body, "new-key").expect("the key is shown");
    assert!(key.starts_with("lb_"));

    let people = admin.get("/people").await;
    assert!(!people.body.contains(&key), "never shown again");
    assert!(
        people
            .body
            .contains(&format!("<code>{}…</code>", &key[..10])),
        "its first characters"
    );
    let row_at = people.body.find(&key[..10]).unwrap();
    assert!(people.body[row_at..].contains("key-last-used\"><span class=\"muted\">never"));

    let account = app.get("/v1/account", &key).await;
    assert_eq!(account.status(), 200);
    let acme = app
        .state
        .store
        .accounts()
        .find_by_name("acme")
        .await
        .unwrap()
        .unwrap();
    let stored = async || {
        let keys = app
            .state
            .store
            .api_keys()
            .list_active(acme.id)
            .await
            .unwrap();
        keys.into_iter()
            .find(|k| key.starts_with(&k.prefix) && k.label.starts_with("Zapier"))
            .unwrap()
    };
    let first = stored().await;
    let first_use = first.last_used_at.expect("last use recorded");
    clock.advance(Duration::seconds(30));
    assert_eq!(app.get("/v1/account", &key).await.status(), 200);
    let same = stored().await;
    assert_eq!(
        same.last_used_at,
        Some(first_use),
        "not written again within a minute"
    );
    clock.advance(Duration::seconds(31));
    assert_eq!(app.get("/v1/account", &key).await.status(), 200);
    let later = stored().await;
    assert!(
        later.last_used_at.unwrap() > first_use,
        "written again after a minute"
    );
    let people = admin.get("/people").await;
    let row_at = people.body.find(&key[..10]).unwrap();
    assert!(
        people.body[row_at..].contains("key-last-used\"><time>"),
        "last used shown"
    );

    let id = first.id.to_string();
    let confirm = admin.get(&format!("/people/keys/{id}/revoke")).await;
    assert_eq!(confirm.status, 200);
    assert!(
        confirm
            .body
            .contains("Every request with this key is refused")
    );
    // Another account's admin cannot see or revoke it.
    app.create_user("globex", "gus@globex.example", Role::Admin)
        .await;
    let gus = app.sign_in("gus@globex.example").await;
    assert_eq!(
        gus.get(&format!("/people/keys/{id}/revoke")).await.status,
        404
    );
    assert_eq!(
        gus.post(&format!("/people/keys/{id}/revoke"), &[])
            .await
            .status,
        404
    );
    assert_eq!(app.get("/v1/account", &key).await.status(), 200);

    let revoked = admin.post(&format!("/people/keys/{id}/revoke"), &[]).await;
    assert_eq!(revoked.status, 303, "{revoked:?}");
    assert_eq!(
        app.get("/v1/account", &key).await.status(),
        401,
        "refused at once"
    );
    let people = admin.get("/people?done=revoked").await;
    assert!(people.body.contains("The API key was revoked."));
    assert!(!people.body.contains(&key[..10]));
    assert_eq!(
        admin
            .post(&format!("/people/keys/{id}/revoke"), &[])
            .await
            .status,
        404,
        "already revoked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_ones_password_ends_the_other_sessions_but_not_this_one() {
    let app = spawn_app().await;
    app.create_account("acme").await;
    app.create_user("acme", "mia@acme.example", Role::Marketer)
        .await;
    let here = app.sign_in("mia@acme.example").await;
    let elsewhere = app.sign_in("mia@acme.example").await;

    let wrong = change_password(&here, "not my password", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(wrong.status, 422, "{wrong:?}");
    wrong.assert_shows("id=\"current_password-error\">The current password is wrong.");
    let differ = change_password(&here, PASSWORD, NEW_PASSWORD, "another one entirely").await;
    assert_eq!(differ.status, 422);
    assert!(
        differ
            .body
            .contains("id=\"confirm_password-error\">The two new passwords are not the same.")
    );
    let short = change_password(&here, PASSWORD, "short", "short").await;
    assert_eq!(short.status, 422);
    assert!(
        short
            .body
            .contains("id=\"new_password-error\">The password must have at least 12 characters.")
    );
    assert_eq!(
        elsewhere.get("/lists").await.status,
        200,
        "refusals end nothing"
    );

    let changed = change_password(&here, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status, 303, "{changed:?}");
    let after = here.get("/account/password?done=changed").await;
    assert_eq!(after.status, 200, "this session stays");
    assert!(after.body.contains("Your password was changed."));
    assert!(
        elsewhere.get("/lists").await.is_sign_in_redirect(),
        "the other session ended"
    );
    assert!(
        app.sign_in_with("mia@acme.example", PASSWORD)
            .await
            .is_none()
    );
    assert!(
        app.sign_in_with("mia@acme.example", NEW_PASSWORD)
            .await
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_is_renamed_unless_the_name_is_taken_and_its_time_zone_is_checked() {
    let app = spawn_app().await;
    let admin = admin_console(&app).await;
    app.create_account("globex").await;

    let page = admin.get("/account").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("value=\"acme\""));
    assert!(
        page.body
            .contains("<option value=\"UTC\" selected>UTC</option>"),
        "UTC by default"
    );
    assert!(page.body.contains("<option value=\"Europe/Paris\">"));

    let taken = admin
        .post(
            "/account",
            &[("name", "globex"), ("time_zone", "Europe/Paris")],
        )
        .await;
    assert_eq!(taken.status, 409, "{taken:?}");
    assert!(
        taken
            .text()
            .contains("id=\"account-name-error\">Another account is already named 'globex'"),
        "{}",
        taken.body
    );
    assert!(
        taken
            .body
            .contains("<option value=\"Europe/Paris\" selected>"),
        "what was chosen stays"
    );
    let empty = admin
        .post("/account", &[("name", "  "), ("time_zone", "UTC")])
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("The name cannot be used: it is empty."));
    let zone = admin
        .post(
            "/account",
            &[("name", "Acme Ltd"), ("time_zone", "Mars/Olympus")],
        )
        .await;
    assert_eq!(zone.status, 422);
    assert!(
        zone.text()
            .contains("id=\"time-zone-error\">'Mars/Olympus' is not a time zone"),
        "{}",
        zone.body
    );
    assert!(
        zone.body.contains("value=\"Acme Ltd\""),
        "what was typed stays"
    );
    assert!(
        admin
            .get("/lists")
            .await
            .body
            .contains("class=\"account\" title=\"Account\">acme<"),
        "nothing saved"
    );

    let saved = admin
        .post(
            "/account",
            &[("name", "Acme Ltd"), ("time_zone", "Europe/Paris")],
        )
        .await;
    assert_eq!(saved.status, 303, "{saved:?}");
    let page = admin.get("/account?done=saved").await;
    assert!(
        page.text().contains("The account's settings were saved."),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<option value=\"Europe/Paris\" selected>")
    );
    assert!(
        page.body
            .contains("class=\"account\" title=\"Account\">Acme Ltd<"),
        "the header shows the new name"
    );
}
