//! The world a test with a CRM works in: the fake CRM, the app, an account with its API
//! key and a connector to the CRM. Lists, sync, form and note tests all start here; what
//! only some of them need lives beside it (`lists`, `sync`, `forms`), as more methods on
//! the same [`World`].

use infor_crm_fake::{FakeConfig, FakeCrm};
use listbridge::{
    app::Services,
    config::Config,
    store::{AccountId, ConnectorId, Job, ListId},
};
use serde_json::{Value, json};

use crate::support::{
    TestApp, json as read_json,
    runs::{wait_run_at, wait_run_midway},
    spawn_app_configured,
};

/// An app, a fake CRM, an account and a connector from the one to the other.
pub struct World {
    /// The app.
    pub app: TestApp,
    /// The fake CRM the connector points at.
    pub crm: FakeCrm,
    /// The account's API key.
    pub key: String,
    /// The account.
    pub account: AccountId,
    /// The connector to [`World::crm`].
    pub connector: ConnectorId,
}

/// A fake CRM with `leads` leads and `contacts` contacts, in pages of 100.
pub fn crm_config(leads: usize, contacts: usize) -> FakeConfig {
    FakeConfig {
        leads,
        contacts,
        accounts: 5,
        page_cap: 100,
        ..FakeConfig::default()
    }
}

/// A small fake CRM (a few records of each kind) that lets `admin` in with `password`,
/// for tests about connecting to a CRM rather than syncing with one.
pub async fn fake_crm(password: &str) -> FakeCrm {
    FakeCrm::start(FakeConfig {
        password: password.to_string(),
        ..crm_config(3, 3)
    })
    .await
    .expect("fake CRM starts")
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
    adjust: impl FnOnce(&mut Config),
) -> World {
    let crm = FakeCrm::start(config).await.expect("fake CRM starts");
    let app = spawn_app_configured(services, adjust).await;
    let key = app.create_account("acme").await;
    let connector = connect(&app, &key, &crm).await;
    let account = account_of(&app, &key).await;
    World {
        app,
        crm,
        key,
        account,
        connector,
    }
}

/// The body of `POST /v1/connectors` for an Infor CRM at `base_url`, user `admin`.
pub fn connect_body(base_url: &str, password: &str) -> Value {
    json!({ "kind": "infor-crm", "base_url": base_url, "username": "admin", "password": password })
}

/// Connects `key`'s account to the fake CRM (its default login).
pub async fn connect(app: &TestApp, key: &str, crm: &FakeCrm) -> ConnectorId {
    connect_as(app, key, &crm.base_url(), "password").await
}

/// Connects `key`'s account to the CRM at `base_url` as `admin` with `password`.
pub async fn connect_as(app: &TestApp, key: &str, base_url: &str, password: &str) -> ConnectorId {
    let body = connect_body(base_url, password);
    let (status, connector) = read_json(app.post("/v1/connectors", key, &body).await).await;
    assert_eq!(status, 201, "{connector}");
    connector["id"]
        .as_str()
        .and_then(ConnectorId::from_db)
        .unwrap_or_else(|| panic!("connector id in {connector}"))
}

/// The account an API key belongs to.
pub async fn account_of(app: &TestApp, key: &str) -> AccountId {
    let (status, me) = read_json(app.get("/v1/account", key).await).await;
    assert_eq!(status, 200, "{me}");
    me["id"]
        .as_str()
        .and_then(AccountId::from_db)
        .unwrap_or_else(|| panic!("account id in {me}"))
}

impl World {
    /// `GET` with the account's key; returns `(status, body)`.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        read_json(self.app.get(path, &self.key).await).await
    }

    /// `POST` JSON with the account's key; returns `(status, body)`.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        read_json(self.app.post(path, &self.key, body).await).await
    }

    /// `PUT` JSON with the account's key; returns `(status, body)`.
    pub async fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        read_json(self.app.put(path, &self.key, body).await).await
    }

    /// `PATCH` JSON with the account's key; returns `(status, body)`.
    pub async fn patch(&self, path: &str, body: &Value) -> (u16, Value) {
        read_json(self.app.patch(path, &self.key, body).await).await
    }

    /// Waits for a run to end; returns its report.
    pub async fn wait_run(&self, run: &str) -> Value {
        wait_run_at(&self.app.client, &self.app.base_url, &self.key, run).await
    }

    /// [`wait_run_midway`] on this world's app.
    pub async fn wait_run_midway(&self, run: &str, reached: impl Fn(&Value) -> bool) -> Value {
        wait_run_midway(
            &self.app.client,
            &self.app.base_url,
            &self.key,
            run,
            reached,
        )
        .await
    }

    /// Every record of a run's report, through the paged API.
    pub async fn run_records(&self, run: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let (status, body) = self
                .get(&format!("/v1/runs/{run}/records?limit=1000&after={after}"))
                .await;
            assert_eq!(status, 200, "{body}");
            out.extend(body["records"].as_array().cloned().unwrap_or_default());
            match body["next"].as_i64() {
                Some(next) => after = next,
                None => return out,
            }
        }
    }

    /// The records of a run's report with this outcome (`failed`, `planned_create`…).
    pub async fn records_with_outcome(&self, run: &str, outcome: &str) -> Vec<Value> {
        let mut records = self.run_records(run).await;
        records.retain(|r| r["outcome"] == outcome);
        records
    }

    /// The one record of a run's report with this outcome.
    pub async fn only_record(&self, run: &str, outcome: &str) -> Value {
        let mut records = self.records_with_outcome(run, outcome).await;
        assert_eq!(records.len(), 1, "one {outcome} record: {records:?}");
        records.remove(0)
    }

    /// The account's jobs, newest first, straight from the queue.
    pub async fn jobs(&self) -> Vec<Job> {
        self.app
            .state
            .store
            .jobs()
            .list(self.account, None, 1000)
            .await
            .expect("jobs")
    }

    /// `POST /v1/lists/import`; returns `(status, body)`.
    pub async fn start_import(&self, body: &Value) -> (u16, Value) {
        self.post("/v1/lists/import", body).await
    }

    /// Imports a CRM entity (`lead` or `contact`) with FirstName, LastName and `fields`
    /// as its columns and waits for the run; returns `(list id, run report)`.
    pub async fn import(&self, entity: &str, fields: &[&str]) -> (ListId, Value) {
        let (status, body) = self
            .start_import(
                &json!({ "connector": self.connector, "entity": entity, "fields": fields }),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        assert_eq!(body["list"]["status"], "importing", "{body}");
        let list = body["list"]["id"]
            .as_str()
            .and_then(ListId::from_db)
            .unwrap_or_else(|| panic!("list id in {body}"));
        let report = self
            .wait_run(body["run_id"].as_str().expect("run id"))
            .await;
        (list, report)
    }

    /// [`World::import`] for a test that builds on the list: the import must succeed.
    pub async fn imported_list(&self, entity: &str, fields: &[&str]) -> ListId {
        let (list, report) = self.import(entity, fields).await;
        assert_eq!(report["status"], "succeeded", "import: {report}");
        list
    }
}
