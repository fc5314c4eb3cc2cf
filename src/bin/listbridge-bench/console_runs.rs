//! The console's run pages: the report of an ended run with 10,000 records (its first
//! page: the counts, a tab per outcome and the first records of each) and the live
//! progress fragment a running run's page polls every second. The runs are written
//! straight into the bench database (a report of 10,000 records would otherwise need
//! a sync that 10,000 records fail); neither has a job, so no worker touches them.

use anyhow::{Context, bail};
use chrono::Utc;
use listbridge::{
    clock::{OsRandom, Random},
    store::{
        AccountId, ListId, NewRun, Queued, RunId, RunKind, RunRecord, RunRepo, RunStatus,
        RunTrigger, Store,
    },
};
use serde_json::json;

use crate::{
    console::{percentile, time_page},
    measure::Session,
    report::Row,
};

/// Records in the report measured.
const RECORDS: i64 = 10_000;

/// Times the report page of a 10,000-record run and the progress poll of a running
/// run of `list`; returns rows 7c and 7d.
pub async fn run_page_times(
    session: &Session,
    store: &Store,
    client: &reqwest::Client,
    cookie: &str,
    list: &str,
) -> anyhow::Result<Vec<Row>> {
    let me = session
        .api
        .get("reading the account", "/v1/account")
        .await?;
    let account = me["id"]
        .as_str()
        .and_then(AccountId::from_db)
        .context("account id")?;
    let list = ListId::from_db(list).context("list id")?;
    let base = &session.service.url;

    let ended = seeded_run(store, account, list).await?;
    fill_report(store, ended).await?;
    RunRepo
        .finish(
            store.conn(),
            ended,
            RunStatus::CompletedWithErrors,
            None,
            Utc::now(),
        )
        .await?;
    let times = time_page(client, base, &format!("/runs/{ended}"), cookie, &[]).await?;
    let median = percentile(&times, 0.5);
    let p95 = percentile(&times, 0.95);
    let mut report = row(
        &format!("7c. console run report ({RECORDS} records, first page)"),
        &times,
    );
    report.target(
        "median ≤ 100 ms",
        format!("{median:.1} ms"),
        median <= 100.0,
    );
    report.target("p95 ≤ 150 ms", format!("{p95:.1} ms"), p95 <= 150.0);

    let running = seeded_run(store, account, list).await?;
    let path = format!("/runs/{running}/progress");
    let times = time_page(client, base, &path, cookie, &[("HX-Request", "true")]).await?;
    RunRepo
        .finish(
            store.conn(),
            running,
            RunStatus::Failed,
            Some("bench: never executed"),
            Utc::now(),
        )
        .await?;
    let median = percentile(&times, 0.5);
    let mut poll = row("7d. live progress poll (a running run's fragment)", &times);
    poll.target("median ≤ 1 ms", format!("{median:.2} ms"), median <= 1.0);
    Ok(vec![report, poll])
}

/// A sync run of `list`, started (running) and without a job.
async fn seeded_run(store: &Store, account: AccountId, list: ListId) -> anyhow::Result<RunId> {
    let now = Utc::now();
    let new = NewRun {
        account_id: account,
        list_id: list,
        segment_id: None,
        kind: RunKind::Sync,
        trigger: RunTrigger::Manual,
        dry_run: false,
    };
    let run = match RunRepo
        .queue(store.conn(), OsRandom.uuid().into(), new, now)
        .await?
    {
        Queued::New(run) => run,
        Queued::AlreadyActive(run) => bail!("run {} of the bench list is still active", run.id),
    };
    RunRepo.start(store.conn(), run.id, now).await?;
    Ok(run.id)
}

/// Writes 10,000 records as a sync refused by the CRM writes them: mostly refusals in
/// the CRM's words, with conflicts and duplicates among them.
async fn fill_report(store: &Store, run: RunId) -> anyhow::Result<()> {
    let records: Vec<RunRecord> = (1..=RECORDS)
        .map(|seq| {
            let email = Some(format!("member{seq}@bench.example"));
            let (outcome, field, detail, data) = match seq % 10 {
                0 | 1 => (
                    "conflict",
                    Some("Title".to_string()),
                    "'Title' changed in both the list (\"Analyst\") and the CRM (\"Director\"); the CRM value wins".to_string(),
                    Some(json!({ "list": "Analyst", "crm": "Director", "winner": "crm" })),
                ),
                2 => (
                    "duplicate",
                    Some("Email".to_string()),
                    "lead Q2 also has this email; contact C1 was kept: a contact is preferred".to_string(),
                    None,
                ),
                _ => (
                    "failed",
                    None,
                    "the CRM rejected the record: Company 'Blocked Co' is on the blocked list".to_string(),
                    None,
                ),
            };
            RunRecord {
                seq,
                outcome: outcome.to_string(),
                email,
                crm_entity: Some("lead".into()),
                crm_key: Some(format!("Q{seq:011}")),
                field,
                detail,
                data,
            }
        })
        .collect();
    for chunk in records.chunks(1000) {
        RunRepo
            .add_records(store.conn(), run, chunk, &OsRandom, Utc::now())
            .await?;
    }
    Ok(())
}

/// A row of page times, before its targets.
fn row(name: &str, sorted: &[std::time::Duration]) -> Row {
    let median = percentile(sorted, 0.5);
    let p95 = percentile(sorted, 0.95);
    let mut row = Row::named(name);
    row.records = Some(sorted.len() as u64);
    row.seconds = Some(sorted.iter().map(std::time::Duration::as_secs_f64).sum());
    row.note = Some(format!(
        "{} signed-in GETs on loopback: median {median:.2} ms, p95 {p95:.2} ms",
        sorted.len()
    ));
    row
}
