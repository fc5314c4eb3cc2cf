//! A dry run of a two-way sync plans exactly what the real run then does (creates,
//! updates field by field with old and new values, pulls, conflicts) and writes nothing,
//! neither to the CRM nor to the list.

use std::collections::BTreeSet;

use chrono::Duration;
use infor_crm_fake::Kind;

use crate::support::world::{World, crm_config, world};
use serde_json::{Map, Value, json};

/// `(outcome, email)` of every record of a run with one of these outcomes.
async fn outcomes(w: &World, run: &str, wanted: &[&str]) -> BTreeSet<(String, String)> {
    w.run_records(run)
        .await
        .into_iter()
        .filter(|r| wanted.iter().any(|o| r["outcome"] == *o))
        .map(|r| {
            (
                r["outcome"].as_str().unwrap_or_default().to_string(),
                r["email"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_way_dry_run_plans_exactly_what_the_real_run_does() {
    let w = world(crm_config(20, 0)).await;
    let list = w.imported_list("lead", &["Title", "Company"]).await;
    w.save_sync(list, &json!({
                "push": { "enabled": true, "add_new": true, "update_existing": true, "fields": ["Title"] },
                "pull": { "enabled": true, "add_new": true, "update_existing": true }
            })).await;
    w.sync(list).await;
    let members = w.members(list).await;
    let key = |i: usize| members[i].crm.clone().expect("linked").key;
    let (a, b, c) = (&members[0], &members[1], &members[2]);
    // a: edited in the list → pushed. b: edited in the CRM → pulled.
    // c: edited on both sides → a conflict the CRM wins: pulled, not pushed.
    w.edit_member(list, &a.email, "Title", "Pushed Title").await;
    w.edit_member(list, &c.email, "Title", "List Loses").await;
    w.crm.state().clock().advance(Duration::seconds(30));
    w.crm_update(Kind::Lead, &[key(1)], &[("Title", "Pulled Title")]);
    w.crm_update(Kind::Lead, &[key(2)], &[("Title", "CRM Wins")]);
    // d: a new list member → a new lead. e: a new CRM lead → a new member.
    w.add_member(
        list,
        "dee.new@list.example",
        &[
            ("FirstName", "Dee"),
            ("LastName", "New"),
            ("Company", "D Co"),
        ],
    )
    .await;
    let mut lead = Map::new();
    for (k, v) in [
        ("FirstName", "Eve"),
        ("LastName", "Fresh"),
        ("Company", "E Co"),
        ("Email", "eve.fresh@crm.example"),
    ] {
        lead.insert(k.into(), json!(v));
    }
    w.crm
        .state()
        .insert_record(Kind::Lead, &lead)
        .expect("new lead");
    let before = w.members(list).await;
    w.crm.state().reset_stats();

    let dry = w.run_now(list, true).await;
    let plan = w.wait_run(&dry).await;
    assert_eq!(plan["dry_run"], true, "{plan}");
    w.assert_no_crm_writes("a dry run writes nothing to the CRM");
    assert_eq!(w.members(list).await, before, "a dry run changes no member");
    let planned = outcomes(
        &w,
        &dry,
        &[
            "planned_update",
            "planned_create",
            "planned_pull_update",
            "planned_pull_new",
            "conflict",
        ],
    )
    .await;
    let expected: BTreeSet<(String, String)> = [
        ("planned_update", a.email.as_str()),
        ("planned_create", "dee.new@list.example"),
        ("planned_pull_update", b.email.as_str()),
        ("planned_pull_update", c.email.as_str()),
        ("conflict", c.email.as_str()),
        ("planned_pull_new", "eve.fresh@crm.example"),
    ]
    .iter()
    .map(|(o, e)| (o.to_string(), e.to_string()))
    .collect();
    assert_eq!(planned, expected, "{plan}");
    let update = w
        .records_with_outcome(&dry, "planned_update")
        .await
        .into_iter()
        .next()
        .expect("planned update");
    assert_eq!(update["data"]["Title"]["new"], "Pushed Title", "{update}");
    let pull = w
        .records_with_outcome(&dry, "planned_pull_update")
        .await
        .into_iter()
        .find(|r| r["email"] == b.email.as_str())
        .expect("planned pull");
    assert_eq!(pull["data"]["Title"]["new"], "Pulled Title", "{pull}");
    assert!(
        pull["data"]["Title"]["old"] != Value::Null,
        "old value shown: {pull}"
    );

    let real = w.sync(list).await;
    let counts = &real["counts"];
    assert_eq!(counts["pushed_updated"], 1, "{real}");
    assert_eq!(counts["pushed_new"], 1, "{real}");
    assert_eq!(counts["pulled_updated"], 2, "{real}");
    assert_eq!(counts["pulled_new"], 1, "{real}");
    assert_eq!(counts["conflicts"], 1, "{real}");
    for (counted, planned) in [
        ("pushed_updated", "planned_update"),
        ("pushed_new", "planned_create"),
        ("pulled_updated", "planned_pull_update"),
        ("pulled_new", "planned_pull_new"),
        ("conflicts", "conflict"),
    ] {
        assert_eq!(
            plan["counts"][counted], real["counts"][counted],
            "{counted}: plan {} vs real {}",
            plan["counts"], real["counts"]
        );
        assert!(planned.starts_with("planned") || planned == "conflict");
    }
    let lead_c = w.crm.state().record(Kind::Lead, &key(2)).expect("lead c");
    assert_eq!(
        lead_c.text("Title"),
        Some("CRM Wins"),
        "the CRM won, as planned"
    );
    assert_eq!(w.leads_with_email("dee.new@list.example"), 1);
}
