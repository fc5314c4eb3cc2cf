//! Every fault kind, switched on in-process or over `/_admin/faults`, and observed.
mod common;

use std::time::{Duration, Instant};

use common::*;
use infor_crm_fake::{FakeConfig, Fault, FaultConfig, FaultRule, Kind};
use reqwest::header;
use serde_json::json;

fn only(rule: FaultRule) -> FaultConfig {
    FaultConfig {
        rules: vec![rule],
        ..FaultConfig::default()
    }
}

#[tokio::test]
async fn latency_delays_every_request() {
    let h = start(FakeConfig {
        faults: FaultConfig {
            latency_ms: 150,
            ..FaultConfig::default()
        },
        ..FakeConfig::default()
    })
    .await;
    let t = Instant::now();
    assert_eq!(send(h.get("leads")).await.status(), 200);
    assert!(
        t.elapsed() >= Duration::from_millis(150),
        "{:?}",
        t.elapsed()
    );
    h.crm.state().set_faults(only(
        FaultRule::next(1, Fault::Latency { ms: 120 }).with_kind("contacts"),
    ));
    // The rule fires once, on contacts only: the leads request leaves it unused, so the
    // contacts request after it is still delayed.
    assert_eq!(send(h.get("leads")).await.status(), 200);
    let t = Instant::now();
    assert_eq!(send(h.get("contacts")).await.status(), 200);
    assert!(
        t.elapsed() >= Duration::from_millis(120),
        "the latency rule was used up by a request that is not for contacts"
    );
    h.crm.shutdown().await;
}

#[tokio::test]
async fn error_rates_are_seeded_and_filters_apply() {
    let h = with_leads(1).await;
    let state = h.crm.state();
    state.set_faults(only(
        FaultRule::rate(
            1.0,
            Fault::Status {
                status: 500,
                retry_after: None,
            },
        )
        .with_method("POST"),
    ));
    assert_eq!(
        send(h.get("leads")).await.status(),
        200,
        "GETs are not affected"
    );
    assert_eq!(
        send(
            h.post("leads?format=json")
                .json(&json!({"LastName": "a", "Company": "b"}))
        )
        .await
        .status(),
        500
    );
    assert_eq!(state.count(Kind::Lead), 1, "a refused write is not applied");
    let seq = |h: &Harness| {
        let h_client = h.client.clone();
        let url = h.url("leads");
        async move {
            let mut out = Vec::new();
            for _ in 0..20 {
                let r = send(h_client.get(&url).basic_auth("admin", Some("password"))).await;
                out.push(r.status().as_u16());
            }
            out
        }
    };
    let config = FaultConfig {
        seed: 5,
        rules: vec![FaultRule::rate(
            0.3,
            Fault::Status {
                status: 503,
                retry_after: Some(1),
            },
        )],
        ..FaultConfig::default()
    };
    state.set_faults(config.clone());
    let a = seq(&h).await;
    state.set_faults(config);
    let b = seq(&h).await;
    assert_eq!(a, b, "the same seed fails the same requests");
    assert!(a.contains(&503) && a.contains(&200), "{a:?}");
    h.crm.shutdown().await;
}

#[tokio::test]
async fn hang_outlasts_the_client_timeout_but_the_write_happens() {
    let h = with_leads(0).await;
    let state = h.crm.state();
    state.set_faults(only(
        FaultRule::next(
            1,
            Fault::Hang {
                ms: 60_000,
                apply: true,
            },
        )
        .with_method("POST"),
    ));
    let resp = h
        .post("leads?format=json")
        .timeout(Duration::from_millis(300))
        .json(&json!({"LastName": "Lost", "Company": "C"}))
        .send()
        .await;
    assert!(resp.is_err_and(|e| e.is_timeout()));
    assert_eq!(
        state.count(Kind::Lead),
        1,
        "the create went through although its answer never came"
    );
    assert_eq!(
        send(h.get("leads?format=json")).await.status(),
        200,
        "the rule is used up"
    );
    // A hanging request ends on shutdown: the hang is an hour long, so the request
    // ending at all is shutdown's doing.
    state.set_faults(only(FaultRule::always(Fault::Hang {
        ms: 3_600_000,
        apply: false,
    })));
    let pending = tokio::spawn(h.get("leads").send());
    let deadline = Instant::now() + Duration::from_secs(5);
    while state.stats().total < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(state.stats().total, 3, "the hanging request arrived");
    h.crm.shutdown().await;
    // A generous deadline that only turns a request shutdown failed to end into a clear
    // failure (the hang itself would last an hour).
    let ended = tokio::time::timeout(Duration::from_secs(60), pending).await;
    assert!(ended.is_ok(), "the hanging request did not end on shutdown");
}

