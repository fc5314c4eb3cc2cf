//! The sync setup and Run Now API: refusals that name what is wrong, one active run per
//! list, segment pushes that send only the segment's members.

mod common;
mod sync_support;

use listbridge::{
    app::Services,
    jobs::WorkerConfig,
    lists::segment_filter::{Combine, Condition, Operator, SegmentFilter},
    store::{ListKind, SegmentRepo},
};
use serde_json::json;
use sync_support::{PEOPLE_COLUMNS, borrow_rows, crm_config, people, world, world_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setups_that_cannot_work_are_refused_by_name() {
    let w = world(crm_config(5, 0)).await;
    let leads = w.import(ListKind::CrmLead, &["Title"]).await;
    let rows = people(3, "setup.example");
    let upload = w
        .uploaded_list("Upload", &PEOPLE_COLUMNS, &borrow_rows(&rows))
        .await;

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

    let (status, body) =
        common::json(w.app.get(&format!("/v1/lists/{leads}/sync"), &w.key).await).await;
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
    common::assert_problem(response, 404, "not_found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_now_returns_the_active_run() {
    let api_only = Services {
        workers: WorkerConfig {
            workers: 0,
            ..WorkerConfig::default()
        },
        ..Services::default()
    };
    let w = world_with(crm_config(5, 0), api_only).await;
    let rows = people(3, "twice.example");
    let list = w
        .uploaded_list("Upload", &PEOPLE_COLUMNS, &borrow_rows(&rows))
        .await;
    w.put_sync(
        list,
        &json!({ "push": { "enabled": true, "add_new": true } }),
    )
    .await;
    let (first_status, first) = common::json(
        w.app
            .post(&format!("/v1/lists/{list}/runs"), &w.key, &json!({}))
            .await,
    )
    .await;
    let (second_status, second) = common::json(
        w.app
            .post(&format!("/v1/lists/{list}/runs"), &w.key, &json!({}))
            .await,
    )
    .await;
    assert_eq!(first_status, 202, "{first}");
    assert_eq!(second_status, 200, "{second}");
    assert_eq!(second["already_active"], true);
    assert_eq!(first["run"]["id"], second["run"]["id"]);
    let (_, history) =
        common::json(w.app.get(&format!("/v1/lists/{list}/runs"), &w.key).await).await;
    assert_eq!(history.as_array().map(Vec::len), Some(1), "{history}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_segment_pushes_only_its_members_and_cannot_pull() {
    let w = world(crm_config(5, 0)).await;
    let rows = people(30, "segment.example");
    let list = w
        .uploaded_list("Upload", &PEOPLE_COLUMNS, &borrow_rows(&rows))
        .await;
    let filter = SegmentFilter {
        combine: Combine::All,
        conditions: vec![Condition {
            column: "Company".into(),
            op: Operator::Equals,
            value: Some("Company 3".into()),
        }],
    };
    let db = w.app.state.store.conn();
    let segment = SegmentRepo
        .create(
            db,
            w.account,
            list,
            "Company 3 only",
            &serde_json::to_string(&filter).unwrap(),
            chrono::Utc::now(),
        )
        .await
        .expect("segment");
    let put = |body: serde_json::Value| {
        let url = w.app.url(&format!("/v1/segments/{}/sync", segment.id));
        let request = w.app.client.put(url).bearer_auth(&w.key).json(&body);
        async move { common::json(request.send().await.expect("sent")).await }
    };
    let (status, body) = put(json!({ "pull": { "enabled": true } })).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("pull_not_allowed")),
        "{body}"
    );
    let (status, body) = put(json!({ "push": { "enabled": true, "add_new": true } })).await;
    assert_eq!(status, 200, "{body}");

    let (status, queued) = common::json(
        w.app
            .post(
                &format!("/v1/segments/{}/runs", segment.id),
                &w.key,
                &json!({}),
            )
            .await,
    )
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
    assert_eq!(report["segment_id"], segment.id.to_string());
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
