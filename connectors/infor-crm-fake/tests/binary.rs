//! The `fake-infor-crm` binary as a new user runs it: its flags (port, seeded records,
//! credentials, page cap) take effect and Basic auth with those credentials is required.
//! It is started on port 0 and the test reads the address it bound from what it prints.

mod common;

use std::{
    io::{BufRead, BufReader},
    process::{ChildStdout, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_fake-infor-crm");

/// What the binary prints once it is bound, before its base URL.
const LISTENING: &str = "fake Infor CRM at ";

/// Kills the child when the test ends, however it ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads the binary's output on a thread of its own: sends the base URL it prints once
/// bound (`http://127.0.0.1:PORT`), then keeps reading so its log never fills the pipe.
fn base_url_of(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (tell, told) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line
                .split_once(LISTENING)
                .and_then(|(_, rest)| rest.split_once("/sdata"))
                .map(|(base, _)| base.to_string())
            {
                let _ = tell.send(url);
            }
        }
    });
    told
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_seeded_leads_with_its_flags() {
    let child = Command::new(BIN)
        .args([
            "--port",
            "0",
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
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let mut running = match child {
        Ok(c) => Running(c),
        Err(e) => panic!("the binary starts: {e}"),
    };
    let Some(stdout) = running.0.stdout.take() else {
        panic!("stdout is piped")
    };
    // A generous deadline that only turns a binary that never starts into a failure.
    let base = match base_url_of(stdout).recv_timeout(Duration::from_secs(60)) {
        Ok(base) => base,
        Err(e) => panic!("the binary never said where it listens: {e}"),
    };
    let client = common::client();
    let url = format!("{base}/sdata/slx/dynamic/-/leads?format=json&count=10");
    let response = match client
        .get(&url)
        .basic_auth("tester", Some("s3cret"))
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => panic!("the fake answers once bound: {e}"),
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
            "{base}/sdata/slx/dynamic/-/leads?format=json&count=500"
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
            "{base}/sdata/slx/dynamic/-/contacts?format=json&count=1"
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
