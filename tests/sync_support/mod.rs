//! A connected account with imported lists, for sync tests: the fake CRM, the app, an
//! API key and a connector, plus helpers to run syncs and read reports.

#![allow(dead_code)] // Each test binary uses a different part.

use std::time::Duration;

use infor_crm_fake::{FakeConfig, FakeCrm, Kind};
use listbridge::{
    runs::queue_run,
    store::{
        AccountId, ConnectorId, ListColumn, ListId, ListKind, ListRepo, ListStatus, Member,
        MemberRepo, NewList, NewRun, PushScopeRepo, RunKind, RunTrigger,
    },
};
use serde_json::{Value, json};

use listbridge::app::Services;

use crate::common::{TestApp, json as read_json};

/// The world a sync test works in.
pub struct World {
    pub app: TestApp,
    pub crm: FakeCrm,
    pub key: String,
    pub account: AccountId,
    pub connector: ConnectorId,
}

/// Starts a fake CRM with `config`, the app, an account and a connected connector.
pub async fn world(config: FakeConfig) -> World {
    world_with(config, Services::default()).await
}

/// [`world`] with the app's services (clock, workers…) chosen by the test.
pub async fn world_with(config: FakeConfig, services: Services) -> World {
    world_configured(config, services, |_| {}).await
}

/// [`world_with`] with the app's configuration adjusted by the test.
pub async fn world_configured(
    config: FakeConfig,
    services: Services,
    adjust: impl FnOnce(&mut listbridge::config::Config),
) -> World {
    let crm = FakeCrm::start(config).await.expect("fake CRM starts");
    let app = crate::common::spawn_app_configured(services, adjust).await;
    let key = app.create_account("acme").await;
    let body = json!({ "kind": "infor-crm", "base_url": crm.base_url(), "username": "admin", "password": "password" });
    let (status, connector) = read_json(app.post("/v1/connectors", &key, &body).await).await;
    assert_eq!(status, 201, "{connector}");
    let (_, account) = read_json(app.get("/v1/account", &key).await).await;
    World {
        account: account["id"]
            .as_str()
            .and_then(AccountId::from_db)
            .expect("account id"),
        connector: connector["id"]
            .as_str()
            .and_then(ConnectorId::from_db)
            .expect("connector id"),
        app,
        crm,
        key,
    }
}

/// A fake CRM config with `leads` leads and `contacts` contacts, small pages.
pub fn crm_config(leads: usize, contacts: usize) -> FakeConfig {
    FakeConfig {
        leads,
        contacts,
        accounts: 5,
        page_cap: 100,
        ..FakeConfig::default()
    }
}

impl World {
    /// Creates a CRM list with FirstName, LastName and `extra` columns and imports it;
    /// returns the list id once the import has finished.
    pub async fn import(&self, kind: ListKind, extra: &[&str]) -> ListId {
        let db = self.app.state.store.conn();
        let now = self.app.state.clock.now();
        let columns = ["FirstName", "LastName"]
            .iter()
            .chain(extra)
            .map(|f| ListColumn {
                name: f.to_string(),
                crm_field: Some(f.to_string()),
                pending: false,
            })
            .collect();
        let list = ListRepo
            .create(
                db,
                NewList {
                    account_id: self.account,
                    name: format!("{kind:?} list"),
                    kind,
                    connector_id: Some(self.connector),
                    status: ListStatus::Importing,
                    columns,
                },
                now,
            )
            .await
            .expect("list created");
        let queued = queue_run(
            &self.app.state,
            NewRun {
                account_id: self.account,
                list_id: list.id,
                segment_id: None,
                kind: RunKind::Import,
                trigger: RunTrigger::Manual,
                dry_run: false,
            },
        )
        .await
        .expect("import queued");
        let run = match queued {
            listbridge::store::Queued::New(run) => run,
            listbridge::store::Queued::AlreadyActive(run) => run,
        };
        let report = self.wait_run(&run.id.to_string()).await;
        assert_eq!(report["status"], "succeeded", "import: {report}");
        list.id
    }

