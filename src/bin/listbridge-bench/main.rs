//! `listbridge-bench`: throughput and memory of listbridge against a fake CRM (Infor CRM
//! by default, Salesforce with `--crm salesforce`).
//!
//! Starts the fake CRM (`fake-infor-crm` or `fake-salesforce`, N leads) and `listbridge
//! serve` as child processes on
//! loopback, drives the service through its public API, and prints one table (and
//! writes a JSON file) with: raw read, full import (SQLite; PostgreSQL too when
//! `DATABASE_URL` is set), idle re-sync, incremental pull, push of new members and of
//! field updates, form intake, the console's lists, list and run pages, and caller
//! lookups from the phone index (`/crm-lookup/{lookup_key}` at a fixed request rate);
//! each judged against its target.
//!
//! ```sh
//! cargo build --release -p listbridge -p infor-crm-fake -p salesforce-fake
//! target/release/listbridge-bench --leads 100000
//! target/release/listbridge-bench --leads 100000 --crm salesforce
//! target/release/listbridge-bench --leads 100000 --only lookup   # that row alone
//! target/release/listbridge-bench --leads 1000000 --linear-from 100000 --crm-rps 1000
//! ```
//!
//! `--linear-from N` first imports a CRM of N leads in the same run, so the large
//! imports are judged against it (linear growth), not against another day's figures.

mod console;
mod console_runs;
mod crm;
mod forms;
mod lookup;
mod measure;
mod procs;
mod report;
mod scale;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use listbridge::{
    accounts::AccountAdmin,
    clock::{OsRandom, SystemClock},
    store::Store,
};
use serde_json::json;

use crate::{
    crm::{CrmAdmin, CrmKind},
    measure::{LIST_FIELDS, Session},
    procs::{sibling_binary, start_fake_crm, start_service},
    report::{BenchReport, Machine, Row},
};

/// Measures listbridge against the fake Infor CRM and prints one table.
#[derive(Debug, Parser)]
#[command(name = "listbridge-bench", about)]
struct Args {
    /// Leads in the fake CRM.
    #[arg(long, default_value_t = 100_000)]
    leads: usize,
    /// Contacts in the fake CRM (pushes look them up too).
    #[arg(long, default_value_t = 1_000)]
    contacts: usize,
    /// Members in each push measurement.
    #[arg(long, default_value_t = 10_000)]
    push: usize,
    /// Submissions posted in the form intake measurement.
    #[arg(long, default_value_t = 20_000)]
    forms: usize,
    /// Where the JSON results go.
    #[arg(long, default_value = "bench-results.json")]
    out: PathBuf,
    /// Keep the work directory (databases, child logs) instead of deleting it.
    #[arg(long)]
    keep: bool,
    /// CRM requests per second each connector may send (the service's
    /// `LISTBRIDGE_CRM_REQUESTS_PER_SECOND`; the product default is 20). Raise it to
    /// measure listbridge rather than the request budget.
    #[arg(long, default_value_t = 20)]
    crm_rps: u32,
    /// Run only these measurements (the fake CRM is started either way).
    #[arg(long, value_enum)]
    only: Option<Only>,
    /// Caller lookups per second (row 8), sent on a fixed schedule.
    #[arg(long, default_value_t = 500)]
    lookup_rps: u32,
    /// Seconds the caller lookups are sent for (row 8).
    #[arg(long, default_value_t = 20)]
    lookup_seconds: u32,
    /// Also import a CRM of this many leads first (its own fake CRM) and judge each full
    /// import against it: at most 1.1 × as long per lead (a million leads in ≤ 11 × the
    /// time of 100,000).
    #[arg(long)]
    linear_from: Option<usize>,
    /// The CRM to measure against: its fake, its connector and its targets (pages of
    /// 100 and writes of 25 for Infor CRM, 2,000 and 200 for Salesforce).
    #[arg(long, value_enum, default_value_t = CrmKind::Infor)]
    crm: CrmKind,
}

/// A measurement that can run alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Only {
    /// Row 8: caller lookups from the phone index (SQLite; PostgreSQL too when
    /// `DATABASE_URL` is set).
    Lookup,
    /// Rows 1 and 2: the raw reads and the full imports (to profile or repeat them).
    Import,
    /// Row 6 with its `GET /healthz` baseline.
    Forms,
}

