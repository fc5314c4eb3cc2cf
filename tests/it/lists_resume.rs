//! A service restart in the middle of an import: the first instance dies with the run
//! half done (its runtime is torn down, as when the process is killed), a second
//! instance on the same database takes the run over when the lease lapses and resumes
//! from the last committed page — no restart from zero, no duplicate members.

use std::sync::Arc;

use infor_crm_fake::{FaultConfig, Kind};
use listbridge::{
    app::{self, Services},
    config::Config,
};
use listbridge_connector::ConnectorRegistry;
use serde_json::json;

use crate::support::lists::{all_members, assert_members_match, expected, records};
use crate::support::runs::{wait_run_at, wait_run_midway};
use crate::support::services::{api_only, takeover_workers};
use crate::support::world::{connect, crm_config};
use crate::support::{json as read_json, spawn_app_with, test_config};

/// A service instance on its own runtime, so it can be killed outright.
struct Instance {
    base_url: String,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        // Dropping a runtime inside another one would panic; tear it down instead.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Instance {
    /// Starts an instance on an existing database, with every connector kind.
    async fn start(database_url: &str, name: &str) -> Instance {
        Instance::start_with(database_url, name, Arc::new(app::default_registry())).await
    }

    /// Starts an instance on an existing database whose connectors come from `registry`.
    async fn start_with(
        database_url: &str,
        name: &str,
        registry: Arc<ConnectorRegistry>,
    ) -> Instance {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let config = Config {
            workers: 2,
            job_lease_seconds: 2,
            ..test_config(database_url)
        };
        let services = Services {
            workers: takeover_workers(name),
            registry,
            ..Services::default()
        };
        let (ready, address) = tokio::sync::oneshot::channel();
        runtime.spawn(async move {
            let state = app::build_state(&config, services)
                .await
                .expect("state builds");
            let listener = app::bind(config.bind).await.expect("bind port 0");
            let addr = listener.local_addr().expect("bound address");
            let _ = ready.send(addr);
            let _ = app::serve(listener, state, std::future::pending()).await;
        });
        let addr = address.await.expect("instance started");
        Instance {
            base_url: format!("http://{addr}"),
            runtime: Some(runtime),
        }
    }

    /// The process dies: every task of the instance stops where it is.
    fn kill(self) {
        drop(self);
    }
}

