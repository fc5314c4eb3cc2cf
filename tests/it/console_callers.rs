//! The console's Callers page over plain HTTP: lookup keys created (key, secret and
//! lookup URL shown once, never listed) and revoked behind a confirmation, routing rule
//! sets built with ordered rows, refused beside the row, edited and deleted; all
//! through CSRF-carrying forms, admins only.

use listbridge::{
    callers::{
        keys::{LookupKeyError, authenticate},
        routing::RoutingRules,
    },
    store::Role,
};

use crate::support::{TestApp, console::Console, spawn_app};

async fn admin(app: &TestApp) -> Console {
    app.create_account("acme").await;
    app.signed_in("acme", "ann@acme.example", Role::Admin).await
}

/// The `value` of the input with this id.
fn input_value(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let marker = "value=\"";
    let from = start + html[start..].find(marker)? + marker.len();
    let end = html[from..].find('"')?;
    Some(crate::support::console::unescape(&html[from..from + end]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_a_lookup_key_sees_it_once_and_revokes_it() {
    let app = spawn_app().await;
    let ann = admin(&app).await;
    let page = ann.get("/callers").await;
    assert_eq!(page.status, 200, "{page:?}");
    page.assert_shows(r#"<a href="/callers" aria-current="page">Callers</a>"#);
    page.assert_shows("This account has no lookup key.");

    let refused = ann.post("/callers/keys", &[("name", "  ")]).await;
    assert_eq!(refused.status, 422, "{refused:?}");
    refused.assert_message("lookup-key-name-error", "empty");

    let without_csrf = ann.post_raw("/callers/keys", &[("name", "PBX")]).await;
    assert_eq!(without_csrf.status, 403, "{without_csrf:?}");

    let created = ann
        .post(
            "/callers/keys",
            &[
                ("name", "PBXware main"),
                ("require_secret", "on"),
                ("dtmf_field", "AccountNumber"),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{created:?}");
    let key = input_value(&created.body, "new-lookup-key").expect("key shown");
    let secret = input_value(&created.body, "new-lookup-secret").expect("secret shown");
    let url = input_value(&created.body, "lookup-url").expect("lookup URL shown");
    assert!(url.ends_with(&format!("/crm-lookup/{key}")), "{url}");
    assert!(url.starts_with("http://"), "{url}");
    let auth = authenticate(&app.state.store, &key, Some(&secret))
        .await
        .expect("valid");
    assert_eq!(auth.dtmf_field.as_deref(), Some("AccountNumber"));

    let listed = ann.get("/callers").await;
    listed.assert_shows("PBXware main");
    assert!(!listed.body.contains(&key) && !listed.body.contains(&secret));
    let id = auth.key_id.to_string();
    listed.assert_shows(&format!("/callers/keys/{id}/revoke"));

    let confirm = ann.get(&format!("/callers/keys/{id}/revoke")).await;
    assert_eq!(confirm.status, 200);
    confirm.assert_shows("This cannot be undone.");
    assert!(
        authenticate(&app.state.store, &key, Some(&secret))
            .await
            .is_ok(),
        "not yet"
    );
    let done = ann.post(&format!("/callers/keys/{id}/revoke"), &[]).await;
    assert_eq!(done.status, 303, "{done:?}");
    assert_eq!(done.location.as_deref(), Some("/callers?done=revoked"));
    let err = authenticate(&app.state.store, &key, Some(&secret))
        .await
        .expect_err("revoked");
    assert!(matches!(err, LookupKeyError::NotValid), "{err:?}");
    let after = ann.get("/callers?done=revoked").await;
    after.assert_shows("This account has no lookup key.");
    assert_eq!(
        ann.get(&format!("/callers/keys/{id}/revoke")).await.status,
        404
    );

    app.create_user("acme", "mia@acme.example", Role::Marketer)
        .await;
    let mia = app.sign_in("mia@acme.example").await;
    assert_eq!(mia.get("/callers").await.status, 403);
    assert_eq!(
        mia.post("/callers/keys", &[("name", "sneaky")])
            .await
            .status,
        403
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_builds_edits_and_deletes_a_routing_rule_set() {
    let app = spawn_app().await;
    let ann = admin(&app).await;
    let form = ann.get("/callers/rules/new").await;
    assert_eq!(form.status, 200, "{form:?}");
    form.assert_shows(r#"id="row-3-value""#);

    // Row 2 is listed first by its order number; the blank third row is ignored.
    let rows = |second_value: &'static str| -> Vec<(&'static str, &'static str)> {
        vec![
            ("name", "VIP"),
            ("field", "LeadScore"),
            ("default_type", "queue"),
            ("default_option", "100"),
            ("row_order", "2"),
            ("row_field", "Region"),
            ("row_operator", "="),
            ("row_value", second_value),
            ("row_type", "ivr"),
            ("row_option", "3"),
            ("row_order", "1"),
            ("row_field", ""),
            ("row_operator", ">="),
            ("row_value", "80"),
            ("row_type", "queue"),
            ("row_option", "200"),
            ("row_order", "3"),
            ("row_field", ""),
            ("row_operator", "="),
            ("row_value", ""),
            ("row_type", "queue"),
            ("row_option", ""),
        ]
    };
    let refused = ann.post("/callers/rules/new", &rows("   ")).await;
    assert_eq!(refused.status, 422, "{refused:?}");
    refused.assert_message("row-2-value-error", "Row 2: the value is empty");
    assert_eq!(
        input_value(&refused.body, "row-1-value").as_deref(),
        Some("80"),
        "kept, sorted"
    );

    let saved = ann.post("/callers/rules/new", &rows("gold")).await;
    assert_eq!(saved.status, 303, "{saved:?}");
    assert_eq!(saved.location.as_deref(), Some("/callers?done=saved"));
    let account = app
        .state
        .store
        .accounts()
        .find_by_name("acme")
        .await
        .expect("db")
        .expect("acme");
    let rules = RoutingRules::from_state(&app.state);
    let all = rules.list(account.id).await.expect("list");
    assert_eq!(all.len(), 1);
    let set = &all[0];
    assert_eq!(set.rows.len(), 2);
    assert_eq!(set.route(Some("90")).to_string(), "queue 200");
    assert_eq!(set.rows[1].field.as_deref(), Some("Region"));
    assert_eq!(set.default.to_string(), "queue 100");

    let list = ann.get("/callers").await;
    list.assert_shows("VIP");
    list.assert_shows(&set.id.to_string());
    let edit = ann.get(&format!("/callers/rules/{}/edit", set.id)).await;
    assert_eq!(edit.status, 200);
    assert_eq!(
        input_value(&edit.body, "row-2-value").as_deref(),
        Some("gold")
    );
    let mut changed = rows("platinum");
    changed[0] = ("name", "VIP callers");
    let updated = ann
        .post(&format!("/callers/rules/{}/edit", set.id), &changed)
        .await;
    assert_eq!(updated.status, 303, "{updated:?}");
    let reread = rules
        .require(account.id, set.id)
        .await
        .expect("still there");
    assert_eq!(reread.name, "VIP callers");
    assert_eq!(reread.rows[1].value, "platinum");

    let confirm = ann.get(&format!("/callers/rules/{}/delete", set.id)).await;
    assert_eq!(confirm.status, 200);
    let without_csrf = ann
        .post_raw(&format!("/callers/rules/{}/delete", set.id), &[])
        .await;
    assert_eq!(without_csrf.status, 403);
    let deleted = ann
        .post(&format!("/callers/rules/{}/delete", set.id), &[])
        .await;
    assert_eq!(deleted.status, 303, "{deleted:?}");
    assert!(rules.get(account.id, set.id).await.expect("read").is_none());
    assert_eq!(
        ann.get(&format!("/callers/rules/{}/edit", set.id))
            .await
            .status,
        404
    );
}
