//! Shared helpers of the `lists_*` tests: an account connected to a fake CRM, imports
//! through the API, run polling, member paging, uploads, and the comparison of a list
//! with the fake CRM's own records.

#![allow(dead_code)] // Each test binary uses a different part.

use std::{collections::BTreeMap, time::Duration};

use infor_crm_fake::{FakeConfig, FakeCrm, Kind, Record, Value as CrmValue};
use serde_json::{Value, json};

use crate::common::{TestApp, json as read_json, spawn_app};

/// An app, a fake CRM, an account key and a connected connector.
pub struct Env {
    pub app: TestApp,
    pub crm: FakeCrm,
    pub key: String,
    pub connector: String,
}

/// Starts the fake CRM and the app and connects an account to the CRM.
pub async fn env(config: FakeConfig) -> Env {
    let crm = FakeCrm::start(config).await.expect("fake CRM starts");
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let connector = connect(&app, &key, &crm).await;
    Env {
        app,
        crm,
        key,
        connector,
    }
}

/// Connects `key`'s account to the CRM; returns the connector id.
pub async fn connect(app: &TestApp, key: &str, crm: &FakeCrm) -> String {
    let body = json!({ "kind": "infor-crm", "base_url": crm.base_url(), "username": "admin", "password": "password" });
    let (status, connector) = read_json(app.post("/v1/connectors", key, &body).await).await;
    assert_eq!(status, 201, "{connector}");
    connector["id"].as_str().expect("connector id").to_string()
}

/// Polls `GET /v1/runs/{id}` on `base` until the run has ended (deadline 120 s).
pub async fn wait_run_at(client: &reqwest::Client, base: &str, key: &str, run: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let response = client
            .get(format!("{base}/v1/runs/{run}"))
            .bearer_auth(key)
            .send()
            .await
            .expect("request sent");
        let (status, body) = read_json(response).await;
        assert_eq!(status, 200, "{body}");
        if !matches!(body["status"].as_str(), Some("queued" | "running")) {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "run did not finish: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Env {
    /// `POST /v1/lists/import`; returns `(status, body)`.
    pub async fn start_import(&self, body: &Value) -> (u16, Value) {
        read_json(self.app.post("/v1/lists/import", &self.key, body).await).await
    }

    /// Imports an entity with extra fields and waits for the run; returns
    /// `(list id, run report)`.
    pub async fn import(&self, entity: &str, fields: &[&str]) -> (String, Value) {
        let (status, body) = self
            .start_import(
                &json!({ "connector": self.connector, "entity": entity, "fields": fields }),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        assert_eq!(body["list"]["status"], "importing", "{body}");
        let run = body["run_id"].as_str().expect("run id");
        let report = self.wait_run(run).await;
        (
            body["list"]["id"].as_str().expect("list id").to_string(),
            report,
        )
    }

    /// Waits for a run to end; returns its report.
    pub async fn wait_run(&self, run: &str) -> Value {
        wait_run_at(&self.app.client, &self.app.base_url, &self.key, run).await
    }

    /// Every record of a run's report.
    pub async fn run_records(&self, run: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let (status, body) = read_json(
                self.app
                    .get(
                        &format!("/v1/runs/{run}/records?limit=1000&after={after}"),
                        &self.key,
                    )
                    .await,
            )
            .await;
            assert_eq!(status, 200, "{body}");
            out.extend(body["records"].as_array().cloned().unwrap_or_default());
            match body["next"].as_i64() {
                Some(next) => after = next,
                None => return out,
            }
        }
    }

    /// `GET` with the account's key; returns `(status, body)`.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        read_json(self.app.get(path, &self.key).await).await
    }

    /// Every member of a list, through the paged API.
    pub async fn members(&self, list: &str) -> Vec<Value> {
        all_members(&self.app, &self.key, list).await
    }
}

/// Every member of a list, through `GET /v1/lists/{id}/members` pages of 1,000.
pub async fn all_members(app: &TestApp, key: &str, list: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut path = format!("/v1/lists/{list}/members?limit=1000");
    loop {
        let (status, body) = read_json(app.get(&path, key).await).await;
        assert_eq!(status, 200, "{body}");
        out.extend(body["members"].as_array().cloned().unwrap_or_default());
        match body["next"].as_str() {
            Some(next) => {
                path = format!(
                    "/v1/lists/{list}/members?limit=1000&after={}",
                    urlencode(next)
                )
            }
            None => return out,
        }
    }
}

