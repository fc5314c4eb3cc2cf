//! Pushing to the CRM: new members become leads, matches are updated, bad records are
//! parked with the CRM's words, address columns must be mapped, dry runs write nothing.

use crate::support::world::{crm_config, world};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_members_of_an_uploaded_list_become_leads_once() {
    let w = world(crm_config(20, 5)).await;
    let (list, rows) = w.people_list(250, "newco.example").await;
    w.push_new_members(list).await;
    let leads_before = w.crm_leads().len();
    w.crm.state().reset_stats();

    let report = w.sync(list).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["counts"]["pushed_new"], 250, "{report}");
    assert_eq!(w.crm_leads().len(), leads_before + 250);
    let posts = w.crm.state().stats().total;
    assert!(
        posts <= 250 / 25 + 12,
        "{posts} CRM requests for 250 creates"
    );
    for (email, _) in rows.iter().take(20) {
        assert_eq!(w.leads_with_email(email), 1, "{email}");
    }

    let again = w.sync(list).await;
    assert_eq!(again["counts"]["pushed_new"], 0, "{again}");
    assert_eq!(
        w.crm_leads().len(),
        leads_before + 250,
        "no duplicates on the second run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_required_value_fails_that_record_once_with_the_reason() {
    let w = world(crm_config(5, 0)).await;
    let list = w
        .uploaded_list(
            "Upload",
            &[
                ("Email", Some("email")),
                ("Last Name", Some("last_name")),
                ("Company", Some("company")),
            ],
            &[
                (
                    "ok@x.example",
                    vec![("Last Name", "Ok"), ("Company", "Acme")],
                ),
                ("nocompany@x.example", vec![("Last Name", "Nope")]),
            ],
        )
        .await;
    w.push_new_members(list).await;
    let run = w.run_now(list, false).await;
    let report = w.wait_run(&run).await;
    assert_eq!(report["status"], "completed_with_errors", "{report}");
    assert_eq!(report["counts"]["pushed_new"], 1);
    assert_eq!(report["counts"]["failed"], 1);
    let failed = w.only_record(&run, "failed").await;
    assert_eq!(failed["email"], "nocompany@x.example");
    assert!(
        failed["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("Company"),
        "{}",
        failed
    );

    let again = w.sync(list).await;
    assert_eq!(again["counts"]["failed"], 0, "not re-sent: {again}");
    assert_eq!(again["counts"]["parked"], 1, "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmapped_address_columns_refuse_the_setup_until_mapped() {
    let w = world(crm_config(5, 0)).await;
    let list = w
        .uploaded_list(
            "Upload",
            &[
                ("Email", Some("email")),
                ("Last Name", Some("last_name")),
                ("Company", Some("company")),
                ("City", None),
                ("Zip", None),
            ],
            &[(
                "addr@x.example",
                vec![
                    ("Last Name", "Addr"),
                    ("Company", "Acme"),
                    ("City", "Chicago"),
                    ("Zip", "60651"),
                ],
            )],
        )
        .await;
    let setup = json!({ "push": { "enabled": true, "add_new": true } });
    let (status, body) = w.put_sync(list, &setup).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "address_columns_unmapped");
    assert_eq!(body["details"]["names"], json!(["City", "Zip"]));

    let (status, optimized) = w
        .post(
            &format!("/v1/lists/{list}/optimize-for-infor-crm"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{optimized}");
    w.save_sync(list, &setup).await;
    let report = w.sync(list).await;
    assert_eq!(report["counts"]["pushed_new"], 1, "{report}");
    let lead = w
        .crm_leads()
        .into_iter()
        .find(|l| l.text("Email") == Some("addr@x.example"))
        .expect("lead created");
    let address = w
        .crm
        .state()
        .records(infor_crm_fake::Kind::LeadAddress)
        .into_iter()
        .find(|a| a.text("LeadId") == Some(lead.key.as_str()))
        .expect("address created");
    assert_eq!(address.text("City"), Some("Chicago"));
    assert_eq!(address.text("PostalCode"), Some("60651"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_plans_exactly_what_the_real_run_does_and_writes_nothing() {
    let w = world(crm_config(30, 0)).await;
    let (list, _) = w.people_list(40, "dry.example").await;
    w.push_new_members(list).await;
    w.crm.state().reset_stats();

    let dry = w.run_now(list, true).await;
    let plan = w.wait_run(&dry).await;
    assert_eq!(plan["dry_run"], true);
    w.assert_no_crm_writes("a dry run writes nothing");
    let planned: Vec<String> = w
        .records_with_outcome(&dry, "planned_create")
        .await
        .into_iter()
        .map(|r| r["email"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(planned.len(), 40);
    assert!(
        w.members(list).await.iter().all(|m| m.crm.is_none()),
        "the list is untouched"
    );

    let real = w.sync(list).await;
    assert_eq!(real["counts"]["pushed_new"], 40);
    let mut created: Vec<String> = w
        .crm_leads()
        .into_iter()
        .filter_map(|l| l.text("Email").map(String::from))
        .filter(|e| e.ends_with("@dry.example"))
        .collect();
    let mut planned = planned;
    created.sort();
    planned.sort();
    assert_eq!(created, planned);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_member_of_a_contact_list_is_pushed_as_a_lead() {
    let w = world(crm_config(0, 10)).await;
    let list = w.imported_list("contact", &["AccountName"]).await;
    w.push_new_members(list).await;
    w.add_member(
        list,
        "new.contact@list.example",
        &[
            ("LastName", "Newman"),
            ("FirstName", "Nia"),
            ("AccountName", "Newman & Co"),
        ],
    )
    .await;
    let contacts_before = w.crm.state().count(infor_crm_fake::Kind::Contact);

    let report = w.sync(list).await;
    assert_eq!(report["counts"]["pushed_new"], 1, "{report}");
    let lead = w
        .crm_leads()
        .into_iter()
        .find(|l| l.text("Email") == Some("new.contact@list.example"))
        .expect("created as a lead");
    assert_eq!(
        lead.text("Company"),
        Some("Newman & Co"),
        "the account name became the company"
    );
    assert_eq!(
        w.crm.state().count(infor_crm_fake::Kind::Contact),
        contacts_before,
        "no contact created"
    );
}
