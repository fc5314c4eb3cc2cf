//! The `fake-infor-crm` binary as a new user runs it: its flags (port, seeded records,
//! credentials, page cap) take effect and Basic auth with those credentials is required.

mod common;

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_fake-infor-crm");

fn free_port() -> u16 {
    match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(e) => panic!("no free port: {e}"),
    }
}

/// Kills the child when the test ends, however it ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_seeded_leads_with_its_flags() {
    let port = free_port();
    let child = Command::new(BIN)
        .args([
            "--port",
            &port.to_string(),
            "--leads",
            "1000",
            "--contacts",
            "20",
            "--username",
            "tester",
            "--password",
            "s3cret",
            "--page-cap",
            "50",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let _running = match child {
        Ok(c) => Running(c),
        Err(e) => panic!("the binary starts: {e}"),
    };
    let client = common::client();
    let url = format!("http://127.0.0.1:{port}/sdata/slx/dynamic/-/leads?format=json&count=10");
    let deadline = Instant::now() + Duration::from_secs(30);
    let response = loop {
        match client
            .get(&url)
            .basic_auth("tester", Some("s3cret"))
            .send()
            .await
        {
            Ok(r) => break r,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("the fake never answered: {e}"),
        }
    };
    assert_eq!(response.status(), 200);
    let page: Value = match response.json().await {
        Ok(v) => v,
        Err(e) => panic!("JSON feed: {e}"),
    };
    assert_eq!(page["$totalResults"], 1000, "--leads");
    assert_eq!(page["$resources"].as_array().map(Vec::len), Some(10));

    let capped = client
        .get(format!(
            "http://127.0.0.1:{port}/sdata/slx/dynamic/-/leads?format=json&count=500"
        ))
        .basic_auth("tester", Some("s3cret"))
        .send()
        .await;
    let capped: Value = match capped {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(e) => panic!("{e}"),
    };
    assert_eq!(capped["$itemsPerPage"], 50, "--page-cap");

    let contacts = client
        .get(format!(
            "http://127.0.0.1:{port}/sdata/slx/dynamic/-/contacts?format=json&count=1"
        ))
        .basic_auth("tester", Some("s3cret"))
        .send()
        .await;
    let contacts: Value = match contacts {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(e) => panic!("{e}"),
    };
    assert_eq!(contacts["$totalResults"], 20, "--contacts");

    for (user, password) in [("tester", "wrong"), ("admin", "password")] {
        let refused = client
            .get(&url)
            .basic_auth(user, Some(password))
            .send()
            .await;
        assert_eq!(
            refused.map(|r| r.status().as_u16()).ok(),
            Some(401),
            "{user}/{password} is refused"
        );
    }
    let anonymous = client.get(&url).send().await;
    let anonymous = match anonymous {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));
}
