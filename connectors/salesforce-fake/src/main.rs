//! `fake-salesforce`: run the fake Salesforce REST API server from the command line.

use anyhow::Context as _;
use clap::Parser;
use salesforce_fake::{DEFAULT_DAILY_MAX, FakeConfig, FakeSalesforce, FaultConfig};

/// A faithful fake Salesforce REST API server (OAuth, SOQL, sObject Collections, Bulk
/// API 2.0 query jobs) with seeded leads, contacts and tasks.
#[derive(Debug, Parser)]
#[command(name = "fake-salesforce", version, about)]
struct Args {
    /// TCP port to listen on (0 = any free port).
    #[arg(long, default_value_t = 8282)]
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
    /// Generated tasks (email notes on the generated people).
    #[arg(long, default_value_t = 0)]
    tasks: usize,
    /// Seed for generated data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Most records per query page.
    #[arg(long, default_value_t = 2000)]
    page_cap: usize,
    /// The connected app's consumer key.
    #[arg(long, default_value = "demo-client")]
    client_id: String,
    /// The connected app's consumer secret.
    #[arg(
        long,
        env = "FAKE_SALESFORCE_CLIENT_SECRET",
        default_value = "demo-secret",
        hide_env_values = true
    )]
    client_secret: String,
    /// The integration user's username (the JWT bearer flow's `sub`).
    #[arg(long, default_value = "integration@listbridge.example")]
    username: String,
    /// Daily API request allowance (the `m` of `Sforce-Limit-Info: api-usage=n/m`).
    #[arg(long, default_value_t = DEFAULT_DAILY_MAX)]
    api_limit: u64,
    /// Seconds an access token lives.
    #[arg(long, default_value_t = 7200)]
    token_ttl: i64,
    /// Status polls a Bulk API query job answers `InProgress` before `JobComplete`.
    #[arg(long, default_value_t = 0)]
    bulk_polls: u32,
    /// Fault settings as JSON (the `POST /_admin/faults` body), or `@file.json`.
    #[arg(long)]
    faults: Option<String>,
}

fn faults(arg: Option<&str>) -> anyhow::Result<FaultConfig> {
    let Some(arg) = arg else {
        return Ok(FaultConfig::default());
    };
    let text = match arg.strip_prefix('@') {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("reading faults file {path}"))?
        }
        None => arg.to_string(),
    };
    serde_json::from_str(&text).context("parsing --faults JSON")
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
        tasks: args.tasks,
        seed: args.seed,
        client_id: args.client_id,
        client_secret: args.client_secret,
        username: args.username,
        page_cap: args.page_cap,
        daily_api_max: args.api_limit,
        token_ttl_secs: args.token_ttl,
        bulk_polls: args.bulk_polls,
        port: args.port,
        bind: args.bind,
        now: None,
        faults: faults(args.faults.as_deref())?,
    };
    let sf = FakeSalesforce::start(config)
        .await
        .context("starting the fake Salesforce")?;
    println!(
        "fake Salesforce at {0} (token: POST {0}/services/oauth2/token; admin: {0}/_admin/stats)",
        sf.base_url()
    );
    sf.run_until(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}
