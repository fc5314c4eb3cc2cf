//! Offline conversions end to end (issue 19): won opportunities in the fake CRM go to the
//! fake call-tracking platform once each; unknown references come back in the platform's
//! words and go again once corrected; bad values are refused before sending, named by
//! record; dates come out in UTC; the platform's marketing source lands in the CRM.

use call_tracking_fake::call_reference;
use infor_crm_fake::Kind;
use serde_json::{Map, Value, json};

use crate::support::{
    conversions::{add_opportunities, add_won, export_body, platform, won},
    wait::until,
    world::{crm_config, world},
};

#[tokio::test]
async fn won_opportunities_reach_the_platform_once_and_corrected_references_follow() {
    let w = world(crm_config(0, 0)).await;
    let platform = platform(60).await;
    let keys = add_won(&w, 50, 5);
    let mut open = won(99, "CR-000099");
    open.insert("Status".into(), json!("Open"));
    add_opportunities(&w, &[open]);
    let export = w.create_export(&export_body(&w, &platform)).await;

    let run = w.run_export(&export).await;
    assert_eq!(run["status"], "completed_with_errors", "{run}");
    assert_eq!(run["records_read"], 56, "{run}");
    assert_eq!(
        (&run["accepted"], &run["rejected"], &run["invalid"]),
        (&json!(50), &json!(5), &json!(0)),
        "{run}"
    );
    assert_eq!(platform.state().accepted().len(), 50);
    let rejected = w.conversions(&export, "status=rejected").await;
    assert_eq!(rejected.len(), 5);
    for row in &rejected {
        let message = row["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("CR-UNKNOWN"),
            "the platform's words: {row}"
        );
        assert!(keys[50..].contains(&row["crm_key"].as_str().unwrap_or_default().to_string()));
    }

    // The marketing source each accepted row was credited with is in the CRM.
    for key in &keys[..50] {
        let record = w
            .crm
            .state()
            .record(Kind::Opportunity, key)
            .expect("opportunity");
        let source = record.text("MarketingSource");
        assert!(source.is_some_and(|s| !s.is_empty()), "{key} enriched");
    }
    assert_eq!(run["enriched"], 50, "{run}");

    // A second run sends nothing (the enrichment writes moved the records' modify
    // dates, so they are read again, and found unchanged).
    let requests = platform.state().stats().requests;
    let again = w.run_export(&export).await;
    assert_eq!(again["status"], "succeeded", "{again}");
    assert_eq!(
        (&again["accepted"], &again["rejected"]),
        (&json!(0), &json!(0)),
        "{again}"
    );
    assert_eq!(
        platform.state().stats().requests,
        requests,
        "no request at all"
    );

    // The five corrected in the CRM go on the next run.
    for (i, key) in keys[50..].iter().enumerate() {
        w.crm_update(
            Kind::Opportunity,
            std::slice::from_ref(key),
            &[("CallReference", &call_tracking_fake::call_reference(51 + i))],
        );
    }
    let fixed = w.run_export(&export).await;
    assert_eq!(fixed["accepted"], 5, "{fixed}");
    assert_eq!(fixed["status"], "succeeded", "{fixed}");
    assert_eq!(platform.state().accepted().len(), 55);
    assert_eq!(platform.state().stats().duplicates, 0, "nothing sent twice");

    // An amount changed after sending is reported, not sent again.
    w.crm_update(Kind::Opportunity, &keys[..1], &[("ActualAmount", "2000")]);
    let changed = w.run_export(&export).await;
    assert_eq!(changed["changed_after_sending"], 1, "{changed}");
    assert_eq!(changed["accepted"], 0, "{changed}");
    let listed = w.conversions(&export, "changed_after_sending=true").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["crm_key"], json!(keys[0]));
    assert_eq!(
        listed[0]["row"]["transaction_amount"], "1500.5",
        "what was sent"
    );
    assert_eq!(platform.state().accepted().len(), 55);
}

