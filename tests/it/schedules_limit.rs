//! The ten-schedule limit: the eleventh is refused with a message naming the limit and
//! the ten scheduled lists, also when eleven requests race; disabling or deleting frees a
//! place. And a connector reset pauses schedules, a reconfirmed login resumes them.

use crate::support::schedules::{World, delete_schedule, utc, world};
use crate::support::world::connect_as;
use chrono::Duration;
use infor_crm_fake::{FakeConfig, FakeCrm};
use listbridge::{
    scheduling::tick,
    store::{ListKind, ListRepo, ListStatus, NewList, entity::schedule},
};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

fn daily() -> Value {
    json!({"frequency": "daily", "time_of_day": "06:00", "time_zone": "Europe/Berlin"})
}

fn hourly() -> Value {
    json!({"frequency": "hourly", "time_of_day": "00:00", "time_zone": "UTC"})
}

/// Eleven lists named `List 01` … `List 11`.
async fn eleven_lists(w: &World) -> Vec<String> {
    let mut paths = Vec::new();
    for i in 1..=11 {
        let list = w.list(&format!("List {i:02}")).await;
        paths.push(format!("/v1/lists/{list}"));
    }
    paths
}

/// The stored slots of enabled schedules, sorted.
async fn slots(w: &World) -> Vec<i32> {
    let mut slots: Vec<i32> = schedule::Entity::find()
        .all(&w.app.raw_db().await)
        .await
        .expect("schedules read")
        .into_iter()
        .filter_map(|s| s.slot)
        .collect();
    slots.sort();
    slots
}

