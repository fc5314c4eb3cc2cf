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
    let xml = atom::parse(&text(resp).await);
    assert!(xml.is(atom::SDATA, "diagnoses"));
    let Some(d) = xml.child(atom::SDATA, "diagnosis") else {
        panic!("diagnosis")
    };
    assert_eq!(d.text_of(atom::SDATA, "sdataCode").as_deref(), Some(code));
    assert!(d.text_of(atom::SDATA, "severity").is_some());
    d.text_of(atom::SDATA, "message").unwrap_or_default()
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
        let ra = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        assert_eq!(ra, retry.map(|r| r.to_string()));
        assert_json_error(resp, status, "ApplicationDiagnosis").await;
        assert_xml_error(send(h.get("leads")).await, status, "ApplicationDiagnosis").await;
        assert_eq!(
            send(h.get("leads")).await.status(),
            200,
            "only the next two requests fail"
        );
    }
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
