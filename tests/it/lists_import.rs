//! Importing CRM leads and contacts through `POST /v1/lists/import`, checked record by
//! record against the fake CRM's own data, with bad emails, twins and injected faults.

use crate::support::lists::{assert_members_match, expected, records};
use crate::support::world::{crm_config, world};
use infor_crm_fake::{Fault, FaultConfig, FaultRule, Kind};
use serde_json::{Map, Value, json};

const LEAD_FIELDS: [&str; 7] = [
    "Title",
    "Company",
    "WorkPhone",
    "LeadScore",
    "Region",
    "Newsletter",
    "Industry",
];
const CONTACT_FIELDS: [&str; 5] = ["Title", "AccountName", "LeadScore", "Region", "Newsletter"];

fn with_names<'a>(fields: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["FirstName", "LastName"];
    all.extend_from_slice(fields);
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_leads_and_five_thousand_contacts_match_the_crm() {
    let e = world(crm_config(10_000, 5_000)).await;
    // Records a marketer's CRM really has: a broken email, no email, and a lead whose
    // email differs from another's only in case.
    let leads = records(&e.crm, Kind::Lead);
    let state = e.crm.state();
    state
        .set_email(Kind::Lead, &leads[10].key, "not-an-email")
        .expect("email set");
    state
        .set_email(
            Kind::Contact,
            &records(&e.crm, Kind::Contact)[20].key,
            "a b@x.com",
        )
        .expect("email set");
    let mut no_email = Map::new();
    no_email.insert("LastName".into(), json!("Nomail"));
    no_email.insert("Company".into(), json!("Nowhere Inc."));
    let nomail = state
        .insert_record(Kind::Lead, &no_email)
        .expect("lead without email");
    let twin_of = leads[30].text("Email").expect("seeded email").to_string();
    let mut twin = Map::new();
    twin.insert("LastName".into(), json!("Twin"));
    twin.insert("Company".into(), json!("Twins Ltd"));
    twin.insert("Email".into(), json!(twin_of.to_uppercase()));
    let twin = state.insert_record(Kind::Lead, &twin).expect("twin lead");

    let (leads_list, contacts_list) = tokio::join!(
        e.import("lead", &LEAD_FIELDS),
        e.import("contact", &CONTACT_FIELDS)
    );

    for ((list, report), kind, fields, name) in [
        (
            &leads_list,
            Kind::Lead,
            &LEAD_FIELDS[..],
            "All Infor CRM Leads",
        ),
        (
            &contacts_list,
            Kind::Contact,
            &CONTACT_FIELDS[..],
            "All Infor CRM Contacts",
        ),
    ] {
        // Invalid emails are reported, not failures.
        assert_eq!(report["status"], "succeeded", "{report}");
        let crm_records = records(&e.crm, kind);
        let want = expected(&crm_records);
        if kind == Kind::Lead {
            // The twin was modified last, so it wins the shared email (same entity:
            // most recently modified); the report names the loser.
            assert_eq!(want.by_email[&twin_of.to_lowercase()].key, twin.key);
            assert_eq!(want.duplicates, 1);
        } else {
            assert!(want.duplicates > 0, "the seed shares some contact emails");
        }
        let (status, detail) = e.get(&format!("/v1/lists/{list}")).await;
        assert_eq!(status, 200, "{detail}");
        assert_eq!(detail["name"], name);
        assert_eq!(detail["status"], "ready");
        assert_eq!(
            detail["kind"],
            if kind == Kind::Lead {
                "crm_lead"
            } else {
                "crm_contact"
            }
        );
        assert_eq!(detail["member_count"], want.by_email.len() as u64, "{name}");
        let columns: Vec<(&str, &str, bool)> = detail["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap_or_default(),
                    c["crm_field"].as_str().unwrap_or_default(),
                    c["pending"].as_bool().unwrap_or(true),
                )
            })
            .collect();
        let all_fields = with_names(fields);
        assert_eq!(
            columns,
            all_fields
                .iter()
                .map(|f| (*f, *f, false))
                .collect::<Vec<_>>()
        );

        let members = e.api_members(list).await;
        assert_members_match(&members, &want, &all_fields);
        assert_eq!(
            report["counts"]["read"],
            crm_records.len() as u64,
            "{report}"
        );
        assert_eq!(report["counts"]["invalid"], want.invalid_keys.len() as u64);
        assert_eq!(
            report["counts"]["duplicates"], want.duplicates as u64,
            "{report}"
        );
        assert_eq!(
            report["progress_total"],
            crm_records.len() as u64,
            "{report}"
        );

        let run_records = e.run_records(report["id"].as_str().expect("run id")).await;
        let invalid: Vec<&str> = run_records
            .iter()
            .filter(|r| r["outcome"] == "invalid")
            .filter_map(|r| r["crm_key"].as_str())
            .collect();
        let mut invalid_sorted = invalid.clone();
        invalid_sorted.sort_unstable();
        let mut want_invalid: Vec<&str> = want.invalid_keys.iter().map(String::as_str).collect();
        want_invalid.sort_unstable();
        assert_eq!(
            invalid_sorted, want_invalid,
            "invalid records reported by key"
        );
        if kind == Kind::Lead {
            assert!(want_invalid.contains(&nomail.key.as_str()));
            let dup: Vec<&Value> = run_records
                .iter()
                .filter(|r| r["outcome"] == "duplicate")
                .collect();
            assert_eq!(dup.len(), 1, "{dup:?}");
            assert_eq!(dup[0]["crm_key"], leads[30].key.as_str(), "{}", dup[0]);
            assert!(
                dup[0]["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains(&twin.key)),
                "the report names the kept record: {}",
                dup[0]
            );
        }
    }

    let (_, all) = e.get("/v1/lists").await;
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_survives_crm_errors_rate_limits_and_dropped_connections() {
    let e = world(crm_config(1_200, 0)).await;
    let status = |status| Fault::Status {
        status,
        retry_after: None,
    };
    e.crm.state().set_faults(FaultConfig {
        seed: 3,
        rules: vec![
            FaultRule::next(1, status(500))
                .with_kind("leads")
                .with_method("GET"),
            FaultRule::next(
                1,
                Fault::Status {
                    status: 429,
                    retry_after: Some(1),
                },
            )
            .with_kind("leads"),
            FaultRule::next(1, Fault::Drop { apply: true }).with_kind("leads"),
            FaultRule::rate(0.08, status(503)).with_kind("leads"),
            FaultRule::rate(0.05, Fault::Drop { apply: true }).with_kind("leads"),
        ],
        ..FaultConfig::default()
    });
    let (list, report) = e.import("lead", &["Title", "Region"]).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    let left = e.crm.state().faults().rules;
    assert_eq!(left.len(), 2, "every one-off fault fired: {left:?}");

    let crm_records = records(&e.crm, Kind::Lead);
    let want = expected(&crm_records);
    let members = e.api_members(&list).await;
    assert_members_match(
        &members,
        &want,
        &["FirstName", "LastName", "Title", "Region"],
    );
    assert_eq!(
        report["counts"]["pulled_new"],
        crm_records.len() as u64,
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_requests_are_checked_before_anything_is_created() {
    let e = world(crm_config(5, 0)).await;
    let (status, body) = e
        .start_import(&json!({ "connector": e.connector, "entity": "lead", "fields": ["Title", "Shoe Size", "Favourite"] }))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "unknown_fields");
    assert_eq!(
        body["details"]["unknown"],
        json!(["Shoe Size", "Favourite"])
    );
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("'Shoe Size'"), "{message}");

    let (status, body) = e
        .start_import(
            &json!({ "connector": "00000000-0000-4000-8000-000000000000", "entity": "lead" }),
        )
        .await;
    assert_eq!(status, 404, "{body}");

    let (status, body) = e
        .start_import(&json!({ "connector": e.connector, "entity": "account" }))
        .await;
    assert_eq!(status, 422, "{body}");
    let (_, lists) = e.get("/v1/lists").await;
    assert_eq!(lists, json!([]), "nothing was created");

    // A custom name, custom fields, case-insensitive field names; then a clash.
    let body = json!({ "connector": e.connector, "entity": "lead", "name": "VIP leads", "fields": ["leadscore", "Address.City"] });
    let (status, created) = e.start_import(&body).await;
    assert_eq!(status, 202, "{created}");
    assert_eq!(created["list"]["name"], "VIP leads");
    let names: Vec<&str> = created["list"]["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["FirstName", "LastName", "LeadScore", "Address.City"]
    );
    let report = e
        .wait_run(created["run_id"].as_str().expect("run id"))
        .await;
    assert_eq!(report["status"], "succeeded", "{report}");
    let (status, clash) = e.start_import(&body).await;
    assert_eq!(status, 409, "{clash}");
    assert!(
        clash["message"]
            .as_str()
            .is_some_and(|m| m.contains("VIP leads")),
        "{clash}"
    );

    // The address city arrived from the lead's related address record.
    let members = e
        .api_members(created["list"]["id"].as_str().expect("id"))
        .await;
    let addresses = records(&e.crm, Kind::LeadAddress);
    for lead in records(&e.crm, Kind::Lead) {
        let email = lead.text("Email").expect("email").to_lowercase();
        let member = members
            .iter()
            .find(|m| m["email"] == email.as_str())
            .expect("member");
        let address_key = lead.text("Address").expect("address key");
        let city = addresses
            .iter()
            .find(|a| a.key == address_key)
            .and_then(|a| a.text("City"))
            .expect("city");
        assert_eq!(member["values"]["Address.City"], city, "{email}");
    }
}