/// Percent-encodes a query value.
pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `POST /v1/lists/upload` with a CSV body; returns `(status, body)`.
pub async fn upload(
    app: &TestApp,
    key: &str,
    query: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/v1/lists/upload?{query}")))
        .bearer_auth(key)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .expect("request sent");
    read_json(response).await
}

/// A CRM value as the connector renders it.
pub fn crm_text(value: &CrmValue) -> String {
    match value {
        CrmValue::Text(s) => s.clone(),
        CrmValue::Int(n) => n.to_string(),
        CrmValue::Decimal(d) => d.to_string(),
        CrmValue::Bool(b) => b.to_string(),
        CrmValue::DateTime(t) => t.to_rfc3339(),
        CrmValue::Date(d) => d.format("%Y-%m-%d").to_string(),
    }
}

/// What a CRM list of one entity must hold for these records: by normalised email, the
/// record whose member it is (of records sharing an email, the most recently modified,
/// then the smaller key), the records the import must reject as invalid, and how many
/// records lose their email to another.
pub struct Expected<'a> {
    pub by_email: BTreeMap<String, &'a Record>,
    pub invalid_keys: Vec<String>,
    pub duplicates: usize,
    /// Emails more than one record has (their opt-out depends on reading order).
    pub shared: std::collections::BTreeSet<String>,
}

/// Splits records into members, invalid ones (missing or malformed email) and losers.
pub fn expected(records: &[Record]) -> Expected<'_> {
    let mut by_email: BTreeMap<String, &Record> = BTreeMap::new();
    let mut invalid_keys = Vec::new();
    let mut duplicates = 0;
    let mut shared = std::collections::BTreeSet::new();
    for record in records {
        match record.text("Email").map(str::trim) {
            Some(email) if looks_valid(email) => {
                let slot = by_email.entry(email.to_lowercase()).or_insert(record);
                if slot.key != record.key {
                    duplicates += 1;
                    shared.insert(email.to_lowercase());
                    let better = (record.modify_date, std::cmp::Reverse(&record.key))
                        > (slot.modify_date, std::cmp::Reverse(&slot.key));
                    if better {
                        *slot = record;
                    }
                }
            }
            _ => invalid_keys.push(record.key.clone()),
        }
    }
    Expected {
        by_email,
        invalid_keys,
        duplicates,
        shared,
    }
}

fn looks_valid(email: &str) -> bool {
    email
        .rsplit_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.contains(' ')
}

/// Asserts every member matches its CRM record on the email, the key and each field,
/// and that the list holds exactly the expected emails.
pub fn assert_members_match(members: &[Value], expected: &Expected<'_>, fields: &[&str]) {
    let got: BTreeMap<String, &Value> = members
        .iter()
        .map(|m| (m["email"].as_str().expect("email").to_string(), m))
        .collect();
    assert_eq!(got.len(), members.len(), "duplicate members");
    let missing: Vec<_> = expected
        .by_email
        .keys()
        .filter(|e| !got.contains_key(*e))
        .take(5)
        .collect();
    assert!(missing.is_empty(), "members missing: {missing:?}");
    let extra: Vec<_> = got
        .keys()
        .filter(|e| !expected.by_email.contains_key(*e))
        .take(5)
        .collect();
    assert!(extra.is_empty(), "unexpected members: {extra:?}");
    for (email, record) in &expected.by_email {
        let member = got[email];
        assert_eq!(member["crm"]["key"], record.key.as_str(), "{email}");
        let modified = member["crm"]["modify_date"]
            .as_str()
            .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.with_timezone(&chrono::Utc));
        assert_eq!(
            modified,
            Some(record.modify_date),
            "{email}: CRM modify date"
        );
        let opted_out = matches!(record.get("DoNotEmail"), Some(CrmValue::Bool(true)));
        if !expected.shared.contains(email) {
            assert_eq!(member["opted_out"], opted_out, "{email}: DoNotEmail");
        }
        for field in fields {
            let want = record.get(field).map(crm_text);
            let have = member["values"][*field].as_str().map(String::from);
            assert_eq!(have, want, "{email} ({}) field {field}", record.key);
        }
    }
}

/// A fake CRM with `leads` leads and `contacts` contacts.
pub fn crm_config(leads: usize, contacts: usize) -> FakeConfig {
    FakeConfig {
        leads,
        contacts,
        accounts: 10,
        seed: 7,
        ..FakeConfig::default()
    }
}

/// The fake's records of a kind.
pub fn records(crm: &FakeCrm, kind: Kind) -> Vec<Record> {
    crm.state().records(kind)
}
