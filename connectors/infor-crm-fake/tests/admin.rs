//! CRM-side changes, statistics and record dumps through `/_admin` and in-process.
mod common;

use chrono::{TimeZone, Utc};
use common::*;
use infor_crm_fake::{FakeConfig, Kind, UpdateSpec};
use serde_json::json;

#[tokio::test]
async fn bulk_updates_share_one_modify_date_and_show_up_incrementally() {
    let h = with_leads(30).await;
    let at = "2026-02-03T04:05:06Z";
    let body = json!({"kind": "leads", "count": 10, "set": {"Title": "Bulk"}, "modify_date": at});
    let resp = send(h.client.post(h.admin("update")).json(&body)).await;
    assert_eq!(resp.status(), 200);
    let out = body_json(resp).await;
    assert_eq!(out["updated"].as_array().map(Vec::len), Some(10));
    let feed = h.json("leads?format=json&orderBy=ModifyDate,Id&where=ModifyDate%20ge%20@2026-02-03T04:05:06Z@").await;
    assert_eq!(feed["$totalResults"], 10);
    assert!(resources(&feed).iter().all(|r| r["Title"] == "Bulk"));

    let spec = UpdateSpec {
        count: Some(5),
        set: json!({"Region": "West"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        distinct_dates: true,
        ..UpdateSpec::default()
    };
    let keys = match h.crm.state().update_records(Kind::Contact, &spec) {
        Ok(k) => k,
        Err(e) => panic!("update: {e}"),
    };
    let dates: std::collections::BTreeSet<_> = keys
        .iter()
        .filter_map(|k| h.crm.state().record(Kind::Contact, k))
        .map(|r| r.modify_date)
        .collect();
    assert_eq!(dates.len(), 5);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn email_opt_out_delete_and_insert_as_a_crm_user() {
    let h = start(FakeConfig {
        leads: 3,
        now: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single(),
        ..FakeConfig::default()
    })
    .await;
    let state = h.crm.state();
    let leads = state.records(Kind::Lead);
    let (a, b) = (&leads[0], &leads[1]);
    if let Err(e) = state.set_email(Kind::Lead, &a.key, "New@Example.com") {
        panic!("{e}");
    }
    if let Err(e) = state.set_do_not_email(Kind::Lead, &b.key, true) {
        panic!("{e}");
    }
    let a2 = state.record(Kind::Lead, &a.key);
    assert!(
        a2.as_ref()
            .is_some_and(|r| r.text("Email") == Some("New@Example.com") && r.etag != a.etag)
    );
    assert_eq!(
        a2.map(|r| r.modify_date),
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single()
    );
    let j = h.json(&format!("leads('{}')?format=json", b.key)).await;
    assert_eq!(j["DoNotEmail"], true);

    let resp = send(
        h.client
            .post(h.admin("delete"))
            .json(&json!({"kind": "leads", "keys": [a.key, "QNOPE0000000"]})),
    )
    .await;
    assert_eq!(body_json(resp).await["deleted"], json!([a.key]));
    assert_eq!(
        send(h.get(&format!("leads('{}')", a.key))).await.status(),
        404
    );

    let resp = send(h.client.post(h.admin("insert")).json(
        &json!({"kind": "contacts", "fields": {"LastName": "Added", "Email": "added@x.com"}}),
    ))
    .await;
    assert_eq!(resp.status(), 201);
    let added = body_json(resp).await;
    assert!(added["$key"].is_string());
    let resp = send(
        h.client
            .post(h.admin("records/leads"))
            .json(&json!([{"LastName": "A", "Company": "B"}, {"LastName": "C", "Company": "D"}])),
    )
    .await;
    assert_eq!(resp.status(), 201);
    assert_eq!(state.count(Kind::Lead), 4);
    let resp = send(
        h.client
            .post(h.admin("insert"))
            .json(&json!({"kind": "leads", "fields": {"LastName": "NoCompany"}})),
    )
    .await;
    assert_eq!(resp.status(), 400);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn stats_count_requests_by_method_and_kind_and_record_writes() {
    let h = with_leads(2).await;
    send(h.get("leads")).await;
    send(h.get("leads?format=json")).await;
    send(h.get("contacts")).await;
    send(
        h.post("leads?format=json")
            .json(&json!({"LastName": "X", "Company": "Y"})),
    )
    .await;
    send(h.client.get(h.url("leads"))).await; // 401 still counts
    let stats = body_json(send(h.client.get(h.admin("stats"))).await).await;
    assert_eq!(stats["total"], 5);
    assert_eq!(stats["by_method"]["GET"], 4);
    assert_eq!(stats["by_method"]["POST"], 1);
    assert_eq!(stats["by_kind"]["leads"]["GET"], 3);
    assert_eq!(stats["by_kind"]["leads"]["POST"], 1);
    assert_eq!(stats["by_kind"]["contacts"]["GET"], 1);
    assert_eq!(stats["record_writes"], 1);
    assert_eq!(h.crm.state().stats().kind_count("leads", "GET"), 3);
    let reset = body_json(send(h.client.post(h.admin("stats/reset"))).await).await;
    assert_eq!(reset["total"], 0);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn dumps_load_back_from_a_file() {
    let h = with_leads(15).await;
    let dump = body_json(send(h.client.get(h.admin("records"))).await).await;
    let leads = body_json(send(h.client.get(h.admin("records/leads"))).await).await;
    assert_eq!(leads.as_array().map(Vec::len), Some(15));
    let Some(first_key) = leads[0]["$key"].as_str() else {
        panic!("key")
    };
    let one =
        body_json(send(h.client.get(h.admin(&format!("records/leads/{first_key}")))).await).await;
    assert_eq!(one["$key"], first_key);
    let clock = body_json(
        send(
            h.client
                .post(h.admin("clock"))
                .json(&json!({"now": "2030-01-01T00:00:00Z"})),
        )
        .await,
    )
    .await;
    assert_eq!(clock["now"], "2030-01-01T00:00:00Z");

    let path = std::env::temp_dir().join(format!("fake-crm-dump-{}.json", std::process::id()));
    if let Err(e) = std::fs::write(&path, dump.to_string()) {
        panic!("writing {}: {e}", path.display());
    }
    let copy = start(FakeConfig {
        data_file: Some(path.clone()),
        ..FakeConfig::default()
    })
    .await;
    let _ = std::fs::remove_file(&path);
    let again = body_json(send(copy.client.get(copy.admin("records/leads"))).await).await;
    let strip = |v: &serde_json::Value| {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let mut r = r.clone();
                if let Some(o) = r.as_object_mut() {
                    o.remove("$etag");
                }
                r
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&leads), strip(&again));
    h.crm.shutdown().await;
    copy.crm.shutdown().await;
}