const BUILD_HINT: &str = "cargo build --release -p listbridge -p infor-crm-fake -p salesforce-fake";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fake_bin = sibling_binary(args.crm.fake_binary(), BUILD_HINT)?;
    let service_bin = sibling_binary("listbridge", BUILD_HINT)?;
    let work = std::env::temp_dir().join(format!("listbridge-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    eprintln!("work directory {}", work.display());

    let result = bench(&args, &fake_bin, &service_bin, &work).await;
    if args.keep {
        eprintln!("kept {}", work.display());
    } else {
        let _ = std::fs::remove_dir_all(&work);
    }
    let report = result?;
    print!("{}", report.render());
    let json = serde_json::to_string_pretty(&report)?;
    std::fs::write(&args.out, json).with_context(|| format!("writing {}", args.out.display()))?;
    println!("\nresults written to {}", args.out.display());
    Ok(())
}

async fn bench(
    args: &Args,
    fake_bin: &std::path::Path,
    service_bin: &std::path::Path,
    work: &std::path::Path,
) -> anyhow::Result<BenchReport> {
    let imports = matches!(args.only, None | Some(Only::Import));
    let smaller = match args.linear_from.filter(|&n| n < args.leads && imports) {
        Some(leads) => {
            let pg = postgres_url();
            let bins = (fake_bin, service_bin);
            scale::smaller_imports(
                args.crm,
                leads,
                args.contacts,
                pg.as_deref(),
                bins,
                work,
                args.crm_rps,
            )
            .await?
        }
        None => Vec::new(),
    };
    eprintln!(
        "starting the fake {} with {} leads",
        args.crm.label(),
        args.leads
    );
    let (crm, admin) = start_fake_crm(
        fake_bin,
        args.crm,
        args.leads,
        args.contacts,
        &work.join("fake-crm.log"),
    )
    .await?;
    let mut rows = Vec::new();
    match args.only {
        Some(Only::Lookup) => {
            rows.extend(lookup_rows(args, service_bin, &admin, work).await?);
            crm.stop().await;
            return Ok(report(args, rows));
        }
        Some(Only::Forms) => {
            eprintln!("6. form intake ({} submissions)", args.forms);
            rows.extend(forms::form_intake(&admin, work, args.forms, args.crm_rps).await?);
            crm.stop().await;
            return Ok(report(args, rows));
        }
        Some(Only::Import) | None => {}
    }

    eprintln!("1. raw read (before the imports)");
    let mut raw = measure::RawReads::default();
    raw.take(&admin, args.crm_rps).await?;

    let sqlite_url = format!("sqlite://{}?mode=rwc", work.join("bench.db").display());
    let session = sqlite_session(service_bin, &sqlite_url, &admin, work, args.crm_rps).await?;

    eprintln!("2. full import (SQLite)");
    let (mut import, list) = session.import("SQLite").await?;
    let import_seconds = import.seconds.unwrap_or(f64::NAN);
    eprintln!("1. raw read (after the SQLite import)");
    raw.take(&admin, args.crm_rps).await?;
    // PostgreSQL imports the same 100% unchanged CRM, before anything below writes to it.
    let mut pg_import = None;
    if let Some(pg) = postgres_url() {
        eprintln!("2. full import (PostgreSQL)");
        let row = import_on_postgres(&pg, service_bin, &admin, work, args.crm_rps, "PostgreSQL");
        pg_import = Some(row.await?);
        eprintln!("1. raw read (after the PostgreSQL import)");
        raw.take(&admin, args.crm_rps).await?;
    }
    while raw.count() < measure::RawReads::AT_LEAST {
        eprintln!("1. raw read (one more)");
        raw.take(&admin, args.crm_rps).await?;
    }
    rows.push(raw.row());
    measure::judge_import(&mut import, "SQLite", &raw);
    let mut pg_import = pg_import.map(|mut row| {
        measure::judge_import(&mut row, "PostgreSQL", &raw);
        row
    });
    for small in smaller {
        let large = match small.store {
            "SQLite" => Some(&mut import),
            _ => pg_import.as_mut(),
        };
        if let Some(large) = large {
            scale::judge_linear(large, args.leads, &small);
        }
        rows.push(small.row);
    }
    rows.push(import);
    rows.extend(pg_import);
    if args.only == Some(Only::Import) {
        session.service.stop().await;
        crm.stop().await;
        return Ok(report(args, rows));
    }

    session
        .put_sync(
            &list,
            &json!({
                "pull": { "enabled": true, "add_new": true, "update_existing": true },
                "push": { "enabled": true, "update_existing": true, "fields": LIST_FIELDS },
            }),
        )
        .await?;
    eprintln!("3. idle re-sync");
    rows.push(session.idle_resync(&list, import_seconds).await?);
    eprintln!("4. incremental pull");
    rows.push(session.incremental(&list, args.leads / 100).await?);

    eprintln!("5. push of {} new members", args.push);
    let uploaded = session.upload("Bench push", args.push, "Analyst").await?;
    rows.push(
        session
            .push(
                &format!("5a. push {} new members", args.push),
                &uploaded,
                &json!({ "push": { "enabled": true, "add_new": true } }),
                args.push,
                "pushed_new",
            )
            .await?,
    );
    eprintln!("5. push of {} field updates", args.push);
    let updates = session
        .upload("Bench updates", args.push, "Director")
        .await?;
    rows.push(
        session
            .push(
                &format!("5b. push {} field updates", args.push),
                &updates,
                &json!({ "push": { "enabled": true, "update_existing": true, "fields": ["Title"] } }),
                args.push,
                "pushed_updated",
            )
            .await?,
    );

    eprintln!("7. console page times");
    rows.extend(console::page_times(&session, &sqlite_url, &list, args.leads).await?);

    let overall = procs::peak_rss_mib(session.service.pid()?)?;
    eprintln!("service peak memory over the whole bench: {overall:.1} MiB");
    session.service.stop().await;

    eprintln!("6. form intake ({} submissions)", args.forms);
    rows.extend(forms::form_intake(&admin, work, args.forms, args.crm_rps).await?);

    rows.extend(lookup_rows(args, service_bin, &admin, work).await?);
    crm.stop().await;

    Ok(report(args, rows))
}

fn report(args: &Args, rows: Vec<Row>) -> BenchReport {
    BenchReport {
        date: chrono::Utc::now().to_rfc3339(),
        machine: Machine::this(),
        crm: args.crm.label().to_string(),
        leads: args.leads,
        crm_requests_per_second: args.crm_rps,
        rows,
    }
}

/// Row 8 on a new SQLite database, then on a new PostgreSQL database when
/// `DATABASE_URL` names a server. Against Infor CRM only: a lookup asks no CRM (it reads
/// the phone index an import fills), and the fake Salesforce seeds no dialable numbers.
async fn lookup_rows(
    args: &Args,
    service_bin: &std::path::Path,
    admin: &CrmAdmin,
    work: &std::path::Path,
) -> anyhow::Result<Vec<Row>> {
    if admin.kind != CrmKind::Infor {
        let mut row = Row::named("8. caller lookups");
        row.note = Some(format!(
            "not measured against {}: lookups read listbridge's phone index and ask no CRM \
             (run the bench with --crm infor for this row)",
            admin.kind.label()
        ));
        return Ok(vec![row]);
    }
    let load = lookup::Load {
        per_second: args.lookup_rps,
        seconds: args.lookup_seconds,
    };
    let setup = lookup::Setup { service_bin, admin };
    let sqlite_url = format!("sqlite://{}?mode=rwc", work.join("lookup.db").display());
    eprintln!("8. caller lookups (SQLite)");
    let mut rows = vec![
        lookup::caller_lookups(
            setup,
            "SQLite",
            &sqlite_url,
            &[],
            &work.join("service-lookup-sqlite.log"),
            load,
        )
        .await?,
    ];
    if let Some(pg) = postgres_url() {
        eprintln!("8. caller lookups (PostgreSQL)");
        let log = work.join("service-lookup-postgres.log");
        let row = on_new_postgres_database(&pg, "lookup", |url| async move {
            let env = [("LISTBRIDGE_MASTER_KEY", base64_key())];
            lookup::caller_lookups(setup, "PostgreSQL", &url, &env, &log, load).await
        })
        .await?;
        rows.push(row);
    }
    Ok(rows)
}

/// `DATABASE_URL` when it names a PostgreSQL server.
fn postgres_url() -> Option<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
}