/// Imports the leads of `connector` (their Title) through `instance`: the run and the
/// list.
async fn import_leads(
    app: &crate::support::TestApp,
    instance: &Instance,
    key: &str,
    connector: serde_json::Value,
) -> (String, String) {
    let response = app
        .client
        .post(format!("{}/v1/lists/import", instance.base_url))
        .bearer_auth(key)
        .json(&json!({ "connector": connector, "entity": "lead", "fields": ["Title"] }))
        .send()
        .await
        .expect("request sent");
    let (status, body) = read_json(response).await;
    assert_eq!(status, 202, "{body}");
    let run = body["run_id"].as_str().expect("run id").to_string();
    let list = body["list"]["id"].as_str().expect("list id").to_string();
    (run, list)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_import_resumes_without_restarting_or_duplicating() {
    let crm = infor_crm_fake::FakeCrm::start(infor_crm_fake::FakeConfig {
        faults: FaultConfig {
            latency_ms: 40,
            ..FaultConfig::default()
        },
        ..crm_config(3_000, 0)
    })
    .await
    .expect("fake CRM starts");
    // The test's own app only owns the database and answers reads (no workers), so the
    // instances below do all the work.
    let app = spawn_app_with(api_only()).await;
    let key = app.create_account("acme").await;
    let connector = connect(&app, &key, &crm).await;

    let first = Instance::start(&app.database_url, "first").await;
    let (run, list) = import_leads(&app, &first, &key, json!(connector)).await;

    // Kill the first instance once some pages are committed, well before the end.
    let midway = wait_run_midway(&app.client, &app.base_url, &key, &run, |report| {
        report["progress_done"].as_i64().unwrap_or(0) >= 600
    })
    .await;
    let done_at_kill = midway["progress_done"].as_i64().unwrap_or(0);
    first.kill();
    assert!(done_at_kill < 3_000, "killed midway");
    crm.state().set_faults(FaultConfig::default());
    crm.state().reset_stats();

    let second = Instance::start(&app.database_url, "second").await;
    let report = wait_run_at(&app.client, &second.base_url, &key, &run).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert!(report["resumes"].as_i64().unwrap_or(0) >= 1, "{report}");
    assert_eq!(
        report["counts"]["read"], 3_000,
        "each record read once: {report}"
    );
    assert_eq!(report["counts"]["pulled_new"], 3_000, "{report}");

    // The second instance read only what was left (pages of 100 after the checkpoint).
    let stats = crm.state().stats();
    let lead_gets = stats.kind_count("leads", "GET");
    assert!(
        lead_gets <= (3_000 - done_at_kill as u64) / 100 + 3,
        "resumed rather than restarted: {lead_gets} lead reads after {done_at_kill} were done"
    );

    let members = all_members(&app, &key, &list).await;
    let crm_records = records(&crm, Kind::Lead);
    assert_members_match(
        &members,
        &expected(&crm_records),
        &["FirstName", "LastName", "Title"],
    );
    let (_, detail) = read_json(app.get(&format!("/v1/lists/{list}"), &key).await).await;
    assert_eq!(detail["status"], "ready");
    assert_eq!(detail["member_count"], 3_000);
    second.kill();
}

/// Salesforce through Bulk API 2.0 jobs of 100 records a results page, for tables of
/// 1,000 records and more.
fn bulk_registry() -> Arc<ConnectorRegistry> {
    let mut registry = ConnectorRegistry::new();
    let options = salesforce::SalesforceOptions {
        bulk: salesforce::BulkOptions {
            threshold: 1_000,
            page: 100,
            ..salesforce::BulkOptions::default()
        },
        ..salesforce::SalesforceOptions::default()
    };
    registry.register(Arc::new(salesforce::SalesforceFactory::with_options(
        options,
    )));
    Arc::new(registry)
}

/// A bulk read comes in no order, so an import cut short by a restart starts its read
/// over (a new job): what was stored is found again by email, never added twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_bulk_import_reads_again_without_duplicating() {
    let sf = salesforce_fake::FakeSalesforce::start(salesforce_fake::FakeConfig {
        leads: 3_000,
        contacts: 0,
        faults: salesforce_fake::FaultConfig {
            latency_ms: 40,
            ..salesforce_fake::FaultConfig::default()
        },
        ..salesforce_fake::FakeConfig::default()
    })
    .await
    .expect("fake Salesforce starts");
    let app = spawn_app_with(api_only()).await;
    let key = app.create_account("acme").await;
    let (status, connector) = read_json(
        app.post(
            "/v1/connectors",
            &key,
            &json!({ "kind": "salesforce", "base_url": sf.base_url(),
                     "client_id": "demo-client", "client_secret": "demo-secret" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{connector}");

    let first = Instance::start_with(&app.database_url, "first", bulk_registry()).await;
    let (run, list) = import_leads(&app, &first, &key, connector["id"].clone()).await;
    let midway = wait_run_midway(&app.client, &app.base_url, &key, &run, |report| {
        report["progress_done"].as_i64().unwrap_or(0) >= 1_000
    })
    .await;
    first.kill();
    let done_at_kill = midway["progress_done"].as_i64().unwrap_or(0);
    sf.state().clear_faults();
    sf.state().reset_stats();

    let second = Instance::start_with(&app.database_url, "second", bulk_registry()).await;
    let report = wait_run_at(&app.client, &second.base_url, &key, &run).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    let stats = sf.state().stats();
    assert_eq!(stats.count_of("Lead", "POST"), 1, "a new job: {stats:?}");
    let members = all_members(&app, &key, &list).await;
    let emails: std::collections::HashSet<String> = members
        .iter()
        .filter_map(|m| m["email"].as_str().map(str::to_lowercase))
        .collect();
    assert_eq!(emails.len(), members.len(), "no member twice");
    assert!(
        done_at_kill > 0 && (done_at_kill as usize) < members.len(),
        "killed midway"
    );
    assert_eq!(
        report["counts"]["pulled_new"].as_u64(),
        Some(members.len() as u64),
        "each member added once: {report}"
    );
    // The report started over with the read: each record counted once, none of those
    // the cut-short read stored taken for an unchanged member of an older import.
    assert_eq!(report["counts"]["read"], 3_000, "{report}");
    assert_eq!(report["counts"]["unchanged"], 0, "{report}");
    assert_eq!(report["progress_done"], 3_000, "{report}");
    // The fake's bulk jobs each come in an order of their own, so the new read meets
    // some of the emails leads share in another order than the cut-short one: each
    // record is still a new member, a duplicate of one, or invalid, exactly once.
    let counts = &report["counts"];
    let sum = ["pulled_new", "duplicates", "invalid"]
        .iter()
        .map(|c| counts[c].as_u64().unwrap_or(0))
        .sum::<u64>();
    assert_eq!(sum, 3_000, "{report}");
    assert!(
        counts["duplicates"].as_u64() > Some(0),
        "leads share emails: {report}"
    );
    let (_, detail) = read_json(app.get(&format!("/v1/lists/{list}"), &key).await).await;
    assert_eq!(detail["status"], "ready");
    assert_eq!(detail["member_count"].as_u64(), Some(members.len() as u64));
    second.kill();
}
