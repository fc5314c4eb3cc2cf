//! Reads in both formats: routing, auth, Atom shape, JSON shape, single resources.
mod common;

use common::*;
use reqwest::header;

#[tokio::test]
async fn json_feed_needs_basic_auth_and_challenges_without_it() {
    let h = with_leads(20).await;
    let resp = send(h.client.get(h.url("leads?format=json&count=10"))).await;
    assert_eq!(resp.status(), 401);
    let challenge = resp
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok());
    assert_eq!(challenge, Some("Basic realm=\"SalesLogix\""));
    let body = body_json(resp).await;
    assert!(body.is_array(), "JSON errors are a top-level array: {body}");

    let resp = send(
        h.client
            .get(h.url("leads?format=json"))
            .header("X-Authorization-Mode", "no-challenge"),
    )
    .await;
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().get(header::WWW_AUTHENTICATE).is_none());

    let resp = send(
        h.client
            .get(h.url("leads?format=json"))
            .basic_auth("admin", Some("wrong")),
    )
    .await;
    assert_eq!(resp.status(), 401);

    let token = "Basic YWRtaW46cGFzc3dvcmQ="; // admin:password
    let resp = send(
        h.client
            .get(h.url("leads?format=json&count=10"))
            .header("X-Authorization", token),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let feed = body_json(resp).await;
    assert_eq!(resources(&feed).len(), 10);
    assert_eq!(feed["$totalResults"], 20);
    h.crm.shutdown().await;
}
