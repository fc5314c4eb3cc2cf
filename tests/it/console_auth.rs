//! The console's sign-in, sessions, CSRF and roles, over plain HTTP.

use crate::support::{
    TestApp,
    console::{PASSWORD, hidden_value, no_redirect_client, read, set_cookie_value},
};
use listbridge::store::Role;

/// The answer to a GET of `path` without a session, sending `headers`.
async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = no_redirect_client().get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// Posts the sign-in form as `email` with `password` and `token`, sending `cookie`
/// (the form's double-submit cookie, or more) when given.
async fn post_sign_in(
    app: &TestApp,
    cookie: Option<String>,
    email: &str,
    password: &str,
    token: &str,
) -> reqwest::Response {
    let mut request = no_redirect_client().post(app.url("/sign-in")).form(&[
        ("email", email),
        ("password", password),
        ("token", token),
    ]);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_sets_a_fresh_http_only_session_and_sign_out_ends_it() {
    let app = crate::support::spawn_app().await;
    app.create_account("acme").await;
    app.create_user("acme", "ann@acme.example", Role::Admin)
        .await;

    let anonymous = app.visit("/lists").await;
    assert_eq!(anonymous.status, 303, "{anonymous:?}");
    assert_eq!(
        anonymous.location.as_deref(),
        Some("/sign-in?next=%2Flists")
    );

    let form = get(&app, "/sign-in", &[]).await;
    let token = set_cookie_value(&form, "lb_sign_in").expect("double-submit cookie");
    let page = read(form).await;
    assert_eq!(
        hidden_value(&page.body, "token").as_deref(),
        Some(token.as_str())
    );
    let planted = "planted-session-id";
    let cookie = format!("lb_sign_in={token}; lb_session={planted}");
    let response = post_sign_in(&app, Some(cookie), "ANN@acme.example", PASSWORD, &token).await;
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
    let auto = crate::support::spawn_app().await;
    let never = crate::support::spawn_app_configured(Default::default(), |c| {
        c.console.secure_cookies = listbridge::config::SecureCookies::Never;
    })
    .await;
    for (app, secure) in [(&auto, true), (&never, false)] {
        let response = get(app, "/sign-in", &[("x-forwarded-proto", "https")]).await;
        let cookie = response
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(cookie.contains("Secure"), secure, "{cookie}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_keeps_the_email_and_six_in_a_row_are_slowed() {
    let app = crate::support::spawn_app().await;
    app.create_account("acme").await;
    app.create_user("acme", "ann@acme.example", Role::Marketer)
        .await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let form = get(&app, "/sign-in", &[]).await;
        let token = set_cookie_value(&form, "lb_sign_in").unwrap();
        let cookie = format!("lb_sign_in={token}");
        let wrong = "not the password";
        let page =
            read(post_sign_in(&app, Some(cookie), "ann@acme.example", wrong, &token).await).await;
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
    let app = crate::support::spawn_app().await;
    app.create_account("acme").await;
    let console = app.signed_in("acme", "ann@acme.example", Role::Admin).await;
    let refused = console.post_raw("/sign-out", &[]).await;
    assert_eq!(refused.status, 403, "{refused:?}");
    assert!(refused.body.contains("This form has expired"));
    let wrong = console
        .post_raw("/sign-out", &[("csrf", "not-the-token")])
        .await;
    assert_eq!(wrong.status, 403);
    assert_eq!(console.get("/lists").await.status, 200, "still signed in");

    let form = get(&app, "/sign-in", &[]).await;
    let token = set_cookie_value(&form, "lb_sign_in").unwrap();
    let forged = read(post_sign_in(&app, None, "ann@acme.example", PASSWORD, &token).await).await;
    assert_eq!(
        forged.status, 403,
        "a sign-in without its cookie is refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_the_security_headers() {
    let app = crate::support::spawn_app().await;
    let response = get(&app, "/sign-in", &[]).await;
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
    let app = crate::support::spawn_app_with(Services {
        clock: clock.clone(),
        ..Services::default()
    })
    .await;
    app.create_account("acme").await;
    let console = app
        .signed_in("acme", "ann@acme.example", Role::Marketer)
        .await;

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
    assert!(expired.is_sign_in_redirect(), "{expired:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn htmx_requests_without_a_session_reload_the_page_into_sign_in() {
    let app = crate::support::spawn_app().await;
    let current = app.url("/lists/abc?search=ann");
    let headers = [("hx-request", "true"), ("hx-current-url", current.as_str())];
    let fragment = "/runs/0196a2f4-3c1e-7000-8000-000000000000/progress";
    let response = get(&app, fragment, &headers).await;
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
    let app = crate::support::spawn_app().await;
    let html = [("accept", "text/html,application/xhtml+xml")];
    let browser = read(get(&app, "/no-such-page", &html).await).await;
    assert_eq!(browser.status, 404);
    assert!(
        browser.body.contains("Not found") && browser.body.contains("<html"),
        "{browser:?}"
    );
    for (path, headers) in [
        ("/no-such-page", &[][..]),
        ("/v1/no-such-route", &[("accept", "text/html")][..]),
    ] {
        crate::support::assert_problem(get(&app, path, headers).await, 404, "not_found").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_posted_after_the_session_ended_returns_to_its_page_after_sign_in() {
    let app = crate::support::spawn_app().await;
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