    /// Saves a list's sync setup; returns `(status, body)`.
    pub async fn put_sync(&self, list: ListId, setup: &Value) -> (u16, Value) {
        let response = self
            .app
            .client
            .put(self.app.url(&format!("/v1/lists/{list}/sync")))
            .bearer_auth(&self.key)
            .json(setup)
            .send()
            .await
            .expect("request sent");
        read_json(response).await
    }

    /// Run Now; returns the run id.
    pub async fn run_now(&self, list: ListId, dry_run: bool) -> String {
        let (status, body) = read_json(
            self.app
                .post(
                    &format!("/v1/lists/{list}/runs"),
                    &self.key,
                    &json!({ "dry_run": dry_run }),
                )
                .await,
        )
        .await;
        assert!(status == 202 || status == 200, "{body}");
        body["run"]["id"].as_str().expect("run id").to_string()
    }

    /// Polls a run until it has finished (deadline 120 s); returns its report.
    pub async fn wait_run(&self, run: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let (status, body) =
                read_json(self.app.get(&format!("/v1/runs/{run}"), &self.key).await).await;
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

    /// Runs a sync to its end and returns the report.
    pub async fn sync(&self, list: ListId) -> Value {
        let run = self.run_now(list, false).await;
        self.wait_run(&run).await
    }

    /// The records of a run's report.
    pub async fn records(&self, run: &str) -> Vec<Value> {
        let (_, body) = read_json(
            self.app
                .get(&format!("/v1/runs/{run}/records?limit=1000"), &self.key)
                .await,
        )
        .await;
        body["records"].as_array().cloned().unwrap_or_default()
    }

    /// Every member of a list.
    pub async fn members(&self, list: ListId) -> Vec<Member> {
        let db = self.app.state.store.conn();
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = MemberRepo
                .page_by_id(db, list, after, 1000)
                .await
                .expect("members");
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            out.extend(page);
        }
        out
    }

    /// Changes a member's column value as the marketer would (a list-side edit),
    /// through `PATCH /v1/lists/{id}/members/{member_id}`.
    pub async fn edit_member(&self, list: ListId, email: &str, column: &str, value: &str) {
        let db = self.app.state.store.conn();
        let member = MemberRepo
            .by_emails(db, list, &[email.to_string()])
            .await
            .expect("lookup")
            .pop()
            .expect("member exists");
        let response = self
            .app
            .client
            .patch(
                self.app
                    .url(&format!("/v1/lists/{list}/members/{}", member.id)),
            )
            .bearer_auth(&self.key)
            .json(&json!({ "values": { column: value } }))
            .send()
            .await
            .expect("request sent");
        let (status, body) = read_json(response).await;
        assert_eq!(status, 200, "member edit: {body}");
    }

    /// Adds a member through `POST /v1/lists/{id}/members`.
    pub async fn add_member(&self, list: ListId, email: &str, values: &[(&str, &str)]) {
        let values: serde_json::Map<String, Value> = values
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        let (status, body) = read_json(
            self.app
                .post(
                    &format!("/v1/lists/{list}/members"),
                    &self.key,
                    &json!({ "email": email, "values": values }),
                )
                .await,
        )
        .await;
        assert_eq!(status, 201, "member added: {body}");
    }

    /// CRM records created, updated or deleted (changed) since the last stats reset.
    pub fn crm_writes(&self) -> u64 {
        self.crm.state().stats().record_writes
    }

    /// Requests that ask the CRM to write (POST, PUT, DELETE, `$batch`) since the last
    /// stats reset, whether or not they changed anything. Lookups tunnelled as
    /// `POST` + `X-HTTP-Method-Override: GET` count as reads, and so do `$service` calls
    /// (who am I).
    pub fn crm_write_requests(&self) -> u64 {
        self.crm
            .state()
            .stats()
            .by_kind
            .iter()
            .filter(|(kind, _)| !kind.starts_with("$service"))
            .flat_map(|(_, methods)| methods.iter())
            .filter(|(method, _)| matches!(method.as_str(), "POST" | "PUT" | "DELETE"))
            .map(|(_, n)| n)
            .sum()
    }

