//! The lists API around the data: read back exactly as set, rename, delete, members
//! paging and search, Add List Columns, Standard Field Names, *Optimize for Infor CRM*,
//! and account isolation on every route.

use crate::support::lists::upload;
use crate::support::world::{crm_config, world};
use crate::support::{TestApp, assert_problem, json as read_json, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("request sent")
}

fn columns(detail: &Value) -> Vec<(String, Option<String>, bool, Option<String>)> {
    detail["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                c["crm_field"].as_str().map(String::from),
                c["pending"].as_bool().unwrap_or_default(),
                c["usage"].as_str().map(String::from),
            )
        })
        .collect()
}

fn col(
    name: &str,
    crm: Option<&str>,
    pending: bool,
    usage: Option<&str>,
) -> (String, Option<String>, bool, Option<String>) {
    (
        name.into(),
        crm.map(String::from),
        pending,
        usage.map(String::from),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_list_its_columns_and_mapping_read_back_as_set() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let csv = "Email,Given,Street Address,Town,Notes\nann@example.com,Ann,1 Main St,Austin,x\nbo@example.com,Bo,,,\n";
    let (status, report) = upload(&app, &key, "name=Customers", csv).await;
    assert_eq!(status, 201, "{report}");
    let id = report["list"]["id"].as_str().expect("id").to_string();

    // Standard Field Names: set, validated, removed.
    let (status, saved) = read_json(
        send(
            &app,
            Method::PUT,
            "/v1/field-usages",
            Some(&key),
            Some(&json!({ "column": "Given", "usage": "first_name" })),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved, json!({ "column": "Given", "usage": "first_name" }));
    let body = assert_problem(
        send(
            &app,
            Method::PUT,
            "/v1/field-usages",
            Some(&key),
            Some(&json!({ "column": "Given", "usage": "nickname" })),
        )
        .await,
        422,
        "invalid_usage",
    )
    .await;
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("'nickname'") && message.contains("business_postal_code"),
        "{message}"
    );
    send(
        &app,
        Method::PUT,
        "/v1/field-usages",
        Some(&key),
        Some(&json!({ "column": "Notes", "usage": "title" })),
    )
    .await;
    let response = send(
        &app,
        Method::DELETE,
        "/v1/field-usages/Notes",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    assert_problem(
        send(
            &app,
            Method::DELETE,
            "/v1/field-usages/Notes",
            Some(&key),
            None,
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // Add List Columns on an uploaded list: plain columns; a clash is named.
    let (status, detail) = read_json(
        app.post(
            &format!("/v1/lists/{id}/columns"),
            &key,
            &json!({ "fields": ["Score"] }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{detail}");
    let body = assert_problem(
        app.post(
            &format!("/v1/lists/{id}/columns"),
            &key,
            &json!({ "fields": ["notes"] }),
        )
        .await,
        409,
        "column_exists",
    )
    .await;
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("'notes'")),
        "{body}"
    );

    // Optimize: the two address-looking columns are mapped, the three missing added.
    let optimize = format!("/v1/lists/{id}/optimize-for-infor-crm");
    let (status, optimized) = read_json(app.post(&optimize, &key, &json!({})).await).await;
    assert_eq!(status, 200, "{optimized}");
    assert_eq!(
        optimized["mapped"],
        json!([
            { "column": "Street Address", "usage": "business_street" },
            { "column": "Town", "usage": "business_city" }
        ])
    );
    let added: Vec<&str> = optimized["added"]
        .as_array()
        .expect("added")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        added,
        ["Business State", "Business Postal Code", "Business Country"]
    );
    let (_, again) = read_json(app.post(&optimize, &key, &json!({})).await).await;
    assert_eq!(
        again["mapped"],
        json!([]),
        "a second run changes nothing: {again}"
    );
    assert_eq!(again["added"], json!([]));

    let (status, detail) = read_json(app.get(&format!("/v1/lists/{id}"), &key).await).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["name"], "Customers");
    assert_eq!(detail["kind"], "uploaded");
    assert_eq!(detail["status"], "ready");
    assert_eq!(detail["member_count"], 2);
    assert_eq!(
        columns(&detail),
        [
            col("Given", None, false, Some("first_name")),
            col("Street Address", None, false, Some("business_street")),
            col("Town", None, false, Some("business_city")),
            col("Notes", None, false, None),
            col("Score", None, false, None),
            col("Business State", None, false, Some("business_state")),
            col(
                "Business Postal Code",
                None,
                false,
                Some("business_postal_code")
            ),
            col("Business Country", None, false, Some("business_country")),
        ]
    );
    let (_, usages) = read_json(app.get("/v1/field-usages", &key).await).await;
    assert_eq!(
        usages["usages"].as_array().map(Vec::len),
        Some(6),
        "{usages}"
    );
    assert!(
        usages["valid_usages"]
            .as_array()
            .is_some_and(|v| v.len() == listbridge::domain::field_usage::SystemUsage::ALL.len()),
        "{usages}"
    );

    // Rename, and a clash on rename.
    upload(&app, &key, "name=Other", "Email\nz@example.com\n").await;
    let response = send(
        &app,
        Method::PATCH,
        &format!("/v1/lists/{id}"),
        Some(&key),
        Some(&json!({ "name": "Best customers" })),
    )
    .await;
    let (status, renamed) = read_json(response).await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["name"], "Best customers");
    assert_problem(
        send(
            &app,
            Method::PATCH,
            &format!("/v1/lists/{id}"),
            Some(&key),
            Some(&json!({ "name": "Other" })),
        )
        .await,
        409,
        "already_exists",
    )
    .await;
    let (_, all) = read_json(app.get("/v1/lists", &key).await).await;
    let names: Vec<(&str, u64)> = all
        .as_array()
        .expect("lists")
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap_or_default(),
                l["member_count"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(names, [("Other", 1), ("Best customers", 2)]);

    let response = send(
        &app,
        Method::DELETE,
        &format!("/v1/lists/{id}"),
        Some(&key),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    for path in [format!("/v1/lists/{id}"), format!("/v1/lists/{id}/runs")] {
        assert_problem(app.get(&path, &key).await, 404, "not_found").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_page_by_email_and_search() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let mut csv = String::from("Email,N\n");
    for i in 0..25 {
        csv.push_str(&format!(
            "user{i:02}@{}.com,{i}\n",
            if i % 5 == 0 { "five" } else { "other" }
        ));
    }
    let (_, report) = upload(&app, &key, "name=Paged", csv).await;
    let id = report["list"]["id"].as_str().expect("id").to_string();
    let mut emails = Vec::new();
    let mut path = format!("/v1/lists/{id}/members?limit=10");
    let mut pages = 0;
    loop {
        let (status, page) = read_json(app.get(&path, &key).await).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        emails.extend(
            page["members"]
                .as_array()
                .expect("members")
                .iter()
                .map(|m| m["email"].as_str().unwrap_or_default().to_string()),
        );
        match page["next"].as_str() {
            Some(next) => path = format!("/v1/lists/{id}/members?limit=10&after={next}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut sorted = emails.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(emails, sorted, "email order, no repeats");
    assert_eq!(emails.len(), 25);
    let (_, found) = read_json(
        app.get(&format!("/v1/lists/{id}/members?search=FIVE"), &key)
            .await,
    )
    .await;
    assert_eq!(
        found["members"].as_array().map(Vec::len),
        Some(5),
        "{found}"
    );
    assert_eq!(found["members"][0]["values"]["N"], "0");
    assert_problem(
        app.get(&format!("/v1/lists/{id}/members?limit=0"), &key)
            .await,
        422,
        "invalid_value",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crm_list_columns_are_checked_against_the_crm_and_pending_until_the_next_sync() {
    let e = world(crm_config(20, 0)).await;
    let (list, report) = e.import("lead", &["Title"]).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    let path = format!("/v1/lists/{list}/columns");
    let body = assert_problem(
        e.app
            .post(&path, &e.key, &json!({ "fields": ["Region", "Hat Size"] }))
            .await,
        422,
        "unknown_fields",
    )
    .await;
    assert_eq!(body["details"]["unknown"], json!(["Hat Size"]));
    let (status, detail) = e
        .post(&path, &json!({ "fields": ["region", "LeadScore"] }))
        .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(
        columns(&detail),
        [
            col("FirstName", Some("FirstName"), false, None),
            col("LastName", Some("LastName"), false, None),
            col("Title", Some("Title"), false, None),
            col("Region", Some("Region"), true, None),
            col("LeadScore", Some("LeadScore"), true, None),
        ]
    );
    assert_problem(
        e.app
            .post(&path, &e.key, &json!({ "fields": ["Title"] }))
            .await,
        409,
        "column_exists",
    )
    .await;

    // Optimize on a CRM list adds the address fields as pending CRM columns.
    let (_, optimized) = e
        .post(
            &format!("/v1/lists/{list}/optimize-for-infor-crm"),
            &json!({}),
        )
        .await;
    let added: Vec<(&str, &str, bool)> = optimized["added"]
        .as_array()
        .expect("added")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default(),
                c["crm_field"].as_str().unwrap_or_default(),
                c["pending"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        added,
        [
            ("Business Street", "Address.Address1", true),
            ("Business City", "Address.City", true),
            ("Business State", "Address.State", true),
            ("Business Postal Code", "Address.PostalCode", true),
            ("Business Country", "Address.Country", true),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_lists_and_segments_are_not_found_and_keys_are_required() {
    let app = spawn_app().await;
    let owner = app.create_account("owner").await;
    let other = app.create_account("other").await;
    let (_, report) = upload(
        &app,
        &owner,
        "name=Mine",
        "Email,City\nann@example.com,Austin\n",
    )
    .await;
    let list = report["list"]["id"].as_str().expect("id").to_string();
    let (status, segment) = read_json(
        app.post(
            &format!("/v1/lists/{list}/segments"),
            &owner,
            &json!({ "name": "All", "filter": { "conditions": [] } }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{segment}");
    let segment = segment["id"].as_str().expect("id").to_string();
    let filter = json!({ "name": "x", "filter": { "conditions": [] } });
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/v1/lists/{list}"), None),
        (
            Method::PATCH,
            format!("/v1/lists/{list}"),
            Some(json!({ "name": "Stolen" })),
        ),
        (Method::DELETE, format!("/v1/lists/{list}"), None),
        (Method::GET, format!("/v1/lists/{list}/members"), None),
        (Method::GET, format!("/v1/lists/{list}/runs"), None),
        (
            Method::POST,
            format!("/v1/lists/{list}/columns"),
            Some(json!({ "fields": ["X"] })),
        ),
        (
            Method::POST,
            format!("/v1/lists/{list}/optimize-for-infor-crm"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/lists/{list}/segments"),
            Some(filter.clone()),
        ),
        (Method::GET, format!("/v1/lists/{list}/segments"), None),
        (Method::GET, format!("/v1/segments/{segment}"), None),
        (Method::PUT, format!("/v1/segments/{segment}"), Some(filter)),
        (Method::DELETE, format!("/v1/segments/{segment}"), None),
        (Method::GET, format!("/v1/segments/{segment}/members"), None),
    ];
    for (method, path, body) in &routes {
        let response = send(&app, method.clone(), path, Some(&other), body.as_ref()).await;
        let problem = assert_problem(response, 404, "not_found").await;
        assert!(
            !problem.to_string().contains("Austin"),
            "{method} {path}: {problem}"
        );
        let response = send(&app, method.clone(), path, None, body.as_ref()).await;
        assert_problem(response, 401, "unauthorized").await;
    }
    for (method, path) in [
        (Method::GET, "/v1/lists"),
        (Method::POST, "/v1/lists/import"),
        (Method::POST, "/v1/lists/upload?name=x"),
        (Method::GET, "/v1/field-usages"),
        (Method::PUT, "/v1/field-usages"),
        (Method::DELETE, "/v1/field-usages/City"),
    ] {
        assert_problem(
            send(&app, method.clone(), path, None, None).await,
            401,
            "unauthorized",
        )
        .await;
    }
    let (_, theirs) = read_json(app.get("/v1/lists", &other).await).await;
    assert_eq!(theirs, json!([]));
    let (_, mine) = read_json(app.get(&format!("/v1/lists/{list}"), &owner).await).await;
    assert_eq!(mine["name"], "Mine", "nothing changed: {mine}");
    assert_eq!(mine["columns"].as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_matches_percent_and_underscore_as_typed() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let csv = "Email\nann_lee@x.com\nannalee@x.com\nbob%20@x.com\nbob20@x.com\n";
    let (_, report) = upload(&app, &key, "name=Wild", csv).await;
    let id = report["list"]["id"].as_str().expect("id").to_string();
    for (search, want) in [("n_l", "ann_lee@x.com"), ("%2", "bob%20@x.com")] {
        let path = format!(
            "/v1/lists/{id}/members?search={}",
            crate::support::lists::urlencode(search)
        );
        let (_, found) = read_json(app.get(&path, &key).await).await;
        let emails: Vec<&str> = found["members"]
            .as_array()
            .expect("members")
            .iter()
            .filter_map(|m| m["email"].as_str())
            .collect();
        assert_eq!(emails, vec![want], "search {search:?}: {found}");
    }
}
