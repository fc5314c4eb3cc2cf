//! The console's Callers page over plain HTTP: lookup keys created (key, secret and
//! lookup URL shown once, never listed) and revoked behind a confirmation, routing rule
//! sets built with ordered rows, refused beside the row, edited and deleted; all
//! through CSRF-carrying forms, admins only. And the *Calls* page (any signed-in user):
//! calls reported through `POST /v1/interactions` with their note's outcome (the CRM
//! record, or the reason a caller is unmatched) in the account's time zone, filtered by
//! status and paged like the API, caller-supplied text escaped, one account's only.

use serde_json::json;

use listbridge::{
    accounts::AccountAdmin,
    callers::{
        keys::{LookupKeyError, authenticate},
        routing::RoutingRules,
    },
    store::Role,
};

use crate::support::{
    TestApp,
    calls::{crm_number, inbound_call, listing, number_leads, report, start_of, wait_settled},
    console::Console,
    services::fast_services,
    spawn_app,
    world::{connect, crm_config, world_with},
};

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

/// The interaction ids of the calls table's rows, in order.
fn call_ids(html: &str) -> Vec<String> {
    html.split("<tr data-interaction=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect()
}

/// The row of `interaction_id` in the calls table, as HTML.
fn call_row<'a>(html: &'a str, interaction_id: &str) -> &'a str {
    let start = html
        .find(&format!("<tr data-interaction=\"{interaction_id}\""))
        .unwrap_or_else(|| panic!("no row of {interaction_id} in {html}"));
    let row = &html[start..];
    &row[..row.find("</tr>").unwrap_or(row.len())]
}