fn assert_limit_problem(status: u16, body: &Value, names: &[String]) {
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "schedule_limit", "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("10"), "the limit is not named: {message}");
    for name in names {
        assert!(
            message.contains(name.as_str()),
            "{name} is not named: {message}"
        );
    }
    assert_eq!(body["details"]["limit"], 10);
    assert_eq!(
        body["details"]["scheduled"].as_array().map(Vec::len),
        Some(10),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_eleventh_is_refused_and_disabling_or_deleting_frees_a_place() {
    let w = world("2025-06-01T00:00:00Z").await;
    let paths = eleven_lists(&w).await;
    // A disabled schedule takes no place.
    let mut off = daily();
    off["enabled"] = json!(false);
    let (status, saved) = w.put_schedule(&paths[10], &off).await;
    assert_eq!(
        (status, saved["enabled"].as_bool()),
        (200, Some(false)),
        "{saved}"
    );
    assert_eq!(saved["next_runs"], json!([]));

    for path in &paths[..10] {
        let (status, body) = w.put_schedule(path, &daily()).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = w.put_schedule(&paths[10], &daily()).await;
    let names: Vec<String> = (1..=10).map(|i| format!("List {i:02}")).collect();
    assert_limit_problem(status, &body, &names);
    assert!(
        !body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("List 11")
    );
    // A segment counts toward the same ten.
    let list = paths[0]
        .trim_start_matches("/v1/lists/")
        .parse()
        .expect("list id");
    let segment = w.segment(list, "VIPs").await;
    let (status, body) = w
        .put_schedule(&format!("/v1/segments/{segment}"), &daily())
        .await;
    assert_limit_problem(status, &body, &names);
    // Re-saving one of the ten keeps its place.
    let (status, body) = w.put_schedule(&paths[3], &hourly()).await;
    assert_eq!(status, 200, "{body}");

    // Disabling one frees a place.
    let (status, body) = w.put_schedule(&paths[0], &off).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = w.put_schedule(&paths[10], &daily()).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = w.put_schedule(&paths[0], &daily()).await;
    assert_eq!(status, 409, "{body}");

    // Deleting one frees a place.
    assert_eq!(delete_schedule(&w.app, &w.key, &paths[1]).await, 204);
    let (status, body) = w
        .put_schedule(&format!("/v1/segments/{segment}"), &daily())
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(slots(&w).await, (1..=10).collect::<Vec<_>>());

    // Deleting a list frees its place too.
    let gone = paths[2]
        .trim_start_matches("/v1/lists/")
        .parse()
        .expect("list id");
    assert!(
        ListRepo
            .delete(w.app.state.store.conn(), w.account, gone)
            .await
            .expect("list deleted")
    );
    let (status, body) = w.put_schedule(&paths[0], &daily()).await;
    assert_eq!(status, 200, "{body}");

    // Another account has its own ten.
    let other = w.app.create_account("globex").await;
    let other_account = crate::support::world::account_of(&w.app, &other).await;
    let list = crate::support::schedules::create_list(&w.app.state, other_account, "Theirs").await;
    let (status, body) = crate::support::schedules::put_schedule(
        &w.app,
        &other,
        &format!("/v1/lists/{list}"),
        &daily(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eleven_racing_requests_schedule_exactly_ten() {
    let w = world("2025-06-01T00:00:00Z").await;
    let paths = eleven_lists(&w).await;
    let mut tasks = tokio::task::JoinSet::new();
    for path in paths {
        let (app_url, key, client) = (w.app.base_url.clone(), w.key.clone(), w.app.client.clone());
        tasks.spawn(async move {
            let response = client
                .put(format!("{app_url}{path}/schedule"))
                .bearer_auth(key)
                .json(&daily())
                .send()
                .await
                .expect("request sent");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("JSON body"))
        });
    }
    let mut outcomes = Vec::new();
    while let Some(outcome) = tasks.join_next().await {
        outcomes.push(outcome.expect("request task"));
    }
    let refused: Vec<&(u16, Value)> = outcomes.iter().filter(|(s, _)| *s != 200).collect();
    assert_eq!(refused.len(), 1, "{outcomes:?}");
    let (status, body) = refused[0];
    let scheduled: Vec<String> = body["details"]["scheduled"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    assert_limit_problem(*status, body, &scheduled);
    assert_eq!(slots(&w).await, (1..=10).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_reset_pauses_schedules_and_reconfirm_resumes_them() {
    const PASSWORD: &str = "reset-test-password";
    let crm = FakeCrm::start(FakeConfig {
        leads: 1,
        contacts: 1,
        accounts: 1,
        password: PASSWORD.into(),
        ..FakeConfig::default()
    })
    .await
    .expect("fake CRM starts");
    let w = world("2025-06-01T00:10:00Z").await;
    let connector_id = connect_as(&w.app, &w.key, &crm.base_url(), PASSWORD).await;

    let crm_list = ListRepo
        .create(
            w.app.state.store.conn(),
            NewList {
                account_id: w.account,
                name: "CRM leads".into(),
                kind: ListKind::CrmLead,
                connector_id: Some(connector_id),
                status: ListStatus::Ready,
                columns: vec![],
            },
            w.app.state.random.as_ref(),
            w.clock_now(),
        )
        .await
        .expect("list created")
        .id;
    let segment = w.segment(crm_list, "Hot").await;
    let uploaded = w.list("Uploaded").await;
    let paths = [
        format!("/v1/lists/{crm_list}"),
        format!("/v1/segments/{segment}"),
        format!("/v1/lists/{uploaded}"),
    ];
    for path in &paths {
        let (status, body) = w.put_schedule(path, &hourly()).await;
        assert_eq!(
            (status, body["paused"].as_bool()),
            (200, Some(false)),
            "{body}"
        );
    }
    let other_key = w.app.create_account("globex").await;
    let other_account = crate::support::world::account_of(&w.app, &other_key).await;
    let other_list =
        crate::support::schedules::create_list(&w.app.state, other_account, "Theirs").await;
    let other_path = format!("/v1/lists/{other_list}");
    let (status, _) =
        crate::support::schedules::put_schedule(&w.app, &other_key, &other_path, &hourly()).await;
    assert_eq!(status, 200);

    let reset = w
        .app
        .post(
            &format!("/v1/connectors/{connector_id}/reset"),
            &w.key,
            &json!({}),
        )
        .await;
    assert_eq!(reset.status().as_u16(), 200);
    for path in &paths {
        let (_, body) = w.get_schedule(path).await;
        assert_eq!(body["paused"], true, "{path}: {body}");
        assert_eq!(body["next_runs"], json!([]), "{body}");
    }
    let (_, theirs) = crate::support::json(
        w.app
            .get(&format!("{other_path}/schedule"), &other_key)
            .await,
    )
    .await;
    assert_eq!(
        theirs["paused"], false,
        "another account's schedule was paused: {theirs}"
    );

    // Paused schedules keep their place, stay paused when edited, and never fire.
    let (status, body) = w.put_schedule(&paths[0], &daily()).await;
    assert_eq!(
        (status, body["paused"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
    let late = w.list("Created after the reset").await;
    let (status, body) = w
        .put_schedule(&format!("/v1/lists/{late}"), &hourly())
        .await;
    assert_eq!(
        (status, body["paused"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
    w.clock.advance(Duration::hours(3));
    let report = tick(&w.app.state).await.expect("tick");
    assert_eq!(
        report.queued.len(),
        1,
        "only the other account's schedule fires: {report:?}"
    );
    assert!(w.runs(crm_list).await.is_empty() && w.runs(uploaded).await.is_empty());

    let reconfirm = w
        .app
        .post(
            &format!("/v1/connectors/{connector_id}/reconfirm"),
            &w.key,
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(reconfirm.status().as_u16(), 200);
    let (_, body) = w.get_schedule(&paths[2]).await;
    assert_eq!(body["paused"], false, "{body}");
    // Slots missed while paused are not made up: the next is the next regular one.
    assert_eq!(
        body["next_runs"][0],
        json!(utc("2025-06-01T04:00:00Z")),
        "{body}"
    );
    w.clock.set(utc("2025-06-01T04:00:00Z"));
    let report = tick(&w.app.state).await.expect("tick");
    assert_eq!(report.queued.len(), 4, "{report:?}"); // two lists, the segment, the late list
    assert_eq!(w.runs(uploaded).await.len(), 1);
    crm.shutdown().await;
}
