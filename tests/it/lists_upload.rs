//! CSV uploads end to end: edge cases reported by line with every good row kept, the
//! column mapping, whole-file problems, and large bodies streamed without being held
//! in memory.

use crate::support::lists::{all_members, upload, urlencode};
use crate::support::{TestApp, spawn_app};
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};

fn reasons(report: &Value) -> Vec<(u64, String)> {
    report["rejected"]
        .as_array()
        .expect("rejected rows")
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().expect("line"),
                r["reason"].as_str().expect("reason").to_string(),
            )
        })
        .collect()
}

async fn list_count(app: &TestApp, key: &str) -> usize {
    let (_, lists) = crate::support::json(app.get("/v1/lists", key).await).await;
    lists.as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_edge_cases_are_reported_by_line_and_every_good_row_is_kept() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let csv = "\u{feff}First Name;E-mail;Note\n\
               Ann;ann@example.com;\"semi;colon, and comma\"\n\
               Bo;\"BO@Example.com\";\"two\nlines\"\n\
               Cy;not-an-email;x\n\
               Di;;x\n\
               Ed;ann@example.com;again\n\
               Fi;fi@example.com;x;one too many\n\
               \"Gu, Jr.\";gu@example.com;\n";
    let (status, report) = upload(&app, &key, "name=Edge%20cases", csv.to_string()).await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(report["accepted"], 3, "{report}");
    assert_eq!(report["rejected_total"], 4, "{report}");
    let rejected = reasons(&report);
    assert_eq!(
        rejected.iter().map(|r| r.0).collect::<Vec<_>>(),
        [5, 6, 7, 8],
        "lines count the quoted newline: {rejected:?}"
    );
    assert!(rejected[0].1.contains("not-an-email"), "{rejected:?}");
    assert_eq!(rejected[1].1, "the email is empty");
    assert!(
        rejected[2].1.contains("duplicate") && rejected[2].1.contains("line 2"),
        "{rejected:?}"
    );
    assert!(
        rejected[3].1.contains("4 columns but the header has 3"),
        "{rejected:?}"
    );

    let list = &report["list"];
    assert_eq!(list["name"], "Edge cases");
    assert_eq!(list["kind"], "uploaded");
    assert_eq!(list["status"], "ready");
    assert_eq!(list["member_count"], 3);
    assert_eq!(
        list["columns"],
        json!([
            { "name": "First Name", "crm_field": null, "pending": false, "usage": null },
            { "name": "Note", "crm_field": null, "pending": false, "usage": null }
        ])
    );
    let members = all_members(&app, &key, list["id"].as_str().expect("id")).await;
    let rows: Vec<(&str, &Value)> = members
        .iter()
        .map(|m| (m["email"].as_str().unwrap_or_default(), &m["values"]))
        .collect();
    assert_eq!(
        rows,
        [
            (
                "ann@example.com",
                &json!({ "First Name": "Ann", "Note": "semi;colon, and comma" })
            ),
            (
                "bo@example.com",
                &json!({ "First Name": "Bo", "Note": "two\nlines" })
            ),
            ("gu@example.com", &json!({ "First Name": "Gu, Jr." })),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mapping_is_saved_and_read_back_and_bad_files_leave_nothing_behind() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let mapping = urlencode(r#"{"Given":"first_name","town":"Business_City"}"#);
    let csv = "Email,Given,Town,Zip\nann@example.com,Ann,Austin,78701\n";
    let (status, report) = upload(
        &app,
        &key,
        &format!("name=Mapped&mapping={mapping}"),
        csv.to_string(),
    )
    .await;
    assert_eq!(status, 201, "{report}");
    let usages: Vec<(&str, Option<&str>)> = report["list"]["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| (c["name"].as_str().unwrap_or_default(), c["usage"].as_str()))
        .collect();
    assert_eq!(
        usages,
        [
            ("Given", Some("first_name")),
            ("Town", Some("business_city")),
            ("Zip", None)
        ]
    );
    let (_, saved) = crate::support::json(app.get("/v1/field-usages", &key).await).await;
    assert_eq!(
        saved["usages"],
        json!([
            { "column": "Given", "usage": "first_name" },
            { "column": "Town", "usage": "business_city" }
        ])
    );

    // Whole-file problems: nothing is created.
    let before = list_count(&app, &key).await;
    let bad_usage = urlencode(r#"{"Given":"shoe_size"}"#);
    let (status, body) = upload(
        &app,
        &key,
        &format!("name=X&mapping={bad_usage}"),
        csv.to_string(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "invalid_usage");
    assert!(
        body["details"]["valid"]
            .as_array()
            .is_some_and(|v| v.contains(&json!("business_city"))),
        "{body}"
    );
    let not_in_file = urlencode(r#"{"Surname":"last_name"}"#);
    let (status, body) = upload(
        &app,
        &key,
        &format!("name=X&mapping={not_in_file}"),
        csv.to_string(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("'Surname'")),
        "{body}"
    );
    let (status, body) = upload(&app, &key, "name=X", "Name,City\nAnn,Austin\n").await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("'Name', 'City'")),
        "names the header: {body}"
    );
    let (status, body) = upload(&app, &key, "name=X", "").await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = upload(&app, &key, "name=Mapped", csv.to_string()).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("Mapped")),
        "{body}"
    );
    let (status, body) = upload(&app, &key, "email_column=Mail&name=X", csv.to_string()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(list_count(&app, &key).await, before, "no half-made lists");
}

/// Peak resident memory of this process in KiB (Linux), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// A generated CSV body, produced chunk by chunk as it is sent.
fn generated(rows: u64, row: impl Fn(u64) -> String + Send + Sync + 'static) -> reqwest::Body {
    let header = futures::stream::once(async {
        Ok::<Bytes, std::io::Error>(Bytes::from("Email,Name,Note\n"))
    });
    let body = futures::stream::iter((0..rows).step_by(1_000)).map(move |start| {
        let mut chunk = String::new();
        for i in start..(start + 1_000).min(rows) {
            chunk.push_str(&row(i));
        }
        Ok::<Bytes, std::io::Error>(Bytes::from(chunk))
    });
    reqwest::Body::wrap_stream(header.chain(body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_file_streams_with_duplicates_found_across_chunks() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    // 60,000 rows: every 10,000th repeats row 1's email (a duplicate many chunks later)
    // and every 7,777th has a broken email.
    let rows = 60_000;
    let body = generated(rows, |i| {
        if i > 0 && i % 10_000 == 0 {
            "p1@example.com,Again,x\n".to_string()
        } else if i > 0 && i % 7_777 == 0 {
            format!("broken{i},Broken,x\n")
        } else {
            format!("p{i}@example.com,Person {i},note {i}\n")
        }
    });
    let (status, report) = upload(&app, &key, "name=Big", body).await;
    assert_eq!(status, 201, "{report}");
    let duplicates: Vec<u64> = (1..rows).filter(|i| i % 10_000 == 0).collect();
    let broken: Vec<u64> = (1..rows)
        .filter(|i| i % 7_777 == 0 && i % 10_000 != 0)
        .collect();
    assert_eq!(
        report["accepted"],
        rows - duplicates.len() as u64 - broken.len() as u64
    );
    let rejected = reasons(&report);
    let mut want: Vec<u64> = duplicates.iter().chain(&broken).map(|i| i + 2).collect();
    want.sort_unstable();
    assert_eq!(rejected.iter().map(|r| r.0).collect::<Vec<_>>(), want);
    for (line, reason) in &rejected {
        if duplicates.contains(&(line - 2)) {
            assert!(
                reason.contains("duplicate email p1@example.com"),
                "{line}: {reason}"
            );
        }
    }
    assert_eq!(report["list"]["member_count"], report["accepted"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_far_larger_than_memory_growth_is_never_held() {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let Some(before) = peak_rss_kib() else {
        return; // not Linux: nothing to measure
    };
    // ~160 MB of rows, almost all rejected (so the test is about reading, not inserting).
    let filler = "z".repeat(800);
    let rows = 200_000;
    let body = generated(rows, move |i| {
        if i % 1_000 == 0 {
            format!("ok{i}@example.com,Kept,{filler}\n")
        } else {
            format!("bad{i},Rejected,{filler}\n")
        }
    });
    let (status, report) = upload(&app, &key, "name=Huge", body).await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(report["accepted"], 200);
    assert_eq!(report["rejected_total"], rows - 200);
    assert_eq!(
        report["rejected"].as_array().map(Vec::len),
        Some(1_000),
        "the listed rows are capped"
    );
    let stored = {
        use sea_orm::ConnectionTrait;
        let db = app.raw_db().await;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM upload_rejections",
            ))
            .await
            .expect("counted")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("a count")
    };
    assert_eq!(
        stored,
        listbridge::lists::upload::MAX_STORED_REJECTS as i64,
        "the kept rejections (for the download) are capped too"
    );
    let grown_mib = peak_rss_kib().unwrap_or(before).saturating_sub(before) / 1024;
    assert!(
        grown_mib < 80,
        "peak memory grew by {grown_mib} MiB for a ~160 MB upload"
    );
}