#[tokio::test]
async fn bad_values_are_refused_before_sending_and_dates_go_out_in_utc() {
    let w = world(crm_config(0, 0)).await;
    let platform = platform(10).await;
    let mut bad_currency = won(1, "CR-000001");
    bad_currency.insert("ExchangeRateCode".into(), json!("XYZ"));
    let mut bad_amount = won(2, "CR-000002");
    bad_amount.insert("Notes".into(), json!("n/a"));
    let good = won(3, "CR-000003");
    let keys = add_opportunities(&w, &[bad_currency, bad_amount, good]);
    let mut body = export_body(&w, &platform);
    body["rule"]["margin_field"] = json!("Notes");
    let export = w.create_export(&body).await;

    let run = w.run_export(&export).await;
    assert_eq!(run["status"], "completed_with_errors", "{run}");
    assert_eq!(
        (&run["accepted"], &run["invalid"]),
        (&json!(1), &json!(2)),
        "{run}"
    );
    let invalid = w.conversions(&export, "status=invalid").await;
    let message_of = |key: &str| {
        invalid
            .iter()
            .find(|r| r["crm_key"] == key)
            .and_then(|r| r["message"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let currency = message_of(&keys[0]);
    assert!(
        currency.contains(&keys[0]) && currency.contains("XYZ") && currency.contains("ISO 4217"),
        "{currency}"
    );
    let amount = message_of(&keys[1]);
    assert!(
        amount.contains(&keys[1]) && amount.contains("n/a") && amount.contains("number"),
        "{amount}"
    );

    let sent = platform.state().accepted();
    assert_eq!(sent.len(), 1, "only the good row left listbridge");
    assert_eq!(
        sent[0].date_time, "2026-12-04 15:15:30",
        "New York 10:15:30 in UTC"
    );
    assert_eq!(sent[0].transaction_currency.as_deref(), Some("GBP"));
    assert_eq!(
        sent[0].transaction_amount.as_deref(),
        Some("1500.5"),
        "the CRM's decimal, canonical"
    );

    // Download CSV carries the same row, in UTC, with the seed's header.
    let response = w
        .app
        .get(&format!("/v1/conversion-exports/{export}/download"), &w.key)
        .await;
    assert_eq!(response.status(), 200);
    let csv = response.text().await.expect("a body");
    assert!(
        csv.starts_with("Action Name,Title,Date Time,Transaction Reference,"),
        "{csv}"
    );
    assert!(
        csv.contains("sale,Deal 3,2026-12-04 15:15:30,,1500.5,GBP,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 2, "{csv}");
}

#[tokio::test]
async fn a_real_time_export_runs_after_each_list_sync_through_its_connector() {
    let w = world(crm_config(5, 0)).await;
    let platform = platform(5).await;
    add_won(&w, 3, 0);
    let mut body = export_body(&w, &platform);
    body["with_list_syncs"] = json!(true);
    let export = w.create_export(&body).await;
    let list = w.pulling_lead_list(&["Email", "FirstName"]).await;

    let (_, runs) = w
        .get(&format!("/v1/conversion-exports/{export}/runs"))
        .await;
    assert_eq!(runs, json!([]), "the import is not a sync: {runs}");
    let sync = w.sync(list).await;
    assert_eq!(sync["status"], "succeeded", "{sync}");
    let run = until("a conversion run after the sync", async || {
        let (_, runs) = w
            .get(&format!("/v1/conversion-exports/{export}/runs"))
            .await;
        match runs.as_array().and_then(|r| r.first()) {
            Some(run) if !matches!(run["status"].as_str(), Some("queued" | "running")) => {
                Ok(run.clone())
            }
            _ => Err(runs.to_string()),
        }
    })
    .await;
    assert_eq!(run["trigger"], "list_sync", "{run}");
    assert_eq!(run["accepted"], 3, "{run}");
    assert_eq!(platform.state().accepted().len(), 3);
}

#[tokio::test]
async fn a_call_reference_on_the_primary_contact_is_read_through_the_opportunity() {
    let w = world(crm_config(0, 0)).await;
    let platform = platform(10).await;
    // Three contacts the platform knows and one it does not; their opportunities carry
    // no reference of their own.
    let references = [
        call_reference(1),
        call_reference(2),
        call_reference(3),
        "CR-UNKNOWN-4".to_string(),
    ];
    let contacts: Vec<Map<String, Value>> = references
        .iter()
        .enumerate()
        .map(|(i, reference)| {
            object(json!({
                "FirstName": format!("Caller{i}"), "LastName": "Contact", "CallReference": reference
            }))
        })
        .collect();
    let contacts = w
        .crm
        .state()
        .insert_records(Kind::Contact, &contacts)
        .expect("contacts inserted");
    let deals: Vec<_> = (1..=4)
        .map(|n| {
            let mut deal = won(n, "");
            deal.remove("CallReference");
            deal
        })
        .collect();
    let deals = add_opportunities(&w, &deals);
    let links: Vec<Map<String, Value>> = deals
        .iter()
        .zip(&contacts)
        .map(|(deal, contact)| {
            object(json!({
                "Opportunity": { "$key": deal }, "Contact": { "$key": contact.key.to_string() },
                "IsPrimary": true, "SalesRole": "Decision Maker"
            }))
        })
        .collect();
    w.crm
        .state()
        .insert_records(Kind::OpportunityContact, &links)
        .expect("links inserted");

    // The marketer finds the contact's fields among the opportunity's.
    let (status, fields) = w
        .get(&format!(
            "/v1/connectors/{}/fields?entity=opportunity",
            w.connector
        ))
        .await;
    assert_eq!(status, 200, "{fields}");
    let linked = fields
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["name"] == "Contact.CallReference");
    assert!(
        linked.is_some_and(|f| f["read_only"] == true && f["label"] == "Contact: Call Reference"),
        "{fields}"
    );

    let mut body = export_body(&w, &platform);
    body["rule"]["call_reference_field"] = json!("Contact.CallReference");
    let export = w.create_export(&body).await;
    let run = w.run_export(&export).await;
    assert_eq!(
        (&run["accepted"], &run["rejected"], &run["enriched"]),
        (&json!(3), &json!(1), &json!(3)),
        "{run}"
    );
    let mut sent: Vec<String> = platform
        .state()
        .accepted()
        .iter()
        .filter_map(|row| row.call_reference.clone())
        .collect();
    sent.sort();
    assert_eq!(sent, references[..3].to_vec());
    let rejected = w.conversions(&export, "status=rejected").await;
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["crm_key"], json!(deals[3]), "{rejected:?}");

    // The contact's field is read-only through the opportunity: no write-back to it.
    body["enrich_field"] = json!("Contact.MarketingSource");
    let (status, problem) = w.post("/v1/conversion-exports", &body).await;
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|d| d.contains("Contact.MarketingSource")),
        "{problem}"
    );
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// An export moved to a new platform address and token, renamed and put on a schedule
/// keeps what it read and sent: the new destination gets only the conversions won since,
/// the old one nothing more. Its connector and source stay; another account cannot touch
/// it, and another export's name is taken.
#[tokio::test]
async fn new_settings_and_a_new_token_keep_what_an_export_sent() {
    let w = world(crm_config(0, 0)).await;
    let old = platform(60).await;
    add_won(&w, 10, 0);
    let export = w.create_export(&export_body(&w, &old)).await;
    let run = w.run_export(&export).await;
    assert_eq!(run["accepted"], 10, "{run}");

    let new_token = "ct-token-rotated-77";
    let new = call_tracking_fake::FakePlatform::start(call_tracking_fake::FakePlatformConfig {
        generated: 60,
        token: new_token.into(),
        ..call_tracking_fake::FakePlatformConfig::default()
    })
    .await
    .expect("the new platform starts");
    let later: Vec<_> = (11..=15).map(|n| won(n, &call_reference(n))).collect();
    add_opportunities(&w, &later);

    let mut body = export_body(&w, &new);
    body["name"] = json!("Won deals, new platform");
    body["destination"]["token"] = json!(new_token);
    body["every_minutes"] = json!(60);
    let path = format!("/v1/conversion-exports/{export}");
    let (status, saved) = w.put(&path, &body).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["name"], "Won deals, new platform");
    assert_eq!(saved["every_minutes"], 60);
    assert_eq!(saved["secret_set"], true);
    assert!(saved["next_run_at"].is_string(), "{saved}");
    assert!(
        saved["read_up_to"].is_string(),
        "the read position stays: {saved}"
    );
    assert!(!saved.to_string().contains(new_token), "{saved}");

    let run = w.run_export(&export).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["accepted"], 5, "only what was won since: {run}");
    assert_eq!(new.state().accepted().len(), 5);
    assert_eq!(
        old.state().accepted().len(),
        10,
        "the old platform got nothing more"
    );
    assert_eq!(w.conversions(&export, "").await.len(), 15, "one ledger");

    // What the read position and the ledger are of stays (however it is spelled).
    let mut plural = body.clone();
    plural["source"] = json!("opportunities");
    let (status, saved) = w.put(&path, &plural).await;
    assert_eq!(status, 200, "{saved}");
    let mut other_source = body.clone();
    other_source["source"] = json!("lead");
    let refused = w.app.put(&path, &w.key, &other_source).await;
    let problem = crate::support::assert_problem(refused, 422, "invalid_value").await;
    assert_eq!(problem["details"]["field"], "source", "{problem}");

    let mut second = export_body(&w, &old);
    second["name"] = json!("Second");
    w.create_export(&second).await;
    let mut taken = body.clone();
    taken["name"] = json!("Second");
    let refused = w.app.put(&path, &w.key, &taken).await;
    crate::support::assert_problem(refused, 409, "already_exists").await;

    let stranger = w.app.create_account("stranger").await;
    let refused = w.app.put(&path, &stranger, &body).await;
    crate::support::assert_problem(refused, 404, "not_found").await;
}
