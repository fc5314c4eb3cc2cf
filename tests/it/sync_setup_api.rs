//! The sync setup and Run Now API: refusals that name what is wrong, one active run per
//! list, segment pushes that send only the segment's members.

use crate::support::services::api_only;
use crate::support::world::{crm_config, world, world_with};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setups_that_cannot_work_are_refused_by_name() {
    let w = world(crm_config(5, 0)).await;
    let leads = w.imported_list("lead", &["Title"]).await;
    let (upload, _) = w.people_list(3, "setup.example").await;

    let (status, body) = w
        .put_sync(
            upload,
            &json!({ "pull": { "enabled": true, "add_new": true } }),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("pull_not_allowed")),
        "{body}"
    );
    let (status, body) = w.put_sync(leads, &json!({ "push": { "enabled": true, "update_existing": true, "fields": ["Shoesize"] } })).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("unknown_fields")),
        "{body}"
    );
    assert_eq!(body["details"]["names"], json!(["Shoesize"]));
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("'Shoesize'")
    );
    let (status, body) = w.put_sync(leads, &json!({ "push": { "enabled": true, "update_existing": true, "fields": ["CreateDate"] } })).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("read_only_fields")),
        "{body}"
    );
    let (status, body) = w.put_sync(leads, &json!({ "push": { "enabled": true, "update_existing": true, "fields": ["WorkPhone"] } })).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("fields_without_column")),
        "{body}"
    );

    let (status, body) = w.get(&format!("/v1/lists/{leads}/sync")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["push"]["fields"],
        json!([]),
        "nothing saved, and push fields default to none: {body}"
    );
    assert_eq!(
        body["pull"]["fields"],
        json!(null),
        "pull fields default to all"
    );
    assert_eq!(body["conflict_rule"], "crm_wins");

    let other = w.app.create_account("other").await;
    let response = w.app.get(&format!("/v1/lists/{leads}/sync"), &other).await;
    crate::support::assert_problem(response, 404, "not_found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_now_returns_the_active_run() {
    let w = world_with(crm_config(5, 0), api_only()).await;
    let (list, _) = w.people_list(3, "twice.example").await;
    w.push_new_members(list).await;
    let run_now = format!("/v1/lists/{list}/runs");
    let (first_status, first) = w.post(&run_now, &json!({})).await;
    let (second_status, second) = w.post(&run_now, &json!({})).await;
    assert_eq!(first_status, 202, "{first}");
    assert_eq!(second_status, 200, "{second}");
    assert_eq!(second["already_active"], true);
    assert_eq!(first["run"]["id"], second["run"]["id"]);
    let (_, history) = w.get(&run_now).await;
    assert_eq!(history.as_array().map(Vec::len), Some(1), "{history}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_segment_pushes_only_its_members_and_cannot_pull() {
    let w = world(crm_config(5, 0)).await;
    let (list, rows) = w.people_list(30, "segment.example").await;
    let filter = json!({ "combine": "all", "conditions": [
        { "column": "Company", "op": "equals", "value": "Company 3" }
    ] });
    let segment = w.create_segment(list, "Company 3 only", &filter).await;
    let setup = format!("/v1/segments/{segment}/sync");
    let (status, body) = w.put(&setup, &json!({ "pull": { "enabled": true } })).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("pull_not_allowed")),
        "{body}"
    );
    let (status, body) = w
        .put(
            &setup,
            &json!({ "push": { "enabled": true, "add_new": true } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let (status, queued) = w
        .post(&format!("/v1/segments/{segment}/runs"), &json!({}))
        .await;
    assert_eq!(status, 202, "{queued}");
    let report = w
        .wait_run(queued["run"]["id"].as_str().expect("run id"))
        .await;
    let expected = rows
        .iter()
        .filter(|(_, vs)| vs.iter().any(|(c, v)| *c == "Company" && v == "Company 3"))
        .count();
    assert!(expected > 0);
    assert_eq!(
        report["counts"]["pushed_new"].as_u64(),
        Some(expected as u64),
        "{report}"
    );
    assert_eq!(report["segment_id"], segment.as_str());
    for (email, values) in &rows {
        let in_segment = values
            .iter()
            .any(|(c, v)| *c == "Company" && v == "Company 3");
        assert_eq!(
            w.leads_with_email(email),
            usize::from(in_segment),
            "{email}"
        );
    }
}