/// Creates the bench account in a migrated database, with `region` as its default phone
/// region when given; returns its API key.
pub(crate) async fn create_account(
    database_url: &str,
    region: Option<&str>,
) -> anyhow::Result<String> {
    let store = Store::connect(database_url)
        .await
        .context("opening the bench database")?;
    store
        .migrate()
        .await
        .context("migrating the bench database")?;
    let admin = AccountAdmin {
        store: &store,
        clock: &SystemClock,
        random: &OsRandom,
    };
    let (account, key) = admin.create_account("bench").await?;
    if let Some(region) = region {
        let settings = admin.settings(account.id).await?;
        admin
            .update_settings(account.id, &settings.name, &settings.time_zone, region)
            .await?;
    }
    Ok(key.expose().to_string())
}

/// A service on the SQLite database `sqlite_url` (created, with the bench account) and a
/// session with the fake CRM `admin` administers connected.
async fn sqlite_session(
    service_bin: &std::path::Path,
    sqlite_url: &str,
    admin: &CrmAdmin,
    work: &std::path::Path,
    crm_rps: u32,
) -> anyhow::Result<Session> {
    let key = create_account(sqlite_url, None).await?;
    let budget = [("LISTBRIDGE_CRM_REQUESTS_PER_SECOND", crm_rps.to_string())];
    let log = work.join("service-sqlite.log");
    let service = start_service(service_bin, sqlite_url, &budget, &log).await?;
    Session::connect(service, &key, admin.clone()).await
}

