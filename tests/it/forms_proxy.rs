//! Per-client limits behind a proxy (issue 20, gap 4): with `trusted_proxies` set, the
//! client of a public form post or a console sign-in is the right-most untrusted address
//! in the header its proxy writes (`forwarded_header`), so visitors behind one proxy no
//! longer share one bucket; the other header, which the proxy passes through from the
//! client, is ignored; without trusted proxies, forwarding headers are ignored. The
//! form rate settings take effect.
//!
//! Every request goes to the service on loopback; the forwarded addresses are only
//! header text (documentation ranges).

use listbridge::{
    app::Services,
    client_address::ForwardedHeader,
    config::{Config, FormLimitSettings},
    forms::IntakeLimits,
};
use serde_json::json;

use crate::support::console::{no_redirect_client, read, set_cookie_value};
use crate::support::forms::contact_form;
use crate::support::services::{fast_services, no_workers};
use crate::support::world::{World, crm_config, world_configured};
use crate::support::{TestApp, spawn_app_configured};

/// The built-in intake limits (10 posts at once per client), no delivery workers.
fn default_limits() -> Services {
    Services {
        workers: no_workers(),
        form_intake: IntakeLimits::default(),
        ..fast_services()
    }
}

/// Trusts the test's own connection (the tests connect from 127.0.0.1).
fn behind_loopback_proxy(config: &mut Config) {
    config.trusted_proxies =
        listbridge::client_address::TrustedProxies::parse(["127.0.0.1", "::1"])
            .expect("loopback proxies");
}

/// A form's public submit path.
async fn form_path(w: &World, name: &str) -> String {
    let form = w.create_form(&contact_form(name)).await;
    form["submit_path"].as_str().expect("path").to_string()
}

/// Posts a JSON submission with `header: value`; returns the status and, when
/// limited, the problem's message.
async fn post(w: &World, path: &str, header: (&str, &str), n: usize) -> (u16, String) {
    post_with(w, path, &[header], n).await
}

