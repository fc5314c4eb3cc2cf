//! Error bodies in both formats with the right statuses, and authentication.
mod common;

use common::*;
use infor_crm_fake::{Fault, FaultConfig, FaultRule, Kind};
use reqwest::header;
use serde_json::json;

async fn assert_json_error(resp: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(resp.status(), status);
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(ct.starts_with("application/json"), "{ct}");
    let body = body_json(resp).await;
    let Some(first) = body.as_array().and_then(|a| a.first()) else {
        panic!("a top-level array: {body}")
    };
    assert_eq!(first["sdataCode"], code, "{body}");
    for key in [
        "severity",
        "applicationCode",
        "message",
        "stackTrace",
        "payloadPath",
    ] {
        assert!(first.get(key).is_some(), "{key} missing in {body}");
    }
    first.clone()
}

async fn assert_xml_error(resp: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(resp.status(), status);
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(ct.starts_with("application/xml"), "{ct}");
    let xml = atom::parse(&text(resp).await);
    assert!(xml.is(atom::SDATA, "diagnoses"));
    let Some(d) = xml.child(atom::SDATA, "diagnosis") else {
        panic!("diagnosis")
    };
    assert_eq!(d.text_of(atom::SDATA, "sdataCode").as_deref(), Some(code));
    let severity = d.text_of(atom::SDATA, "severity").unwrap_or_default();
    assert!(
        ["error", "transient"].contains(&severity.as_str()),
        "{severity}"
    );
    for element in ["applicationCode", "message", "stackTrace", "payloadPath"] {
        assert!(
            d.child(atom::SDATA, element).is_some(),
            "sdata:{element} missing in {d:?}"
        );
    }
    d.text_of(atom::SDATA, "message").unwrap_or_default()
}

