//! CRM-side changes, statistics and record dumps through `/_admin` and in-process.
mod common;

use chrono::{TimeZone, Utc};
use common::*;
use infor_crm_fake::{FakeConfig, Kind, UpdateSpec};
use serde_json::json;

#[tokio::test]
async fn bulk_updates_share_one_modify_date_and_show_up_incrementally() {
    let h = start(FakeConfig {
        leads: 30,
        contacts: 15,
        json_dates: infor_crm_fake::JsonDates::Iso,
        ..FakeConfig::default()
    })
    .await;
    let before = h.crm.state().records(Kind::Lead);
    let at = "2026-02-03T04:05:06Z";
    let body = json!({"kind": "leads", "count": 10, "set": {"Title": "Bulk"}, "modify_date": at});
    let resp = send(h.client.post(h.admin("update")).json(&body)).await;
    assert_eq!(resp.status(), 200);
    let out = body_json(resp).await;
    let updated: Vec<String> = out["updated"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect();
    let first_ten: Vec<String> = before.iter().take(10).map(|r| r.key.clone()).collect();
    assert_eq!(updated, first_ten, "the first ten by key");
    // Exactly those ten share one ModifyDate, the one asked for.
    let feed = h
        .json("leads?format=json&orderBy=Id&where=ModifyDate%20eq%20@2026-02-03T04:05:06Z@")
        .await;
    assert_eq!(feed["$totalResults"], 10);
    let keys: Vec<String> = resources(&feed)
        .iter()
        .filter_map(|r| r["$key"].as_str().map(str::to_string))
        .collect();
    assert_eq!(keys, updated);
    let dates: std::collections::BTreeSet<String> = resources(&feed)
        .iter()
        .filter_map(|r| r["ModifyDate"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        dates.into_iter().collect::<Vec<_>>(),
        ["2026-02-03T04:05:06+00:00"],
        "one identical ModifyDate"
    );
    for r in resources(&feed) {
        assert_eq!(r["Title"], "Bulk");
        assert_eq!(r["$updated"], "2026-02-03T04:05:06+00:00");
        let old = before.iter().find(|b| r["$key"] == b.key.as_str());
        assert!(
            old.is_some_and(|o| r["$etag"] != o.etag.as_str()),
            "a new etag"
        );
    }
    let rest = h
        .json("leads?format=json&where=ModifyDate%20ge%20@2026-02-03T04:05:06Z@")
        .await;
    assert_eq!(rest["$totalResults"], 10, "nobody else moved");

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
async fn email_and_do_not_email_changes_over_the_admin_endpoint() {
    let h = start(FakeConfig {
        leads: 3,
        contacts: 3,
        accounts: 1,
        now: Utc.with_ymd_and_hms(2026, 5, 6, 7, 8, 9).single(),
        json_dates: infor_crm_fake::JsonDates::Iso,
        ..FakeConfig::default()
    })
    .await;
    let state = h.crm.state();
    let contact = &state.records(Kind::Contact)[1];
    let lead = &state.records(Kind::Lead)[2];
    let change = json!({"kind": "contacts", "keys": [contact.key],
        "set": {"Email": "Moved@New.example", "DoNotEmail": true}});
    let resp = send(h.client.post(h.admin("update")).json(&change)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(body_json(resp).await["updated"], json!([contact.key]));
    let c = h
        .json(&format!("contacts('{}')?format=json", contact.key))
        .await;
    assert_eq!(c["Email"], "Moved@New.example");
    assert_eq!(c["DoNotEmail"], true);
    assert_eq!(
        c["ModifyDate"], "2026-05-06T07:08:09+00:00",
        "the server clock's now"
    );
    assert_ne!(c["$etag"], contact.etag.as_str());
    assert_eq!(
        c["LastName"],
        contact.text("LastName").unwrap_or_default(),
        "untouched"
    );

    // Opt a lead back in and clear its email; an incremental read sees both changes.
    let change = json!({"kind": "leads", "keys": [lead.key],
        "set": {"DoNotEmail": false, "Email": null}, "modify_date": "2026-05-06T08:00:00Z"});
    let resp = send(h.client.post(h.admin("update")).json(&change)).await;
    assert_eq!(resp.status(), 200);
    let feed = h
        .json("leads?format=json&where=ModifyDate%20gt%20@2026-05-06T07:00:00Z@")
        .await;
    let found = resources(&feed);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["$key"], lead.key.as_str());
    assert_eq!(found[0]["DoNotEmail"], false);
    assert_eq!(found[0].get("Email"), Some(&serde_json::Value::Null));
    let xml = atom::parse(&h.atom(&format!("leads('{}')", lead.key)).await);
    assert_eq!(atom::fields(&xml).get("Email"), Some(&None));

    // A bad change is refused and changes nothing.
    let bad = json!({"kind": "leads", "keys": [lead.key], "set": {"DoNotEmail": "maybe"}});
    let resp = send(h.client.post(h.admin("update")).json(&bad)).await;
    assert_eq!(resp.status(), 400);
    let missing = json!({"kind": "leads", "keys": ["QNOPE0000000"], "set": {"Title": "X"}});
    assert_eq!(
        send(h.client.post(h.admin("update")).json(&missing))
            .await
            .status(),
        404
    );
    h.crm.shutdown().await;
}

#[tokio::test]
async fn seeded_people_carry_the_custom_fields() {
    let h = with_leads(40).await;
    const REGIONS: [&str; 6] = ["North", "South", "East", "West", "EMEA", "APAC"];
    for kind in ["leads", "contacts"] {
        let feed = h.json(&format!("{kind}?format=json&count=100")).await;
        let people = resources(&feed);
        assert!(!people.is_empty(), "{kind}");
        for p in &people {
            let score = p["LeadScore"].as_i64();
            assert!(score.is_some_and(|s| (0..=100).contains(&s)), "{kind}: {p}");
            let region = p["Region"].as_str().unwrap_or_default();
            assert!(REGIONS.contains(&region), "{kind}: {region}");
            assert!(p["Newsletter"].is_boolean(), "{kind}: {p}");
        }
        assert!(people.iter().any(|p| p["Newsletter"] == true));
        assert!(people.iter().any(|p| p["Newsletter"] == false));
        let xml = atom::parse(&h.atom(&format!("{kind}?count=5")).await);
        for e in xml.all(atom::ATOM, "entry") {
            let f = atom::fields(e);
            let score = f.get("LeadScore").cloned().flatten().unwrap_or_default();
            assert!(score.parse::<i64>().is_ok(), "{kind}: {score}");
            let news = f.get("Newsletter").cloned().flatten().unwrap_or_default();
            assert!(["true", "false"].contains(&news.as_str()), "{kind}: {news}");
            assert!(f.get("Region").cloned().flatten().is_some());
        }
    }
    let xsd = h.atom("$schema").await;
    for (field, ty) in [
        ("LeadScore", "xs:int"),
        ("Region", "xs:string"),
        ("Newsletter", "xs:boolean"),
    ] {
        let decl = format!(r#"name="{field}" type="{ty}""#);
        assert_eq!(
            xsd.matches(&decl).count(),
            2,
            "{field} on leads and contacts"
        );
    }
    // The conversion fields are custom on leads, contacts and opportunities.
    for field in ["CallReference", "VisitorId", "MarketingSource"] {
        let decl = format!(r#"name="{field}" type="xs:string""#);
        assert_eq!(
            xsd.matches(&decl).count(),
            3,
            "{field} on leads, contacts and opportunities"
        );
    }
    assert_eq!(xsd.matches(r#"sme:isCustom="true""#).count(), 6 + 6 + 3);
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

#[tokio::test]
async fn a_multi_record_admin_change_is_all_or_nothing() {
    let h = start(FakeConfig {
        leads: 4,
        contacts: 0,
        accounts: 1,
        ..FakeConfig::default()
    })
    .await;
    let state = h.crm.state();
    let before = state.records(Kind::Lead);
    let (first, last) = (&before[0], &before[3]);

    // The second of three keys does not exist: the error names it, and the first one,
    // already changed when it was met, is back as it was.
    let body = json!({
        "kind": "leads",
        "keys": [first.key, "QNOPE0000000", last.key],
        "set": {"Title": "Changed"}
    });
    let resp = send(h.client.post(h.admin("update")).json(&body)).await;
    assert_eq!(resp.status(), 404);
    let problem = body_json(resp).await;
    let message = problem[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("'QNOPE0000000'"), "{problem}");
    assert!(
        message.contains("none of the 3 records was changed"),
        "{problem}"
    );
    // Refusals of the value name the record too.
    let body = json!({"kind": "leads", "count": 4, "set": {"LeadScore": "high"}});
    let resp = send(h.client.post(h.admin("update")).json(&body)).await;
    assert_eq!(resp.status(), 400);
    let body = json!({"kind": "leads", "keys": [first.key, last.key], "set": {"LastName": null}});
    let resp = send(h.client.post(h.admin("update")).json(&body)).await;
    assert_eq!(resp.status(), 400);
    let problem = body_json(resp).await;
    let message = problem[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(&format!("'{}'", first.key)), "{problem}");
    assert_eq!(state.records(Kind::Lead), before, "no lead changed");
    let feed = h
        .json("leads?format=json&where=Title%20eq%20'Changed'")
        .await;
    assert_eq!(feed["$totalResults"], 0, "{feed}");

    // The same for adding several records: the second lacks its Company.
    let resp = send(
        h.client
            .post(h.admin("records/leads"))
            .json(&json!([{"LastName": "Good", "Company": "C"}, {"LastName": "Bad"}])),
    )
    .await;
    assert_eq!(resp.status(), 400);
    let problem = body_json(resp).await;
    let message = problem[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("record 2 of 2"), "{problem}");
    assert!(message.contains("Company"), "{problem}");
    assert_eq!(state.records(Kind::Lead), before, "no lead added");

    // A change that holds for every record is made, and keys and etags go on as if the
    // refused changes had never been tried.
    let body = json!({"kind": "leads", "keys": [first.key, last.key], "set": {"Title": "Changed"}});
    let resp = send(h.client.post(h.admin("update")).json(&body)).await;
    assert_eq!(resp.status(), 200);
    let feed = h
        .json("leads?format=json&where=Title%20eq%20'Changed'")
        .await;
    assert_eq!(feed["$totalResults"], 2, "{feed}");
    h.crm.shutdown().await;
}
