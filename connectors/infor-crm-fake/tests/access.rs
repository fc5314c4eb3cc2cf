//! 403 Forbidden: extra users whose access is restricted (read-only, read-only kinds, no
//! access), in JSON and Atom, alone and inside `$batch`, set at start or via `/_admin/users`.
mod common;

use common::*;
use infor_crm_fake::{Access, FakeConfig, FakeUser, Kind};
use reqwest::{RequestBuilder, header};
use serde_json::json;

async fn fixture() -> Harness {
    start(FakeConfig {
        leads: 2,
        contacts: 1,
        accounts: 1,
        users: vec![
            FakeUser::new("reader", "rpw", Access::ReadOnly),
            FakeUser::new("clerk", "cpw", Access::Full).with_read_only_kinds(&[Kind::Lead]),
            FakeUser::new("gone", "gpw", Access::None),
        ],
        ..FakeConfig::default()
    })
    .await
}

fn as_user(req: RequestBuilder, user: &str, password: &str) -> RequestBuilder {
    req.basic_auth(user, Some(password))
}

fn atom_lead(body: &str) -> String {
    format!(
        r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1"><sdata:payload><Lead xmlns="http://schemas.sage.com/dynamic/2007">{body}</Lead></sdata:payload></entry>"#
    )
}

/// The message of a JSON 403 (a top-level array with an ApplicationDiagnosis).
async fn json_403(resp: reqwest::Response) -> String {
    assert_eq!(resp.status(), 403);
    assert!(resp.headers().get(header::WWW_AUTHENTICATE).is_none());
    let body = body_json(resp).await;
    let Some(d) = body.as_array().and_then(|a| a.first()) else {
        panic!("a top-level array: {body}")
    };
    assert_eq!(d["sdataCode"], "ApplicationDiagnosis", "{body}");
    assert_eq!(d["severity"], "Error");
    d["message"].as_str().unwrap_or_default().to_string()
}

/// The message of an XML 403 (`sdata:diagnoses`).
async fn xml_403(resp: reqwest::Response) -> String {
    assert_eq!(resp.status(), 403);
    let xml = atom::parse(&text(resp).await);
    assert!(xml.is(atom::SDATA, "diagnoses"));
    let d = xml.child(atom::SDATA, "diagnosis");
    assert_eq!(
        d.and_then(|d| d.text_of(atom::SDATA, "sdataCode"))
            .as_deref(),
        Some("ApplicationDiagnosis")
    );
    d.and_then(|d| d.text_of(atom::SDATA, "message"))
        .unwrap_or_default()
}