fn retry_after(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[tokio::test]
async fn statuses_and_bodies_in_json_and_xml() {
    let h = with_leads(2).await;
    let state = h.crm.state();
    let Some(lead) = state.records(Kind::Lead).into_iter().next() else {
        panic!("lead")
    };

    assert_json_error(
        send(h.get("leads?format=json&where=(")).await,
        400,
        "BadWhereSyntax",
    )
    .await;
    assert_xml_error(send(h.get("leads?where=(")).await, 400, "BadWhereSyntax").await;
    assert_json_error(
        send(h.client.get(h.url("leads?format=json"))).await,
        401,
        "ApplicationDiagnosis",
    )
    .await;
    assert_xml_error(
        send(h.client.get(h.url("leads"))).await,
        401,
        "ApplicationDiagnosis",
    )
    .await;
    assert_json_error(
        send(h.get("leads('QNOPE0000000')?format=json")).await,
        404,
        "ApplicationDiagnosis",
    )
    .await;
    assert_xml_error(
        send(h.get("leads('QNOPE0000000')")).await,
        404,
        "ApplicationDiagnosis",
    )
    .await;
    assert_json_error(
        send(h.get("gadgets?format=json")).await,
        404,
        "ResourceKindNotFound",
    )
    .await;
    assert_xml_error(
        send(h.client.get(format!("{}/sdata/slx/nope/-/leads", h.base))).await,
        404,
        "ContractNotFound",
    )
    .await;
    let m = assert_json_error(
        send(h.post("leads?format=json").json(&json!({"Company": "C"}))).await,
        400,
        "ApplicationDiagnosis",
    )
    .await;
    assert_eq!(m["payloadPath"], "LastName");
    let stale = send(
        h.put(&format!("leads('{}')?format=json", lead.key))
            .header("If-Match", "nope")
            .json(&json!({"Title": "x"})),
    )
    .await;
    assert_eq!(stale.status(), 412);
    assert!(stale.headers().get(header::ETAG).is_some());
    let body = send(
        h.post("leads?format=json")
            .header("Content-Type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_json_error(body, 400, "ApplicationDiagnosis").await;
    assert_xml_error(
        send(h.post("leads").body("<entry>")).await,
        400,
        "ApplicationDiagnosis",
    )
    .await;
    let resp = send(h.delete("leads")).await;
    assert_eq!(resp.status(), 405);

    for (status, retry) in [(500u16, None), (503, Some(7u64)), (429, Some(2))] {
        state.set_faults(FaultConfig {
            rules: vec![FaultRule::next(
                2,
                Fault::Status {
                    status,
                    retry_after: retry,
                },
            )],
            ..FaultConfig::default()
        });
        let resp = send(h.get("leads?format=json")).await;
        assert_eq!(retry_after(&resp), retry.map(|r| r.to_string()));
        let d = assert_json_error(resp, status, "ApplicationDiagnosis").await;
        let severity = if status == 500 { "Error" } else { "Transient" };
        assert_eq!(d["severity"], severity);
        let resp = send(h.get("leads")).await;
        assert_eq!(retry_after(&resp), retry.map(|r| r.to_string()), "Atom too");
        assert_xml_error(resp, status, "ApplicationDiagnosis").await;
        assert_eq!(
            send(h.get("leads")).await.status(),
            200,
            "only the next two requests fail"
        );
    }
    h.crm.shutdown().await;
}

#[tokio::test]
async fn the_rate_cap_429_carries_retry_after_in_both_formats() {
    let h = with_leads(1).await;
    h.crm.state().set_faults(FaultConfig {
        rps_cap: Some(1),
        ..FaultConfig::default()
    });
    // With a cap of one, only the first request of each second goes through, so of
    // these back-to-back requests most are over the cap, in both formats.
    let mut seen_json = false;
    let mut seen_xml = false;
    for _ in 0..6 {
        let resp = send(h.get("leads?format=json")).await;
        if resp.status() == 429 {
            assert_eq!(retry_after(&resp).as_deref(), Some("1"));
            assert_json_error(resp, 429, "ApplicationDiagnosis").await;
            seen_json = true;
        }
        let resp = send(h.get("leads")).await;
        if resp.status() == 429 {
            assert_eq!(retry_after(&resp).as_deref(), Some("1"));
            assert_xml_error(resp, 429, "ApplicationDiagnosis").await;
            seen_xml = true;
        }
    }
    assert!(seen_json && seen_xml, "json {seen_json}, xml {seen_xml}");
    h.crm.shutdown().await;
}

/// Every error status an SData server answers with (as `sdata:diagnoses` XML, or a
/// top-level JSON array of diagnoses) that a client can provoke without faults:
/// 400/401/403/404/409/412 in both formats (500/503 are covered with faults above).
#[tokio::test]
async fn point_nine_statuses_in_json_and_xml() {
    let h = start(infor_crm_fake::FakeConfig {
        leads: 1,
        users: vec![infor_crm_fake::FakeUser::new(
            "reader",
            "pw",
            infor_crm_fake::Access::ReadOnly,
        )],
        write_rules: vec![infor_crm_fake::WriteRule::unique(Kind::Lead, "Email")],
        ..infor_crm_fake::FakeConfig::default()
    })
    .await;
    let Some(lead) = h.crm.state().records(Kind::Lead).into_iter().next() else {
        panic!("lead")
    };
    let email = lead.text("Email").unwrap_or_default().to_string();
    let entry = |body: &str| {
        format!(
            r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:sdata="http://schemas.sage.com/sdata/2008/1"><sdata:payload><Lead xmlns="http://schemas.sage.com/dynamic/2007">{body}</Lead></sdata:payload></entry>"#
        )
    };
    let dup = json!({"LastName": "D", "Company": "C", "Email": email});
    let m = assert_json_error(
        send(h.post("leads?format=json").json(&dup)).await,
        409,
        "ApplicationDiagnosis",
    )
    .await;
    assert_eq!(m["payloadPath"], "Email");
    let xml_dup = entry(&format!(
        "<LastName>D</LastName><Company>C</Company><Email>{email}</Email>"
    ));
    assert_xml_error(
        send(h.post("leads").body(xml_dup)).await,
        409,
        "ApplicationDiagnosis",
    )
    .await;
    let reader = |req: reqwest::RequestBuilder| req.basic_auth("reader", Some("pw"));
    assert_json_error(
        send(reader(h.client.post(h.url("leads?format=json"))).json(&json!({"LastName": "R"})))
            .await,
        403,
        "ApplicationDiagnosis",
    )
    .await;
    assert_xml_error(
        send(reader(h.client.post(h.url("leads"))).body(entry("<LastName>R</LastName>"))).await,
        403,
        "ApplicationDiagnosis",
    )
    .await;
    let stale = send(
        h.put(&format!("leads('{}')", lead.key))
            .header("If-Match", "stale")
            .body(entry("<Title>x</Title>")),
    )
    .await;
    assert_eq!(stale.status(), 412);
    assert_eq!(
        stale
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok()),
        Some(lead.etag.as_str())
    );
    let current = atom::parse(&text(stale).await);
    assert!(
        current.is(atom::ATOM, "entry"),
        "412 carries the current entry"
    );
    h.crm.shutdown().await;
}

#[tokio::test]
async fn duplicate_keys_on_insert_conflict() {
    let h = with_leads(1).await;
    let state = h.crm.state();
    let Some(lead) = state.records(Kind::Lead).into_iter().next() else {
        panic!("lead")
    };
    let resp = send(
        h.client
            .post(h.admin("records/leads"))
            .json(&json!({"$key": lead.key, "LastName": "X", "Company": "Y"})),
    )
    .await;
    assert_json_error(resp, 409, "ApplicationDiagnosis").await;
    h.crm.shutdown().await;
}

#[tokio::test]
async fn basic_auth_in_either_header_and_method_override() {
    let h = with_leads(3).await;
    let ok = send(
        h.client
            .get(h.url("leads?format=json"))
            .header("Authorization", "Basic YWRtaW46cGFzc3dvcmQ="),
    )
    .await;
    assert_eq!(ok.status(), 200);
    let ok = send(
        h.client
            .get(h.url("leads"))
            .header("X-Authorization", "Basic YWRtaW46cGFzc3dvcmQ=")
            .header("X-Authorization-Mode", "no-challenge"),
    )
    .await;
    assert_eq!(ok.status(), 200);
    let no = send(
        h.client
            .get(h.url("leads"))
            .header("Authorization", "Bearer token"),
    )
    .await;
    assert_eq!(no.status(), 401);
    assert!(no.headers().get(header::WWW_AUTHENTICATE).is_some());
    // A long GET tunnelled as POST with the URL in the body.
    let long = h.url("leads?format=json&count=1&where=LeadScore%20ge%200");
    let resp = send(
        h.post("leads")
            .header("X-HTTP-Method-Override", "GET")
            .header("Content-Type", "text/plain")
            .body(long),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resources(&body_json(resp).await).len(), 1);
    h.crm.shutdown().await;
}
