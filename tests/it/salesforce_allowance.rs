//! A Salesforce org whose daily API allowance is used up (issue 17): a sync stops at once
//! with the reason, without retries spending requests that would all be refused, and
//! form deliveries wait for the allowance instead of dying.

use listbridge::store::{JobKind, JobStatus};
use serde_json::json;

use crate::support::{salesforce::salesforce_only, wait};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_up_allowance_stops_the_sync_and_deliveries_wait_for_it() {
    let (w, sf) = salesforce_only(10).await;
    let list = w.imported_list("lead", &["Title"]).await;
    w.save_sync(
        list,
        &json!({ "push": { "enabled": true, "update_existing": true, "fields": ["Title"] } }),
    )
    .await;
    let members = w.members(list).await;
    w.edit_member(list, &members[0].email, "Title", "Head of Limits")
        .await;
    // Made while the allowance lasts: saving a form describes the CRM's fields.
    let form = w
        .create_form(&json!({
            "name": "Trial sign-up",
            "fields": [
                { "name": "email", "usage": "email" },
                { "name": "last_name", "usage": "last_name" },
                { "name": "company", "usage": "company" }
            ],
            "update_fields": [],
            "thank_you_url": null
        }))
        .await;
    let max = sf.state().api_usage().1;
    sf.state().set_api_usage(max, None);
    let before = sf.state().stats().total;

    let report = w.sync(list).await;
    assert_eq!(report["status"], "failed", "{report}");
    let reason = report["error"].as_str().unwrap_or_default();
    assert!(
        reason.contains("daily API request limit") && reason.contains("REQUEST_LIMIT_EXCEEDED"),
        "{report}"
    );
    let sent = sf.state().stats().total - before;
    assert!(
        sent <= 2,
        "one refused request ends the run, no retries: {sent}"
    );
    let run_jobs: Vec<_> = w
        .jobs()
        .await
        .into_iter()
        .filter(|j| j.kind == JobKind::Run)
        .collect();
    assert!(
        run_jobs.iter().all(|j| j.status == JobStatus::Succeeded),
        "the run ended once, not queued again: {run_jobs:?}"
    );
    let member = w
        .members(list)
        .await
        .into_iter()
        .find(|m| m.email == members[0].email)
        .expect("the member stays");
    assert!(
        member.parked.is_none(),
        "not parked for the org's limit: {member:?}"
    );

    let path = form["submit_path"].as_str().unwrap_or_default().to_string();
    let body = json!({ "email": "wait@limit.example", "last_name": "Wait", "company": "Later" });
    let status = w
        .app
        .client
        .post(w.app.url(&path))
        .json(&body)
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(status.ok(), Some(202));
    let job = wait::until("the delivery to wait for the allowance", async || {
        let jobs = w.jobs().await;
        match jobs.into_iter().find(|j| j.kind == JobKind::FormDelivery) {
            Some(j) if j.status == JobStatus::Queued && j.run_at > j.updated_at => Ok(j),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert_eq!(job.attempts, 0, "waiting spends no attempt: {job:?}");
    assert!(
        job.last_error
            .as_deref()
            .is_some_and(|e| e.contains("daily API request limit")),
        "it says why it waits: {job:?}"
    );
    assert!(
        job.run_at - job.updated_at >= chrono::Duration::minutes(59),
        "it waits about an hour: {job:?}"
    );
}