    /// Asserts the CRM was neither changed nor even asked to write since the last reset.
    #[track_caller]
    pub fn assert_no_crm_writes(&self, context: &str) {
        assert_eq!(self.crm_writes(), 0, "records changed: {context}");
        assert_eq!(
            self.crm_write_requests(),
            0,
            "write requests sent: {context}"
        );
    }

    /// Leads in the fake CRM.
    pub fn crm_leads(&self) -> Vec<infor_crm_fake::Record> {
        self.crm.state().records(Kind::Lead)
    }
}

impl World {
    /// Creates an uploaded list with these columns (each with an optional system usage)
    /// and members `(email, [(column, value)])`.
    pub async fn uploaded_list(
        &self,
        name: &str,
        columns: &[(&str, Option<&str>)],
        rows: &[(&str, Vec<(&str, &str)>)],
    ) -> ListId {
        let db = self.app.state.store.conn();
        let now = self.app.state.clock.now();
        let list = ListRepo
            .create(
                db,
                NewList {
                    account_id: self.account,
                    name: name.to_string(),
                    kind: ListKind::Uploaded,
                    connector_id: None,
                    status: ListStatus::Ready,
                    columns: columns
                        .iter()
                        .map(|(c, _)| ListColumn {
                            name: c.to_string(),
                            crm_field: None,
                            pending: false,
                        })
                        .collect(),
                },
                now,
            )
            .await
            .expect("list created");
        for (column, usage) in columns {
            if let Some(usage) = usage {
                ListRepo
                    .set_usage(db, self.account, column, usage, now)
                    .await
                    .expect("usage set");
            }
        }
        // Uploaded values are list-side changes, numbered as an upload numbers them.
        let seq = PushScopeRepo
            .next_change_seq(db, list.id)
            .await
            .expect("change number");
        let members: Vec<Member> = rows
            .iter()
            .map(|(email, values)| {
                let values = values
                    .iter()
                    .map(|(c, v)| (c.to_string(), Some(v.to_string())))
                    .collect();
                let mut member = Member::new(list.id, email.to_string(), values, now);
                member.change_seq = seq;
                member
            })
            .collect();
        for chunk in members.chunks(500) {
            MemberRepo
                .insert_many(db, chunk, now)
                .await
                .expect("members inserted");
        }
        ListRepo.recount(db, list.id).await.expect("recount");
        list.id
    }

    /// Maps a column to a system usage in Standard Field Names.
    pub async fn set_usage(&self, column: &str, usage: &str) {
        let db = self.app.state.store.conn();
        ListRepo
            .set_usage(db, self.account, column, usage, self.app.state.clock.now())
            .await
            .expect("usage set");
    }

    /// Leads in the CRM with this email (case-insensitive).
    pub fn leads_with_email(&self, email: &str) -> usize {
        self.crm_leads()
            .iter()
            .filter(|r| {
                r.text("Email")
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .count()
    }
}

/// Rows for `n` new people with the columns of [`PEOPLE_COLUMNS`].
pub fn people(n: usize, domain: &str) -> Vec<(String, Vec<(&'static str, String)>)> {
    (0..n)
        .map(|i| {
            (
                format!("person{i}@{domain}"),
                vec![
                    ("First Name", format!("First{i}")),
                    ("Last Name", format!("Last{i}")),
                    ("Company", format!("Company {}", i % 17)),
                ],
            )
        })
        .collect()
}

/// The columns of [`people`] with their usages.
pub const PEOPLE_COLUMNS: [(&str, Option<&str>); 4] = [
    ("Email", Some("email")),
    ("First Name", Some("first_name")),
    ("Last Name", Some("last_name")),
    ("Company", Some("company")),
];

/// Borrows [`people`] rows in the shape [`World::uploaded_list`] takes.
pub fn borrow_rows<'a>(
    rows: &'a [(String, Vec<(&'static str, String)>)],
) -> Vec<(&'a str, Vec<(&'a str, &'a str)>)> {
    rows.iter()
        .map(|(e, vs)| {
            (
                e.as_str(),
                vs.iter().map(|(c, v)| (*c, v.as_str())).collect(),
            )
        })
        .collect()
}