/// Posts a JSON submission with all of `headers`; returns the status and the body.
async fn post_with(w: &World, path: &str, headers: &[(&str, &str)], n: usize) -> (u16, String) {
    let mut request = no_redirect_client().post(w.app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request
        .json(&json!({ "email": format!("visitor{n}@example.com") }))
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_proxy_clients_behind_a_trusted_proxy_have_their_own_buckets() {
    let w = world_configured(crm_config(1, 1), default_limits(), behind_loopback_proxy).await;
    let path = form_path(&w, "Behind a proxy").await;

    // Eleven visitors through the proxy: each has its own bucket.
    for i in 0..11 {
        let client = format!("203.0.113.{}", i + 1);
        let (status, body) = post(&w, &path, ("x-forwarded-for", &client), i).await;
        assert_eq!(status, 202, "visitor {client}: {body}");
    }

    // One forwarded visitor posting eleven times is limited at the eleventh.
    let one = ("x-forwarded-for", "198.51.100.7");
    for i in 0..10 {
        let (status, body) = post(&w, &path, one, 100 + i).await;
        assert_eq!(status, 202, "post {i}: {body}");
    }
    let (status, body) = post(&w, &path, one, 110).await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("from this address"), "{body}");

    // Writing another address to the left does not escape: the proxy's entry is the
    // right-most, and it is what counts.
    let spoofed = ("x-forwarded-for", "192.0.2.200, 198.51.100.7");
    let (status, body) = post(&w, &path, spoofed, 111).await;
    assert_eq!(status, 429, "{body}");

    // The proxy writes X-Forwarded-For and passes the client's own `Forwarded`
    // through: a client naming another address there does not escape.
    let (status, body) = post_with(&w, &path, &[one, ("forwarded", "for=192.0.2.201")], 112).await;
    assert_eq!(
        status, 429,
        "a client-supplied Forwarded is ignored: {body}"
    );

    // Nor does junk written left of its address: the proxy's entry still counts (a
    // header refused whole would have counted the proxy's own, unused bucket).
    let junk = ("x-forwarded-for", "not-an-address, 198.51.100.7");
    let (status, body) = post(&w, &path, junk, 113).await;
    assert_eq!(status, 429, "{body}");

    // Two IPv6 visitors in one /64 share a bucket, another /64 does not.
    for i in 0..10 {
        let v6 = ("x-forwarded-for", "[2001:db8:1:2::1]:4711");
        let (status, body) = post(&w, &path, v6, 200 + i).await;
        assert_eq!(status, 202, "post {i}: {body}");
    }
    let neighbour = ("x-forwarded-for", "2001:db8:1:2:ffff::9");
    let (status, body) = post(&w, &path, neighbour, 210).await;
    assert_eq!(status, 429, "the same /64: {body}");
    let elsewhere = ("x-forwarded-for", "2001:db8:1:3::1");
    let (status, body) = post(&w, &path, elsewhere, 211).await;
    assert_eq!(status, 202, "another /64: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_proxy_behind_a_forwarded_proxy_only_forwarded_counts() {
    let w = world_configured(crm_config(1, 1), default_limits(), |config| {
        behind_loopback_proxy(config);
        config.forwarded_header = ForwardedHeader::Forwarded;
    })
    .await;
    let path = form_path(&w, "Behind an RFC 7239 proxy").await;

    // RFC 7239: two IPv6 visitors in one /64 share a bucket, another /64 does not.
    for i in 0..10 {
        let forwarded = ("forwarded", "for=\"[2001:db8:1:2::1]:4711\";proto=https");
        let (status, body) = post(&w, &path, forwarded, i).await;
        assert_eq!(status, 202, "post {i}: {body}");
    }
    let neighbour = ("forwarded", "for=\"[2001:db8:1:2:ffff::9]\"");
    let (status, body) = post(&w, &path, neighbour, 10).await;
    assert_eq!(status, 429, "the same /64: {body}");
    let elsewhere = ("forwarded", "for=\"[2001:db8:1:3::1]\"");
    let (status, body) = post(&w, &path, elsewhere, 11).await;
    assert_eq!(status, 202, "another /64: {body}");

    // This proxy does not write X-Forwarded-For: a client's own is ignored.
    let (status, body) = post_with(
        &w,
        &path,
        &[
            ("forwarded", "for=\"[2001:db8:1:2::1]\""),
            ("x-forwarded-for", "203.0.113.77"),
        ],
        12,
    )
    .await;
    assert_eq!(status, 429, "X-Forwarded-For is not read: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_proxy_without_trusted_proxies_the_header_is_ignored() {
    let w = world_configured(crm_config(1, 1), default_limits(), |_| {}).await;
    let path = form_path(&w, "No proxy").await;
    for i in 0..10 {
        let client = format!("203.0.113.{}", i + 1);
        let (status, body) = post(&w, &path, ("x-forwarded-for", &client), i).await;
        assert_eq!(status, 202, "post {i}: {body}");
    }
    let (status, body) = post(&w, &path, ("x-forwarded-for", "203.0.113.99"), 10).await;
    assert_eq!(status, 429, "everyone is 127.0.0.1: {body}");
    let (status, body) = post(&w, &path, ("forwarded", "for=203.0.113.98"), 11).await;
    assert_eq!(status, 429, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_proxy_configured_rates_take_effect() {
    // The test services allow thousands of posts; the settings win over them.
    let services = Services {
        workers: no_workers(),
        ..fast_services()
    };
    let w = world_configured(crm_config(1, 1), services, |config| {
        behind_loopback_proxy(config);
        config.form_limits = FormLimitSettings {
            client_burst: Some(3),
            client_per_minute: Some(1),
            per_form_burst: Some(5),
            per_form_per_minute: Some(1),
        };
    })
    .await;
    let path = form_path(&w, "Configured").await;
    let a = ("x-forwarded-for", "203.0.113.1");
    for i in 0..3 {
        let (status, body) = post(&w, &path, a, i).await;
        assert_eq!(status, 202, "{body}");
    }
    let (status, body) = post(&w, &path, a, 3).await;
    assert_eq!(status, 429, "client burst 3: {body}");
    assert!(body.contains("from this address"), "{body}");
    let b = ("x-forwarded-for", "203.0.113.2");
    for i in 4..6 {
        let (status, body) = post(&w, &path, b, i).await;
        assert_eq!(status, 202, "{body}");
    }
    let c = ("x-forwarded-for", "203.0.113.3");
    let (status, body) = post(&w, &path, c, 6).await;
    assert_eq!(status, 429, "form burst 5: {body}");
    assert!(body.contains("to this form"), "{body}");
}

/// One sign-in attempt with a wrong password for `email`, forwarded for `client`;
/// returns the status.
async fn sign_in_attempt(app: &TestApp, client: &str, email: &str) -> u16 {
    let http = no_redirect_client();
    let form = http
        .get(app.url("/sign-in"))
        .send()
        .await
        .expect("sign-in page");
    let token = set_cookie_value(&form, "lb_sign_in").expect("double-submit cookie");
    let page = read(
        http.post(app.url("/sign-in"))
            .header("cookie", format!("lb_sign_in={token}"))
            .header("x-forwarded-for", client)
            .form(&[
                ("email", email),
                ("password", "not the password"),
                ("token", token.as_str()),
                ("next", "/lists"),
            ])
            .send()
            .await
            .expect("sent"),
    )
    .await;
    page.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_proxy_sign_in_attempts_count_per_forwarded_client() {
    let app = spawn_app_configured(Services::default(), behind_loopback_proxy).await;
    // Twenty attempts at once per client, each for another email.
    for i in 0..20 {
        let status = sign_in_attempt(&app, "203.0.113.1", &format!("u{i}@acme.example")).await;
        assert_eq!(status, 401, "attempt {i}");
    }
    assert_eq!(
        sign_in_attempt(&app, "203.0.113.1", "u20@acme.example").await,
        429,
        "the client's twenty-first"
    );
    assert_eq!(
        sign_in_attempt(&app, "203.0.113.2", "u21@acme.example").await,
        401,
        "another client behind the same proxy is not limited"
    );
}
