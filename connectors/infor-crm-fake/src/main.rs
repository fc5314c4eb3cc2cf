//! `fake-infor-crm`: run the fake Infor CRM SData server from the command line.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use infor_crm_fake::{FakeConfig, FakeCrm, FakeUser, FaultConfig, JsonDates, WriteRule};

/// A faithful fake Infor CRM (Saleslogix) SData server.
#[derive(Debug, Parser)]
#[command(name = "fake-infor-crm", version, about)]
struct Args {
    /// TCP port to listen on (0 = any free port).
    #[arg(long, default_value_t = 8181)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// Generated leads.
    #[arg(long, default_value_t = 1000)]
    leads: usize,
    /// Generated contacts.
    #[arg(long, default_value_t = 1000)]
    contacts: usize,
    /// Generated accounts.
    #[arg(long, default_value_t = 100)]
    accounts: usize,
    /// Generated opportunities (sold to the generated accounts).
    #[arg(long, default_value_t = 0)]
    opportunities: usize,
    /// Seed for generated data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// User name clients must send.
    #[arg(long, default_value = "admin")]
    username: String,
    /// Password clients must send.
    #[arg(
        long,
        env = "FAKE_CRM_PASSWORD",
        default_value = "password",
        hide_env_values = true
    )]
    password: String,
    /// Most entries per feed page.
    #[arg(long, default_value_t = 100)]
    page_cap: usize,
    /// Load records from this JSON file (the `/_admin/records` shape) instead of generating.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Fault settings as JSON (the `POST /_admin/faults` body), or `@file.json`.
    #[arg(long)]
    faults: Option<String>,
    /// CRM-side write rules as JSON (the `POST /_admin/rules` body: one rule or an
    /// array), or `@file.json`.
    #[arg(long)]
    rules: Option<String>,
    /// Extra users with restricted access as JSON (the `POST /_admin/users` body: one
    /// user or an array), or `@file.json`.
    #[arg(long)]
    users: Option<String>,
    /// Write JSON dates in ISO 8601 instead of `/Date(ms)/`.
    #[arg(long)]
    iso_json_dates: bool,
    /// Reject PUTs without If-Match.
    #[arg(long)]
    require_if_match: bool,
    /// Serve feeds without `next` links (older SData providers: clients page by startIndex).
    #[arg(long)]
    omit_next_links: bool,
}

/// The JSON text of an argument that is inline JSON or `@file.json`.
fn json_arg(arg: &str, what: &str) -> anyhow::Result<String> {
    Ok(match arg.strip_prefix('@') {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("reading {what} file {path}"))?
        }
        None => arg.to_string(),
    })
}

fn faults(arg: Option<&str>) -> anyhow::Result<FaultConfig> {
    let Some(arg) = arg else {
        return Ok(FaultConfig::default());
    };
    serde_json::from_str(&json_arg(arg, "faults")?).context("parsing --faults JSON")
}

/// One object or an array of objects, from inline JSON or `@file.json`.
fn json_list<T: serde::de::DeserializeOwned>(
    arg: Option<&str>,
    what: &str,
) -> anyhow::Result<Vec<T>> {
    let Some(arg) = arg else {
        return Ok(Vec::new());
    };
    let value: serde_json::Value = serde_json::from_str(&json_arg(arg, what)?)
        .with_context(|| format!("parsing --{what} JSON"))?;
    let list = match value {
        serde_json::Value::Array(items) => items,
        one => vec![one],
    };
    list.into_iter()
        .map(|v| serde_json::from_value(v).with_context(|| format!("parsing one of --{what}")))
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let config = FakeConfig {
        leads: args.leads,
        contacts: args.contacts,
        accounts: args.accounts,
        opportunities: args.opportunities,
        seed: args.seed,
        username: args.username,
        password: args.password,
        page_cap: args.page_cap,
        port: args.port,
        bind: args.bind,
        data_file: args.data,
        json_dates: if args.iso_json_dates {
            JsonDates::Iso
        } else {
            JsonDates::MsDate
        },
        require_if_match: args.require_if_match,
        now: None,
        faults: faults(args.faults.as_deref())?,
        write_rules: json_list::<WriteRule>(args.rules.as_deref(), "rules")?,
        users: json_list::<FakeUser>(args.users.as_deref(), "users")?,
        omit_next_links: args.omit_next_links,
    };
    let crm = FakeCrm::start(config)
        .await
        .context("starting the fake CRM")?;
    println!(
        "fake Infor CRM at {}/sdata/slx/dynamic/-/ (admin: {}/_admin/stats)",
        crm.base_url(),
        crm.base_url()
    );
    crm.run_until(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}