#[tokio::test]
async fn dropped_connections_send_no_response() {
    let h = with_leads(0).await;
    let state = h.crm.state();
    state.set_faults(only(FaultRule::next(1, Fault::Drop { apply: true })));
    let resp = h
        .post("leads?format=json")
        .json(&json!({"LastName": "Dropped", "Company": "C"}))
        .send()
        .await;
    let Err(e) = resp else {
        panic!("expected a connection error")
    };
    assert!(!e.is_timeout() && e.status().is_none(), "{e:?}");
    assert_eq!(state.count(Kind::Lead), 1);
    state.set_faults(only(FaultRule::next(1, Fault::Drop { apply: false })));
    assert!(
        h.post("leads?format=json")
            .json(&json!({"LastName": "Never", "Company": "C"}))
            .send()
            .await
            .is_err()
    );
    assert_eq!(state.count(Kind::Lead), 1);
    assert_eq!(send(h.get("leads")).await.status(), 200);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn truncated_bodies_fail_while_reading() {
    let h = with_leads(50).await;
    h.crm
        .state()
        .set_faults(only(FaultRule::next(1, Fault::Truncate)));
    let resp = send(h.get("leads?format=json")).await;
    assert_eq!(resp.status(), 200);
    let full: Option<u64> = resp
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    assert!(full.is_some_and(|n| n > 1000));
    assert!(resp.bytes().await.is_err(), "the body stops half-way");
    assert_eq!(send(h.get("leads")).await.status(), 200);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn malformed_bodies_do_not_parse() {
    let h = with_leads(5).await;
    h.crm
        .state()
        .set_faults(only(FaultRule::next(2, Fault::Malformed)));
    let resp = send(h.get("leads?format=json")).await;
    assert_eq!(resp.status(), 200);
    let t = text(resp).await;
    assert!(serde_json::from_str::<serde_json::Value>(&t).is_err());
    let resp = send(h.get("leads")).await;
    let t = text(resp).await;
    let mut reader = quick_xml::Reader::from_str(&t);
    let mut broken = false;
    loop {
        match reader.read_event() {
            Err(_) => {
                broken = true;
                break;
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
        }
    }
    let unbalanced =
        t.matches("<entry>").count() != t.matches("</entry>").count() || !t.ends_with("</feed>");
    assert!(broken || unbalanced, "the Atom body should be broken");
    h.crm.shutdown().await;
}

#[tokio::test]
async fn requests_per_second_cap_answers_429_with_retry_after() {
    let h = with_leads(1).await;
    h.crm.state().set_faults(FaultConfig {
        rps_cap: Some(3),
        ..FaultConfig::default()
    });
    let mut statuses = Vec::new();
    let mut retry = None;
    for _ in 0..6 {
        let resp = send(h.get("leads")).await;
        if resp.status() == 429 {
            retry = resp
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
        }
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{statuses:?}"
    );
    assert!(statuses.contains(&429));
    assert_eq!(retry.as_deref(), Some("1"));
    h.crm.shutdown().await;
}

#[tokio::test]
async fn faults_are_set_and_cleared_over_the_admin_endpoint() {
    let h = with_leads(1).await;
    let body = json!({"rules": [{"fault": {"type": "status", "status": 503, "retry_after": 3}, "next": 1, "method": "GET", "kind": "leads"}]});
    let resp = send(h.client.post(h.admin("faults")).json(&body)).await;
    assert_eq!(resp.status(), 200);
    let resp = send(h.get("leads")).await;
    assert_eq!(resp.status(), 503);
    assert_eq!(
        resp.headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        Some("3")
    );
    assert_eq!(send(h.get("leads")).await.status(), 200);
    let active = body_json(send(h.client.get(h.admin("faults"))).await).await;
    assert_eq!(active["rules"], json!([]), "a used-up rule is retired");
    send(
        h.client
            .post(h.admin("faults"))
            .json(&json!({"rules": [{"fault": {"type": "drop"}}]})),
    )
    .await;
    assert!(h.get("leads").send().await.is_err());
    assert_eq!(send(h.client.delete(h.admin("faults"))).await.status(), 200);
    assert_eq!(send(h.get("leads")).await.status(), 200);
    let bad = send(
        h.client
            .post(h.admin("faults"))
            .json(&json!({"rules": [{"fault": {"type": "explode"}}]})),
    )
    .await;
    assert!(bad.status().is_client_error());
    h.crm.shutdown().await;
}