#[tokio::test]
async fn a_read_only_user_reads_but_every_write_is_403_in_both_formats() {
    let h = fixture().await;
    let state = h.crm.state();
    let before = state.records(Kind::Lead);
    let key = before[0].key.clone();
    let r = |req| as_user(req, "reader", "rpw");

    let feed = send(r(h.client.get(h.url("leads?format=json")))).await;
    assert_eq!(feed.status(), 200);
    assert_eq!(resources(&body_json(feed).await).len(), 2);
    assert_eq!(send(r(h.client.get(h.url("leads")))).await.status(), 200);

    let m = json_403(
        send(
            r(h.client.post(h.url("leads?format=json")))
                .json(&json!({"LastName": "X", "Company": "Y"})),
        )
        .await,
    )
    .await;
    assert!(m.contains("reader") && m.contains("add Lead"), "{m}");
    let m = xml_403(
        send(
            r(h.client.post(h.url("leads")))
                .body(atom_lead("<LastName>X</LastName><Company>Y</Company>")),
        )
        .await,
    )
    .await;
    assert!(m.contains("add Lead"), "{m}");
    let m = json_403(
        send(
            r(h.client.put(h.url(&format!("leads('{key}')?format=json"))))
                .json(&json!({"Title": "X"})),
        )
        .await,
    )
    .await;
    assert!(m.contains("update Lead"), "{m}");
    let m = xml_403(
        send(
            r(h.client.put(h.url(&format!("leads('{key}')")))).body(atom_lead("<Title>X</Title>")),
        )
        .await,
    )
    .await;
    assert!(m.contains("update Lead"), "{m}");
    let m = xml_403(send(r(h.client.delete(h.url(&format!("leads('{key}')"))))).await).await;
    assert!(m.contains("delete Lead"), "{m}");
    // A POST tunnelled as a GET is a read.
    let resp = send(
        r(h.client.post(h.url("leads")))
            .header("X-HTTP-Method-Override", "GET")
            .body(h.url("leads?format=json&count=1")),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(state.records(Kind::Lead), before, "nothing changed");
    assert_eq!(state.stats().record_writes, 0);

    // Wrong password: 401, not 403.
    let resp = send(as_user(h.client.get(h.url("leads")), "reader", "nope")).await;
    assert_eq!(resp.status(), 401);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn a_user_without_access_gets_403_for_everything_and_get_current_user_names_the_caller() {
    let h = fixture().await;
    let svc = format!("{}/sdata/slx/system/-/$service/getCurrentUser", h.base);
    let m = json_403(
        send(as_user(
            h.client.get(h.url("leads?format=json")),
            "gone",
            "gpw",
        ))
        .await,
    )
    .await;
    assert!(m.contains("gone"), "{m}");
    xml_403(send(as_user(h.client.get(h.url("leads")), "gone", "gpw")).await).await;
    let resp = send(
        as_user(h.client.post(&svc), "gone", "gpw")
            .header("Accept", "application/json")
            .json(&json!({})),
    )
    .await;
    json_403(resp).await;

    let resp = send(
        as_user(h.client.post(&svc), "Reader", "rpw")
            .header("Accept", "application/json")
            .json(&json!({})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let me = body_json(resp).await;
    assert_eq!(me["response"]["userId"], "READER      ");
    assert_eq!(me["response"]["userName"], "reader");
    let xml =
        atom::parse(&text(send(as_user(h.client.post(&svc), "clerk", "cpw").body("")).await).await);
    let id = xml
        .payload()
        .and_then(|p| p.child(atom::SLX, "response"))
        .and_then(|r| r.text_of(atom::SLX, "userId"));
    assert_eq!(id.as_deref(), Some("CLERK       "));
    h.crm.shutdown().await;
}

#[tokio::test]
async fn read_only_kinds_forbid_writes_to_those_kinds_only_and_writes_carry_the_user() {
    let h = fixture().await;
    let c = |req| as_user(req, "clerk", "cpw");
    let m = json_403(
        send(
            c(h.client.post(h.url("leads?format=json")))
                .json(&json!({"LastName": "X", "Company": "Y"})),
        )
        .await,
    )
    .await;
    assert!(m.contains("add Lead"), "{m}");
    let resp =
        send(c(h.client.post(h.url("contacts?format=json"))).json(&json!({"LastName": "Z"}))).await;
    assert_eq!(resp.status(), 201);
    let created = body_json(resp).await;
    assert_eq!(created["CreateUser"], "CLERK       ");
    assert_eq!(created["ModifyUser"], "CLERK       ");
    h.crm.shutdown().await;
}

#[tokio::test]
async fn inside_a_batch_each_write_is_authorised_on_its_own() {
    let h = fixture().await;
    let state = h.crm.state();
    let lead = &state.records(Kind::Lead)[0];
    let url = h.url(&format!("leads('{}')", lead.key));
    let body = json!({"$resources": [
        {"$httpMethod": "GET", "$url": url},
        {"$httpMethod": "POST", "LastName": "X", "Company": "Y"},
        {"$httpMethod": "PUT", "$url": url, "Title": "X"},
    ]});
    let resp = send(
        as_user(
            h.client.post(h.url("leads/$batch?format=json")),
            "reader",
            "rpw",
        )
        .json(&body),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let out = body_json(resp).await;
    let r = resources(&out);
    let statuses: Vec<_> = r.iter().map(|e| e["$httpStatus"].clone()).collect();
    assert_eq!(statuses, [json!(200), json!(403), json!(403)]);
    assert_eq!(r[0]["$key"], lead.key.as_str());
    assert!(
        r[1]["$diagnoses"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("add Lead"))
    );
    assert_eq!(r[2]["$httpMessage"], "Forbidden");

    let feed = format!(
        r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1" xmlns:http="http://schemas.sage.com/sdata/http/2008/1"><entry><id>{url}</id><http:httpMethod>DELETE</http:httpMethod></entry></feed>"#
    );
    let resp =
        send(as_user(h.client.post(h.url("leads/$batch")), "reader", "rpw").body(feed)).await;
    assert_eq!(resp.status(), 200);
    let out = atom::parse(&text(resp).await);
    let entries = out.all(atom::ATOM, "entry");
    assert_eq!(
        entries[0].text_of(atom::HTTP, "httpStatus").as_deref(),
        Some("403")
    );
    assert!(entries[0].child(atom::SDATA, "diagnoses").is_some());
    assert_eq!(state.count(Kind::Lead), 2);
    assert_eq!(state.record(Kind::Lead, &lead.key).as_ref(), Some(lead));
    h.crm.shutdown().await;
}

#[tokio::test]
async fn users_are_added_listed_and_removed_over_the_admin_endpoint() {
    let h = with_leads(1).await;
    let get = || h.client.get(h.url("leads?format=json"));
    assert_eq!(send(as_user(get(), "viewer", "vpw")).await.status(), 401);
    let user = json!({"username": "viewer", "password": "vpw", "access": "read_only"});
    let resp = send(h.client.post(h.admin("users")).json(&user)).await;
    assert_eq!(resp.status(), 200);
    let listed = body_json(resp).await;
    assert_eq!(
        listed,
        json!([{"username": "viewer", "access": "read_only"}]),
        "no password shown"
    );
    assert_eq!(send(as_user(get(), "viewer", "vpw")).await.status(), 200);
    let post = send(
        as_user(h.client.post(h.url("leads?format=json")), "viewer", "vpw")
            .json(&json!({"LastName": "X", "Company": "Y"})),
    )
    .await;
    json_403(post).await;
    // Replacing by name changes the access.
    let full = json!({"username": "VIEWER", "password": "vpw", "access": "full"});
    send(h.client.post(h.admin("users")).json(&full)).await;
    assert_eq!(h.crm.state().users().len(), 1);
    let post = send(
        as_user(h.client.post(h.url("leads?format=json")), "viewer", "vpw")
            .json(&json!({"LastName": "X", "Company": "Y"})),
    )
    .await;
    assert_eq!(post.status(), 201);
    // The main user cannot be redefined, and a bad array adds nothing.
    let bad =
        json!([{"username": "other", "password": "o"}, {"username": "admin", "password": "x"}]);
    let resp = send(h.client.post(h.admin("users")).json(&bad)).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(h.crm.state().users().len(), 1);

    let resp = send(h.client.delete(h.admin("users"))).await;
    assert_eq!(body_json(resp).await, json!([]));
    assert_eq!(send(as_user(get(), "viewer", "vpw")).await.status(), 401);
    assert_eq!(
        send(h.get("leads")).await.status(),
        200,
        "the main user stays"
    );
    h.crm.shutdown().await;
}