/// The full import on a new SQLite database in `work`; the service stops afterwards.
pub(crate) async fn import_on_sqlite(
    service_bin: &std::path::Path,
    admin: &CrmAdmin,
    work: &std::path::Path,
    crm_rps: u32,
    label: &str,
) -> anyhow::Result<Row> {
    let sqlite_url = format!("sqlite://{}?mode=rwc", work.join("bench.db").display());
    let session = sqlite_session(service_bin, &sqlite_url, admin, work, crm_rps).await?;
    let (row, _) = session.import(label).await?;
    session.service.stop().await;
    Ok(row)
}

/// The full import on a new database of the PostgreSQL server of `DATABASE_URL`.
pub(crate) async fn import_on_postgres(
    server_url: &str,
    service_bin: &std::path::Path,
    admin: &CrmAdmin,
    work: &std::path::Path,
    crm_rps: u32,
    label: &str,
) -> anyhow::Result<Row> {
    on_new_postgres_database(server_url, "import", |url| async move {
        let key = create_account(&url, None).await?;
        let master = base64_key();
        let service = start_service(
            service_bin,
            &url,
            &[
                ("LISTBRIDGE_MASTER_KEY", master),
                ("LISTBRIDGE_CRM_REQUESTS_PER_SECOND", crm_rps.to_string()),
            ],
            &work.join("service-postgres.log"),
        )
        .await?;
        let session = Session::connect(service, &key, admin.clone()).await?;
        let (row, _) = session.import(label).await?;
        session.service.stop().await;
        anyhow::Ok(row)
    })
    .await
}

/// Runs `measure` with the URL of a new database (named after `what` and this process)
/// on the PostgreSQL server of `server_url`, and drops the database afterwards.
async fn on_new_postgres_database<T, F, Fut>(
    server_url: &str,
    what: &str,
    measure: F,
) -> anyhow::Result<T>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    use sea_orm::{ConnectionTrait, Database};
    let name = format!("listbridge_bench_{what}_{}", std::process::id());
    let server = Database::connect(server_url)
        .await
        .context("connecting to DATABASE_URL")?;
    server
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .context("creating the bench database (the role needs CREATEDB)")?;
    let mut url = url::Url::parse(server_url).context("parsing DATABASE_URL")?;
    url.set_path(&format!("/{name}"));
    let result = measure(url.to_string()).await;
    let _ = server
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await;
    result
}

/// A random 32-byte master key, base64.
fn base64_key() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
