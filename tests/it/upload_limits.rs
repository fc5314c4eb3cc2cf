//! Wide CSVs cannot cost the service more than their values (issue 20, gap 3): at most
//! 500 columns, refused before any row or column is stored; blank cells are not stored
//! as values; duplicate headers are still refused.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::support::lists::{all_members, upload};
use crate::support::{TestApp, json as read_json, spawn_app};

/// A header of `n` columns: Email, then c1, c2, ….
fn header(n: usize) -> String {
    std::iter::once("Email".to_string())
        .chain((1..n).map(|i| format!("c{i}")))
        .collect::<Vec<_>>()
        .join(",")
}

/// How many rows `table` holds in the app's database.
async fn count(app: &TestApp, table: &str) -> i64 {
    let db = app.raw_db().await;
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        format!("SELECT COUNT(*) AS n FROM {table}"),
    ))
    .await
    .expect("counted")
    .expect("a row")
    .try_get::<i64>("", "n")
    .expect("a count")
}

/// The stored change number of the member with `email`.
async fn change_seq(app: &TestApp, email: &str) -> i64 {
    let db = app.raw_db().await;
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        format!("SELECT change_seq FROM members WHERE email = '{email}'"),
    ))
    .await
    .expect("read")
    .expect("a member")
    .try_get::<i64>("", "change_seq")
    .expect("a number")
}

/// The stored `field_values` JSON of every member, by email.
async fn stored_values(app: &TestApp) -> Vec<(String, Value)> {
    let db = app.raw_db().await;
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT email, field_values FROM members ORDER BY email",
    ))
    .await
    .expect("read")
    .into_iter()
    .map(|row| {
        let email: String = row.try_get("", "email").expect("email");
        let values: String = row.try_get("", "field_values").expect("values");
        (email, serde_json::from_str(&values).expect("stored JSON"))
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_limits_501_columns_are_refused_before_anything_is_stored_and_500_accepted() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let mut csv = header(501);
    for i in 0..2_000 {
        csv.push_str(&format!("\nperson{i}@example.com,x"));
    }
    let (status, body) = upload(&app, &key, "name=Wide", csv).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "too_many_columns", "{body}");
    assert_eq!(body["details"], json!({ "limit": 500, "columns": 501 }));
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("500") && message.contains("501"),
        "names the limit and the count: {message}"
    );
    let (_, lists) = read_json(app.get("/v1/lists", &key).await).await;
    assert_eq!(lists, json!([]), "no list is left behind");
    assert_eq!(count(&app, "members").await, 0, "no member stored");
    assert_eq!(count(&app, "list_columns").await, 0, "no column added");

    let csv = format!("{}\nann@example.com,x\n", header(500));
    let (status, report) = upload(&app, &key, "name=Widest", csv).await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(report["accepted"], 1);
    assert_eq!(
        report["list"]["columns"].as_array().map(Vec::len),
        Some(499),
        "every column but the email"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_limits_a_sparse_file_stores_only_the_values_present() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    // 300 columns, each row with one value (and one row shorter than the header).
    let mut csv = header(300);
    for i in 1..=20 {
        let mut cells = vec![String::new(); 299];
        cells[i * 7 % 299] = format!(" v{i} ");
        csv.push_str(&format!("\nrow{i:02}@example.com,{}", cells.join(",")));
    }
    csv.push_str("\nshort@example.com,first\n");
    let (status, report) = upload(&app, &key, "name=Sparse", csv).await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(report["accepted"], 21, "{report}");

    let stored = stored_values(&app).await;
    assert_eq!(stored.len(), 21);
    for (email, values) in &stored {
        let Some(i) = email
            .strip_prefix("row")
            .and_then(|rest| rest.split('@').next())
            .and_then(|n| n.parse::<usize>().ok())
        else {
            assert_eq!(values, &json!({ "c1": "first" }), "{email}");
            continue;
        };
        let column = format!("c{}", i * 7 % 299 + 1);
        assert_eq!(
            values,
            &json!({ column: format!("v{i}") }),
            "only the present value, trimmed, and no nulls: {email}"
        );
    }

    // The member API shows the same: a column without a value is absent.
    let list = report["list"]["id"].as_str().expect("list id");
    let members = all_members(&app, &key, list).await;
    let short = members
        .iter()
        .find(|m| m["email"] == "short@example.com")
        .expect("the short row's member");
    assert_eq!(short["values"], json!({ "c1": "first" }));

    // Blanking a value that was never stored is no edit; blanking a stored one removes it.
    let id = short["id"].as_str().expect("member id");
    let seq = change_seq(&app, "short@example.com").await;
    let path = format!("/v1/lists/{list}/members/{id}");
    let (status, member) = read_json(
        app.patch(&path, &key, &json!({ "values": { "c2": null } }))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{member}");
    assert_eq!(member["values"], json!({ "c1": "first" }));
    assert_eq!(
        change_seq(&app, "short@example.com").await,
        seq,
        "not counted as a list-side change"
    );
    let (status, member) = read_json(
        app.patch(&path, &key, &json!({ "values": { "c1": null, "c3": "z" } }))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{member}");
    assert_eq!(member["values"], json!({ "c3": "z" }));
    let stored = stored_values(&app).await;
    let (_, values) = stored
        .iter()
        .find(|(email, _)| email == "short@example.com")
        .expect("stored");
    assert_eq!(values, &json!({ "c3": "z" }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_limits_duplicate_columns_are_still_refused_by_name() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let csv = format!("{},C9\nann@example.com\n", header(400));
    let (status, body) = upload(&app, &key, "name=Twice", csv).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "invalid_csv");
    assert_eq!(body["message"], "the header names the column 'C9' twice");
    assert_eq!(count(&app, "members").await, 0);
}
