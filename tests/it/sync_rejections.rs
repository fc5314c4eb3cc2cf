//! Records the CRM itself refuses (an Infor CRM business rule, modelled by the fake's
//! write rules): the run report carries the CRM's own words, the member is parked and
//! not sent again on the next run, and it is sent once it changes.

use infor_crm_fake::Kind;

use crate::support::world::{crm_config, world};
use serde_json::{Value, json};

const BLOCKED: &str = "Company 'Blocked Co' is on the blocked list";

/// Asserts a failed record carries the CRM's own words for the refusal.
fn assert_crm_words(failed: &Value) {
    assert!(
        failed["detail"]
            .as_str()
            .unwrap_or_default()
            .contains(BLOCKED),
        "the CRM's own words: {failed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_the_crm_refuses_is_reported_in_its_words_once_and_sent_after_a_fix() {
    let w = world(crm_config(10, 0)).await;
    let list = w.imported_list("lead", &["Company"]).await;
    w.save_sync(
        list,
        &json!({ "push": { "enabled": true, "update_existing": true, "fields": ["Company"] } }),
    )
    .await;
    w.crm_refuses_company("Blocked Co", BLOCKED);
    let member = w.members(list).await.into_iter().next().expect("member");
    let key = member.crm.clone().expect("linked").key;
    w.edit_member(list, &member.email, "Company", "Blocked Co")
        .await;
    w.crm.state().reset_stats();

    let run = w.run_now(list, false).await;
    let report = w.wait_run(&run).await;
    assert_eq!(report["status"], "completed_with_errors", "{report}");
    assert_eq!(report["counts"]["failed"], 1, "{report}");
    let failed = w.only_record(&run, "failed").await;
    assert_eq!(failed["email"], member.email.as_str());
    assert_eq!(failed["crm_key"], key.as_str());
    assert_crm_words(&failed);
    assert!(w.crm_write_requests() >= 1, "the CRM was asked");
    assert_eq!(w.crm_writes(), 0, "the refused write changed nothing");

    w.crm.state().reset_stats();
    let again = w.sync(list).await;
    assert_eq!(again["counts"]["failed"], 0, "not re-sent: {again}");
    assert_eq!(w.crm_write_requests(), 0, "nothing sent again: {again}");

    w.edit_member(list, &member.email, "Company", "Fine Co")
        .await;
    let fixed = w.sync(list).await;
    assert_eq!(fixed["counts"]["pushed_updated"], 1, "{fixed}");
    let lead = w.crm.state().record(Kind::Lead, &key).expect("lead");
    assert_eq!(lead.text("Company"), Some("Fine Co"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_the_crm_refuses_is_parked_with_its_words_and_created_after_a_fix() {
    let w = world(crm_config(0, 0)).await;
    w.crm_refuses_company("Blocked Co", BLOCKED);
    let list = w
        .uploaded_list(
            "Sign-ups",
            &[
                ("First Name", Some("first_name")),
                ("Last Name", Some("last_name")),
                ("Company", Some("company")),
            ],
            &[
                (
                    "ok@signups.example",
                    vec![
                        ("First Name", "Ok"),
                        ("Last Name", "Person"),
                        ("Company", "Good Co"),
                    ],
                ),
                (
                    "blocked@signups.example",
                    vec![
                        ("First Name", "No"),
                        ("Last Name", "Way"),
                        ("Company", "Blocked Co"),
                    ],
                ),
            ],
        )
        .await;
    w.push_new_members(list).await;

    let run = w.run_now(list, false).await;
    let report = w.wait_run(&run).await;
    assert_eq!(report["counts"]["pushed_new"], 1, "{report}");
    assert_eq!(report["counts"]["failed"], 1, "{report}");
    let failed = w.only_record(&run, "failed").await;
    assert_eq!(failed["email"], "blocked@signups.example");
    assert_crm_words(&failed);
    assert_eq!(w.leads_with_email("blocked@signups.example"), 0);

    w.crm.state().reset_stats();
    let again = w.sync(list).await;
    assert_eq!(again["counts"]["failed"], 0, "{again}");
    assert_eq!(again["counts"]["pushed_new"], 0, "{again}");
    assert_eq!(w.crm_write_requests(), 0, "not sent again: {again}");

    w.edit_member(list, "blocked@signups.example", "Company", "Unblocked Co")
        .await;
    let fixed = w.sync(list).await;
    assert_eq!(fixed["counts"]["pushed_new"], 1, "{fixed}");
    assert_eq!(w.leads_with_email("blocked@signups.example"), 1);
    assert_eq!(w.leads_with_email("ok@signups.example"), 1, "no duplicate");
}