/// The `href` of the link with `rel="next"`, unescaped.
fn next_link(html: &str) -> Option<String> {
    let marker = "rel=\"next\" href=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(crate::support::console::unescape(&html[start..start + end]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calls_page_lists_notes_and_unmatched_callers_filtered_and_paged() {
    let w = world_with(crm_config(3, 0), fast_services()).await;
    let leads = number_leads(&w.crm, 2);
    w.imported_list("lead", &["WorkPhone"]).await;
    let admin = AccountAdmin {
        store: &w.app.state.store,
        clock: w.app.state.clock.as_ref(),
        random: w.app.state.random.as_ref(),
    };
    let settings = admin.settings(w.account).await.expect("settings");
    admin
        .update_settings(
            w.account,
            &settings.name,
            "Europe/London",
            settings.default_region.as_deref().unwrap_or(""),
        )
        .await
        .expect("time zone set");
    w.app
        .create_user("acme", "mia@acme.example", Role::Marketer)
        .await;
    let mia = w.app.sign_in("mia@acme.example").await;

    // Before any call: the empty state says how calls arrive; a marketer reaches it.
    let empty = mia.get("/callers/calls").await;
    assert_eq!(empty.status, 200, "{empty:?}");
    empty.assert_shows(r#"<a href="/callers/calls" aria-current="page">Calls</a>"#);
    empty.assert_shows("id=\"calls-empty\"");
    empty.assert_shows("POST /v1/interactions");
    assert!(!empty.body.contains("id=\"callers-pages\""), "admin tabs");

    // Two calls from leads (one with markup in its agent and notes), one from a number
    // no record has, one withheld.
    let mut marked = inbound_call(1);
    marked["agent"] = json!("<script>alert('agent')</script>");
    marked["notes"] = json!("Wants <script>alert(1)</script> & more");
    let (status, body) = report(
        &w.app.client,
        &w.app.base_url,
        &w.key,
        vec![
            inbound_call(0),
            marked,
            json!({ "interaction_id": "unknown-1", "direction": "inbound",
                    "caller": "+44 20 7946 5555", "callee": "200",
                    "started_at": start_of(60), "duration_seconds": 5 }),
            json!({ "interaction_id": "withheld-1", "direction": "inbound",
                    "caller": "anonymous", "callee": "200",
                    "started_at": start_of(61), "duration_seconds": 5 }),
        ],
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let counts = wait_settled(&w.app.client, &w.app.base_url, &w.key).await;
    assert_eq!(counts["delivered"], 2, "{counts}");
    assert_eq!(counts["unmatched"], 2, "{counts}");

    let all = mia.get("/callers/calls").await;
    assert_eq!(all.status, 200, "{all:?}");
    assert_eq!(
        call_ids(&all.body),
        ["call-0000", "call-0001", "unknown-1", "withheld-1"]
    );
    all.assert_shows("Notes written</dt><dd>2</dd>");
    all.assert_shows("Unmatched</dt><dd>2</dd>");
    // Delivered: the lead the note went to; started at in the account's time zone.
    let delivered = call_row(&all.body, "call-0000");
    assert!(delivered.contains("note written"), "{delivered}");
    assert!(
        delivered.contains(&format!("Lead {}", leads[0])),
        "{delivered}"
    );
    assert!(delivered.contains("2 Jun 2025, 10:00 BST"), "{delivered}");
    assert!(delivered.contains("Inbound"), "{delivered}");
    assert!(delivered.contains("Agent 0"), "{delivered}");
    assert!(delivered.contains("answered, 1m 00s"), "{delivered}");
    all.assert_shows("Times are in Europe/London.");
    // Unmatched: the reason instead of a record.
    let unknown = crate::support::console::unescape(call_row(&all.body, "unknown-1"));
    assert!(unknown.contains("unmatched"), "{unknown}");
    assert!(
        unknown.contains("no lead or contact") && unknown.contains("+442079465555"),
        "{unknown}"
    );
    let withheld = crate::support::console::unescape(call_row(&all.body, "withheld-1"));
    assert!(
        withheld.contains("'anonymous' cannot be matched"),
        "{withheld}"
    );
    // What the phone system sent shows as text, never as markup.
    let marked = call_row(&all.body, "call-0001");
    assert!(!all.body.contains("<script>"), "{marked}");
    assert!(
        marked.contains("&#60;script&#62;alert(&#39;agent&#39;)&#60;/script&#62;"),
        "{marked}"
    );
    assert!(
        marked.contains("Wants &#60;script&#62;alert(1)&#60;/script&#62; &#38; more"),
        "{marked}"
    );

    // The filter narrows, as `GET /v1/interactions?status=` does.
    let unmatched = mia.get("/callers/calls?status=unmatched").await;
    assert_eq!(call_ids(&unmatched.body), ["unknown-1", "withheld-1"]);
    unmatched.assert_shows(
        r#"<a href="/callers/calls?status=unmatched" aria-current="page">Unmatched (2)</a>"#,
    );
    let api = listing(&w.app.client, &w.app.base_url, &w.key, "status=unmatched").await;
    let api_ids: Vec<&str> = api["interactions"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["interaction_id"].as_str())
        .collect();
    assert_eq!(call_ids(&unmatched.body), api_ids);
    let written = mia.get("/callers/calls?status=delivered").await;
    assert_eq!(call_ids(&written.body), ["call-0000", "call-0001"]);
    let failed = mia.get("/callers/calls?status=failed").await;
    assert!(call_ids(&failed.body).is_empty());
    failed.assert_shows("No call is failed.");
    assert!(!failed.body.contains("id=\"calls-empty\""));

    // Pages of three by interaction id, through all of them.
    let first = mia.get("/callers/calls?limit=3").await;
    let mut seen = call_ids(&first.body);
    assert_eq!(seen.len(), 3);
    let next = next_link(&first.body).expect("a next page");
    assert_eq!(next, "/callers/calls?after=unknown-1&limit=3");
    let second = mia.get(&next).await;
    assert_eq!(second.status, 200, "{second:?}");
    second.assert_shows("← First page");
    assert!(next_link(&second.body).is_none(), "last page");
    seen.extend(call_ids(&second.body));
    assert_eq!(seen, ["call-0000", "call-0001", "unknown-1", "withheld-1"]);

    // An admin reaches it from the Callers pages.
    let ann = w
        .app
        .signed_in("acme", "ann@acme.example", Role::Admin)
        .await;
    let callers = ann.get("/callers").await;
    callers.assert_shows(r#"<a href="/callers/calls" aria-current="false">Calls</a>"#);
    let calls = ann.get("/callers/calls").await;
    calls.assert_shows(r#"<a href="/callers" aria-current="page">Callers</a>"#);
    calls.assert_shows(r#"<a href="/callers/calls" aria-current="page">Calls</a>"#);

    // Another account sees only its own calls.
    let globex_key = w.app.create_account("globex").await;
    connect(&w.app, &globex_key, &w.crm).await;
    let (status, body) = report(
        &w.app.client,
        &w.app.base_url,
        &globex_key,
        vec![
            json!({ "interaction_id": "globex-1", "direction": "inbound",
                     "caller": crm_number(0), "callee": "300",
                     "started_at": start_of(0), "duration_seconds": 9 }),
        ],
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let gus = w
        .app
        .signed_in("globex", "gus@globex.example", Role::Marketer)
        .await;
    let theirs = gus.get("/callers/calls").await;
    assert_eq!(call_ids(&theirs.body), ["globex-1"]);
    let ours = mia.get("/callers/calls").await;
    assert!(!ours.body.contains("globex-1"), "{}", ours.body);
    assert_eq!(call_ids(&ours.body).len(), 4);
}
