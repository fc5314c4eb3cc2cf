//! The console's sign-in, sessions, CSRF and roles, over plain HTTP.

mod common;

use common::console::{PASSWORD, hidden_value, no_redirect_client, read, set_cookie_value};
use listbridge::store::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_sets_a_fresh_http_only_session_and_sign_out_ends_it() {
    let app = common::spawn_app().await;
    app.create_account("acme").await;
    app.create_user("acme", "ann@acme.example", Role::Admin)
        .await;

    let anonymous = read(
        no_redirect_client()
            .get(app.url("/lists"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(anonymous.status, 303, "{anonymous:?}");
    assert_eq!(
        anonymous.location.as_deref(),
        Some("/sign-in?next=%2Flists")
    );

    let client = no_redirect_client();
    let form = client.get(app.url("/sign-in")).send().await.unwrap();
    let token = set_cookie_value(&form, "lb_sign_in").expect("double-submit cookie");
    let page = read(form).await;
    assert_eq!(
        hidden_value(&page.body, "token").as_deref(),
        Some(token.as_str())
    );
    let planted = "planted-session-id";
    let response = client
        .post(app.url("/sign-in"))
        .header(
            "cookie",
            format!("lb_sign_in={token}; lb_session={planted}"),
        )
        .form(&[
            ("email", "ANN@acme.example"),
            ("password", PASSWORD),
            ("token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lb_session="))
        .expect("session cookie")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http on loopback: {cookie}"
    );
    assert!(!cookie.contains(planted), "a new id at sign-in: {cookie}");

    let console = app.sign_in("ann@acme.example").await;
    let lists = console.get("/lists").await;
    assert_eq!(lists.status, 200, "{lists:?}");
    assert!(lists.body.contains("acme") && lists.body.contains("ann@acme.example"));
    assert!(lists.body.contains("admin"));

    let out = console.post("/sign-out", &[]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location.as_deref(), Some("/sign-in"));
    let after = console.get("/lists").await;
    assert_eq!(after.status, 303, "the session is over: {after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_cookies_follow_the_proxy_and_the_setting() {
    let app = common::spawn_app().await;
    let response = no_redirect_client()
        .get(app.url("/sign-in"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");

    let never = common::spawn_app_configured(Default::default(), |c| {
        c.console.secure_cookies = listbridge::config::SecureCookies::Never;
    })
    .await;
    let response = no_redirect_client()
        .get(never.url("/sign-in"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_keeps_the_email_and_six_in_a_row_are_slowed() {
    let app = common::spawn_app().await;
    app.create_account("acme").await;
    app.create_user("acme", "ann@acme.example", Role::Marketer)
        .await;
    let client = no_redirect_client();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let form = client.get(app.url("/sign-in")).send().await.unwrap();
        let token = set_cookie_value(&form, "lb_sign_in").unwrap();
        let page = read(
            client
                .post(app.url("/sign-in"))
                .header("cookie", format!("lb_sign_in={token}"))
                .form(&[
                    ("email", "ann@acme.example"),
                    ("password", "not the password"),
                    ("token", &token),
                ])
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(
            page.body.contains("value=\"ann@acme.example\""),
            "the email is kept"
        );
        statuses.push((page.status, page.body));
    }
    for (status, body) in &statuses[..5] {
        assert_eq!(*status, 401);
        assert!(body.contains("The email or password is wrong."));
    }
    let (status, body) = &statuses[5];
    assert_eq!(*status, 429);
    assert!(body.contains("Too many sign-in attempts"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_the_csrf_token_are_refused() {
    let app = common::spawn_app().await;
    app.create_account("acme").await;
    app.create_user("acme", "ann@acme.example", Role::Admin)
        .await;
    let console = app.sign_in("ann@acme.example").await;
    let refused = console.post_raw("/sign-out", &[]).await;
    assert_eq!(refused.status, 403, "{refused:?}");
    assert!(refused.body.contains("This form has expired"));
    let wrong = console
        .post_raw("/sign-out", &[("csrf", "not-the-token")])
        .await;
    assert_eq!(wrong.status, 403);
    assert_eq!(console.get("/lists").await.status, 200, "still signed in");

    let form = no_redirect_client()
        .get(app.url("/sign-in"))
        .send()
        .await
        .unwrap();
    let token = set_cookie_value(&form, "lb_sign_in").unwrap();
    let forged = read(
        no_redirect_client()
            .post(app.url("/sign-in"))
            .form(&[
                ("email", "ann@acme.example"),
                ("password", PASSWORD),
                ("token", &token),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        forged.status, 403,
        "a sign-in without its cookie is refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_the_security_headers() {
    let app = common::spawn_app().await;
    let response = no_redirect_client()
        .get(app.url("/sign-in"))
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let csp = header("content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let body = response.text().await.unwrap();
    assert!(!body.contains("<script>"), "no inline script");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_idle_longer_than_the_setting_must_sign_in_again() {
    use std::sync::Arc;

    use listbridge::{app::Services, clock::TestClock};

    let clock = Arc::new(TestClock::new(chrono::Utc::now()));
    let app = common::spawn_app_with(Services {
        clock: clock.clone(),
        ..Services::default()
    })
    .await;
    app.create_account("acme").await;
    app.create_user("acme", "ann@acme.example", Role::Marketer)
        .await;
    let console = app.sign_in("ann@acme.example").await;

    clock.advance(chrono::Duration::hours(11));
    assert_eq!(console.get("/lists").await.status, 200, "11 h idle is fine");
    clock.advance(chrono::Duration::hours(11));
    assert_eq!(
        console.get("/lists").await.status,
        200,
        "the last request counts"
    );
    clock.advance(chrono::Duration::hours(12) + chrono::Duration::minutes(1));
    let expired = console.get("/lists").await;
    assert_eq!(expired.status, 303, "{expired:?}");
    assert!(expired.location.is_some_and(|l| l.starts_with("/sign-in")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn htmx_requests_without_a_session_reload_the_page_into_sign_in() {
    let app = common::spawn_app().await;
    let response = no_redirect_client()
        .get(app.url("/runs/0196a2f4-3c1e-7000-8000-000000000000/progress"))
        .header("hx-request", "true")
        .header("hx-current-url", app.url("/lists/abc?search=ann"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let target = response
        .headers()
        .get("hx-redirect")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        target, "/sign-in?next=%2Flists%2Fabc%3Fsearch%3Dann",
        "the page, not the fragment"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_are_a_page_for_browsers_and_problem_json_for_clients() {
    let app = common::spawn_app().await;
    let browser = read(
        no_redirect_client()
            .get(app.url("/no-such-page"))
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(browser.status, 404);
    assert!(
        browser.body.contains("Not found") && browser.body.contains("<html"),
        "{browser:?}"
    );
    common::assert_problem(
        no_redirect_client()
            .get(app.url("/no-such-page"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    common::assert_problem(
        no_redirect_client()
            .get(app.url("/v1/no-such-route"))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_posted_after_the_session_ended_returns_to_its_page_after_sign_in() {
    let app = common::spawn_app().await;
    let page = read(
        no_redirect_client()
            .post(app.url("/lists/abc/rename"))
            .header("referer", app.url("/lists/abc/settings"))
            .form(&[("name", "New name")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, 303, "{page:?}");
    assert_eq!(
        page.location.as_deref(),
        Some("/sign-in?next=%2Flists%2Fabc%2Fsettings")
    );
}
