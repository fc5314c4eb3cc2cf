//! The measurements: each drives the service (a child process) through its public API
//! against the fake CRM (another child process) and returns a [`Row`].

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::TryStreamExt;
use listbridge::demo::ApiClient;
use listbridge_connector::{EntityKind, ReadQuery};
use serde_json::{Value, json};

use crate::{
    crm::CrmAdmin,
    procs::{Running, peak_rss_mib},
    report::Row,
};

/// The CRM fields every list of the bench holds (and the raw read asks for).
pub const LIST_FIELDS: [&str; 1] = ["Title"];
/// The longest one run may take before the bench gives up.
const RUN_DEADLINE: Duration = Duration::from_secs(600);
/// How often a run's status is read.
const POLL_EVERY: Duration = Duration::from_millis(20);

/// Drains the connector's stream of every lead, storing nothing: the floor.
async fn raw_read(admin: &CrmAdmin, crm_rps: u32) -> anyhow::Result<Row> {
    let connector = admin.kind.connector(admin.url(), crm_rps)?;
    admin.reset_stats().await?;
    let started = Instant::now();
    let mut stream = connector.read(
        EntityKind::Lead,
        ReadQuery {
            fields: admin.kind.read_fields(&LIST_FIELDS)?,
            since: None,
            page_size: None,
            ..ReadQuery::default()
        },
    );
    let mut records = 0u64;
    while let Some(page) = stream.try_next().await.context("reading leads")? {
        records += page.records.len() as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    let counts = admin.counts().await?;
    let mut row = Row::named("1. raw read (connector stream, nothing stored)");
    row.seconds = Some(seconds);
    row.records = Some(records);
    row.per_second = Some(records as f64 / seconds);
    row.crm_requests = Some(counts.requests);
    row.ratio_to_raw_read = Some(1.0);
    Ok(row)
}

/// Raw reads taken in one bench run: the machine's speed moves between runs and within
/// one (1.7 s to 8.3 s for the same 100,000 leads), so the floor the imports are judged
/// against is the best of several reads taken around them, and their spread is shown.
#[derive(Debug, Default)]
pub struct RawReads {
    samples: Vec<Row>,
}

impl RawReads {
    /// Raw reads a bench run takes at least: before the first import, after each.
    pub const AT_LEAST: usize = 3;

    /// Takes one more raw read.
    pub async fn take(&mut self, admin: &CrmAdmin, crm_rps: u32) -> anyhow::Result<()> {
        self.samples.push(raw_read(admin, crm_rps).await?);
        Ok(())
    }

    /// How many were taken.
    pub fn count(&self) -> usize {
        self.samples.len()
    }

    /// The fastest read's seconds: the floor imports are compared with.
    pub fn best_seconds(&self) -> f64 {
        self.samples
            .iter()
            .filter_map(|r| r.seconds)
            .fold(f64::NAN, f64::min)
    }

    /// Row 1: the best read, with every sample and the spread in its note.
    pub fn row(&self) -> Row {
        let best = self.best_seconds();
        let mut row = self
            .samples
            .iter()
            .find(|r| r.seconds == Some(best))
            .cloned()
            .unwrap_or_else(|| Row::named(""));
        row.name = format!("1. raw read, best of {}", self.samples.len());
        let seconds: Vec<f64> = self.samples.iter().filter_map(|r| r.seconds).collect();
        let worst = seconds.iter().copied().fold(f64::NAN, f64::max);
        let listed: Vec<String> = seconds.iter().map(|s| format!("{s:.2} s")).collect();
        row.note = Some(format!(
            "raw reads in order taken (before the first import, then after each): {}; \
             spread {best:.2}–{worst:.2} s ({:.0}% above the best)",
            listed.join(", "),
            (worst / best - 1.0) * 100.0
        ));
        row
    }
}

/// Sets an import row's ratio to the raw-read floor and judges it against the
/// target (import ≤ 1.25 × the best raw read).
pub fn judge_import(row: &mut Row, label: &str, raw: &RawReads) {
    let Some(seconds) = row.seconds else {
        return;
    };
    let floor = raw.best_seconds();
    let ratio = seconds / floor;
    row.ratio_to_raw_read = Some(ratio);
    row.target(
        format!("full import ({label}) ≤ 1.25 × raw read"),
        format!(
            "{ratio:.2} × ({seconds:.1} s vs {floor:.1} s, the best of {} raw reads)",
            raw.count()
        ),
        ratio <= 1.25,
    );
}

/// A service with an account and a connected CRM, driven through its API.
pub struct Session {
    /// The service's API with the account's key.
    pub api: ApiClient,
    /// The fake CRM's admin side.
    pub crm: CrmAdmin,
    /// The service process.
    pub service: Running,
    /// The connector id.
    pub connector: String,
}

impl Session {
    /// Connects the fake CRM `crm` administers through the API.
    pub async fn connect(service: Running, key: &str, crm: CrmAdmin) -> anyhow::Result<Self> {
        let api = ApiClient::new(&service.url, key)?;
        let created = api
            .post(
                "connecting the fake CRM",
                "/v1/connectors",
                &crm.kind.connect_body(crm.url()),
            )
            .await?;
        let connector = created["id"]
            .as_str()
            .context("connector without id")?
            .to_string();
        Ok(Session {
            api,
            crm,
            service,
            connector,
        })
    }

    /// Polls a run until it ends; returns the report and the seconds since `started`.
    async fn wait_run(&self, run_id: &str, started: Instant) -> anyhow::Result<(Value, f64)> {
        let path = format!("/v1/runs/{run_id}");
        loop {
            let run = self.api.get("reading a run", &path).await?;
            match run["status"].as_str() {
                Some("queued" | "running") => {}
                // Records the CRM refused are in the row's note; the figures still stand.
                Some("succeeded" | "completed_with_errors") => {
                    return Ok((run, started.elapsed().as_secs_f64()));
                }
                _ => bail!("run {run_id} did not succeed: {run}"),
            }
            if started.elapsed() > RUN_DEADLINE {
                bail!("run {run_id} still running after {RUN_DEADLINE:?}");
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// Imports every lead with `fields` into a new list named `name` and waits for the
    /// run; returns the run's report, its seconds and the list id.
    pub async fn import_list(
        &self,
        name: &str,
        fields: &[&str],
    ) -> anyhow::Result<(Value, f64, String)> {
        let started = Instant::now();
        let accepted = self
            .api
            .post(
                "importing leads",
                "/v1/lists/import",
                &json!({ "connector": self.connector, "entity": "lead", "name": name, "fields": fields }),
            )
            .await?;
        let run_id = accepted["run_id"]
            .as_str()
            .context("import without run id")?;
        let list = accepted["list"]["id"]
            .as_str()
            .context("import without list id")?
            .to_string();
        let (run, seconds) = self.wait_run(run_id, started).await?;
        Ok((run, seconds, list))
    }

    /// Full import of every lead into a new list; returns the row and the list id. Its
    /// ratio to the raw read is set by [`judge_import`] once every raw read is taken.
    pub async fn import(&self, label: &str) -> anyhow::Result<(Row, String)> {
        self.crm.reset_stats().await?;
        let (run, seconds, list) = self
            .import_list(&format!("Bench leads ({label})"), &LIST_FIELDS)
            .await?;
        let counts = self.crm.counts().await?;
        let members = run["counts"]["pulled_new"].as_u64().unwrap_or_default();
        let mut row = Row::named(format!("2. full import ({label})"));
        row.seconds = Some(seconds);
        row.records = Some(members);
        row.per_second = Some(members as f64 / seconds);
        row.crm_requests = Some(counts.requests);
        row.crm_writes = Some(counts.writes);
        let peak = peak_rss_mib(self.service.pid()?)?;
        row.peak_rss_mib = Some(peak);
        row.target(
            format!("peak service memory during import ({label}) ≤ 150 MB"),
            format!("{:.1} MB (VmHWM of the service process)", peak * 1.048_576),
            peak * 1.048_576 <= 150.0,
        );
        Ok((row, list))
    }

    /// Saves a sync setup.
    pub async fn put_sync(&self, list: &str, setup: &Value) -> anyhow::Result<()> {
        self.api
            .put(
                "saving a sync setup",
                &format!("/v1/lists/{list}/sync"),
                setup,
            )
            .await?;
        Ok(())
    }

    /// Run Now on a list with fresh CRM counters; returns the report, seconds and counts.
    async fn measured_sync(
        &self,
        list: &str,
    ) -> anyhow::Result<(Value, f64, crate::crm::CrmCounts)> {
        self.crm.reset_stats().await?;
        let started = Instant::now();
        let queued = self
            .api
            .post(
                "Run Now",
                &format!("/v1/lists/{list}/runs"),
                &json!({ "dry_run": false }),
            )
            .await?;
        let run_id = queued["run"]["id"].as_str().context("run without id")?;
        let (run, seconds) = self.wait_run(run_id, started).await?;
        let counts = self.crm.counts().await?;
        Ok((run, seconds, counts))
    }

    /// A sync right after the import, nothing changed on either side.
    pub async fn idle_resync(&self, list: &str, import_seconds: f64) -> anyhow::Result<Row> {
        let (run, seconds, counts) = self.measured_sync(list).await?;
        let mut row = Row::named("3. idle re-sync (nothing changed)");
        row.seconds = Some(seconds);
        row.records = run["counts"]["read"].as_u64();
        row.crm_requests = Some(counts.requests);
        row.crm_writes = Some(counts.writes);
        row.target(
            "idle re-sync ≤ 3 CRM requests",
            format!("{} requests", counts.requests),
            counts.requests <= 3,
        );
        row.target(
            "idle re-sync 0 CRM writes",
            format!("{} writes", counts.writes),
            counts.writes == 0,
        );
        let share = seconds / import_seconds;
        row.target(
            "idle re-sync ≤ 2% of the full import time",
            format!("{:.2}% ({seconds:.2} s)", share * 100.0),
            share <= 0.02,
        );
        Ok(row)
    }

    /// A pull after `changed` leads were changed in the CRM.
    pub async fn incremental(&self, list: &str, changed: usize) -> anyhow::Result<Row> {
        let changed = self
            .crm
            .change_leads(changed, "Changed by the bench")
            .await?;
        let (run, seconds, counts) = self.measured_sync(list).await?;
        let updated = run["counts"]["pulled_updated"].as_u64().unwrap_or_default();
        let mut row = Row::named(format!("4. incremental pull ({changed} leads changed)"));
        row.seconds = Some(seconds);
        row.records = Some(updated);
        row.per_second = Some(updated as f64 / seconds);
        row.crm_requests = Some(counts.requests);
        row.crm_writes = Some(counts.writes);
        if updated != changed as u64 {
            row.note = Some(format!(
                "{updated} members updated, {changed} leads changed"
            ));
        }
        let limit = changed as u64 / self.crm.kind.page_size() + 3;
        row.target(
            format!("incremental pull ≤ changed / page size + 3 = {limit} CRM requests"),
            format!("{} requests", counts.requests),
            counts.requests <= limit,
        );
        Ok(row)
    }

    /// Uploads `rows` people as a new list whose Title is `title`; returns its id.
    pub async fn upload(&self, name: &str, rows: usize, title: &str) -> anyhow::Result<String> {
        let mut csv = String::with_capacity(rows * 80);
        csv.push_str("Email,First Name,Last Name,Company,Title\n");
        for i in 0..rows {
            csv.push_str(&format!(
                "bench.person{i}@push.example.com,Bench{i},Person{i},Bench Co {},{title}\n",
                i % 97
            ));
        }
        let mapping = json!({ "First Name": "first_name", "Last Name": "last_name", "Company": "company", "Title": "title" });
        let path = format!(
            "/v1/lists/upload?name={}&mapping={}",
            encode(name),
            encode(&mapping.to_string())
        );
        let uploaded = self.api.post_csv("uploading a list", &path, csv).await?;
        let accepted = uploaded["accepted"].as_u64().unwrap_or_default();
        if accepted != rows as u64 {
            bail!("the upload of {name} accepted {accepted} of {rows} rows: {uploaded}");
        }
        Ok(uploaded["list"]["id"]
            .as_str()
            .context("upload without list id")?
            .to_string())
    }

    /// Push of an uploaded list: `setup` decides new leads or field updates.
    pub async fn push(
        &self,
        label: &str,
        list: &str,
        setup: &Value,
        expect: usize,
        counted: &str,
    ) -> anyhow::Result<Row> {
        self.put_sync(list, setup).await?;
        let (run, seconds, counts) = self.measured_sync(list).await?;
        let pushed = run["counts"][counted].as_u64().unwrap_or_default();
        let mut row = Row::named(label);
        row.seconds = Some(seconds);
        row.records = Some(pushed);
        row.per_second = Some(pushed as f64 / seconds);
        row.crm_requests = Some(counts.requests);
        row.crm_writes = Some(counts.writes);
        if pushed != expect as u64 {
            row.note = Some(format!(
                "{pushed} of {expect} members pushed; run counts {}",
                run["counts"]
            ));
        }
        let per_request = self.crm.kind.records_per_push_request();
        let limit = expect as u64 / per_request;
        row.target(
            format!("{label}: ≤ records / {per_request} = {limit} CRM requests"),
            format!("{} requests", counts.requests),
            counts.requests <= limit,
        );
        Ok(row)
    }
}

fn encode(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}
