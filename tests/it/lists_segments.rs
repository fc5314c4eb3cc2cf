//! Segments through the API: every operator, all/any, validation against the list's
//! columns, members computed from the list (so they follow list changes), paging.

use crate::support::lists::upload;
use crate::support::{TestApp, json as read_json, spawn_app};
use serde_json::{Value, json};

const PEOPLE: &str = "Email,City,Score,Since,Tag\n\
    ann@example.com,Chicago,42,2024-03-01,\n\
    bo@example.com,Boston,7,2023-12-31,vip\n\
    cy@example.com,chicago heights,100,2024-06-15,  \n\
    di@other.org,,9.5,,vip\n";

async fn people_list(app: &TestApp, key: &str) -> String {
    let (status, report) = upload(app, key, "name=People", PEOPLE).await;
    assert_eq!(status, 201, "{report}");
    report["list"]["id"].as_str().expect("list id").to_string()
}

/// Creates a segment with one condition (or several) and returns its member emails.
async fn emails_for(app: &TestApp, key: &str, list: &str, filter: Value) -> Vec<String> {
    let name = format!("s-{}", uuid::Uuid::new_v4());
    let (status, segment) = read_json(
        app.post(
            &format!("/v1/lists/{list}/segments"),
            key,
            &json!({ "name": name, "filter": filter }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{segment}");
    let id = segment["id"].as_str().expect("segment id");
    let (status, page) = read_json(app.get(&format!("/v1/segments/{id}/members"), key).await).await;
    assert_eq!(status, 200, "{page}");
    let mut emails: Vec<String> = page["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["email"].as_str().map(String::from))
        .collect();
    emails.sort();
    emails
}

fn one(column: &str, op: &str, value: Option<&str>) -> Value {
    json!({ "conditions": [{ "column": column, "op": op, "value": value }] })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operator_selects_the_right_members() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let list = people_list(&app, &key).await;
    let cases: Vec<(Value, &[&str])> = vec![
        (one("City", "equals", Some("CHICAGO")), &["ann@example.com"]),
        (
            one("City", "not_equals", Some("chicago")),
            &["bo@example.com", "cy@example.com", "di@other.org"],
        ),
        (
            one("City", "contains", Some("CAGO")),
            &["ann@example.com", "cy@example.com"],
        ),
        (one("City", "starts_with", Some("b")), &["bo@example.com"]),
        (
            one("Tag", "is_empty", None),
            &["ann@example.com", "cy@example.com"],
        ),
        (
            one("tag", "is_not_empty", None),
            &["bo@example.com", "di@other.org"],
        ),
        (
            one("Score", "greater_than", Some("9")),
            &["ann@example.com", "cy@example.com", "di@other.org"],
        ),
        (one("Score", "less_than", Some("9.5")), &["bo@example.com"]),
        (
            one("Since", "greater_than", Some("2024-01-01")),
            &["ann@example.com", "cy@example.com"],
        ),
        (
            one("Since", "less_than", Some("2024-03-01T12:00:00Z")),
            &["ann@example.com", "bo@example.com"],
        ),
        (one("email", "contains", Some("@other.")), &["di@other.org"]),
        (
            json!({ "combine": "all", "conditions": [
                { "column": "Tag", "op": "equals", "value": "vip" },
                { "column": "Score", "op": "less_than", "value": "9" } ] }),
            &["bo@example.com"],
        ),
        (
            json!({ "combine": "any", "conditions": [
                { "column": "City", "op": "equals", "value": "Boston" },
                { "column": "Score", "op": "greater_than", "value": "50" } ] }),
            &["bo@example.com", "cy@example.com"],
        ),
        (
            json!({ "conditions": [] }),
            &[
                "ann@example.com",
                "bo@example.com",
                "cy@example.com",
                "di@other.org",
            ],
        ),
    ];
    for (filter, want) in cases {
        let got = emails_for(&app, &key, &list, filter.clone()).await;
        assert_eq!(got, want, "filter {filter}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_are_validated_read_back_and_members_follow_the_list() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let list = people_list(&app, &key).await;
    let path = format!("/v1/lists/{list}/segments");
    for (filter, needle) in [
        (one("Shoe", "equals", Some("x")), "no column 'Shoe'"),
        (one("City", "equals", None), "needs a value"),
        (
            one("Score", "greater_than", Some("lots")),
            "'lots' is neither a number nor a date",
        ),
    ] {
        let (status, body) = read_json(
            app.post(&path, &key, &json!({ "name": "bad", "filter": filter }))
                .await,
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"], "invalid_filter");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains(needle)),
            "{body}"
        );
    }

    let filter = json!({ "combine": "any", "conditions": [
        { "column": "Tag", "op": "equals", "value": "vip" },
        { "column": "City", "op": "is_empty", "value": null } ] });
    let (status, created) = read_json(
        app.post(&path, &key, &json!({ "name": "VIPs", "filter": filter }))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    let (_, read_back) = read_json(app.get(&format!("/v1/segments/{id}"), &key).await).await;
    assert_eq!(read_back["name"], "VIPs");
    assert_eq!(read_back["list_id"], list.as_str());
    assert_eq!(
        read_back["filter"], filter,
        "the filter reads back as saved"
    );
    let (_, listed) = read_json(app.get(&path, &key).await).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    let (status, clash) = read_json(
        app.post(&path, &key, &json!({ "name": "VIPs", "filter": filter }))
            .await,
    )
    .await;
    assert_eq!(status, 409, "{clash}");

    // Replace the filter; then page through the members one at a time.
    let replaced = json!({ "combine": "all", "conditions": [
        { "column": "Email", "op": "contains", "value": "example.com" } ] });
    let response = app
        .client
        .put(app.url(&format!("/v1/segments/{id}")))
        .bearer_auth(&key)
        .json(&json!({ "name": "Example", "filter": replaced }))
        .send()
        .await
        .expect("sent");
    let (status, updated) = read_json(response).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["filter"], replaced);
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(after) => format!("/v1/segments/{id}/members?limit=1&after={after}"),
            None => format!("/v1/segments/{id}/members?limit=1"),
        };
        let (status, page) = read_json(app.get(&path, &key).await).await;
        assert_eq!(status, 200, "{page}");
        for m in page["members"].as_array().expect("members") {
            seen.push(m["email"].as_str().unwrap_or_default().to_string());
        }
        match page["next"].as_str() {
            Some(after) => next = Some(after.to_string()),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        ["ann@example.com", "bo@example.com", "cy@example.com"]
    );

    let response = app
        .client
        .delete(app.url(&format!("/v1/segments/{id}")))
        .bearer_auth(&key)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 204);
    let (status, _) = read_json(app.get(&format!("/v1/segments/{id}"), &key).await).await;
    assert_eq!(status, 404);
    let (status, _) = read_json(app.get(&format!("/v1/lists/{list}"), &key).await).await;
    assert_eq!(status, 200, "the list stays");
}
