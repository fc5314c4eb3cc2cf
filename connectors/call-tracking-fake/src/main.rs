//! `fake-call-tracking`: run the fake call-tracking platform from the command line.

use call_tracking_fake::{FakePlatform, FakePlatformConfig};
use clap::Parser;

/// A fake call-tracking platform taking offline conversions.
#[derive(Debug, Parser)]
#[command(name = "fake-call-tracking", version, about)]
struct Args {
    /// TCP port to listen on (0 = any free port).
    #[arg(long, default_value_t = 8282)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// The bearer token clients must send.
    #[arg(
        long,
        env = "FAKE_CALL_TRACKING_TOKEN",
        default_value = "token",
        hide_env_values = true
    )]
    token: String,
    /// Generated call references (`CR-000001`…) and visitor ids (`VID-000001`…), this
    /// many of each.
    #[arg(long, default_value_t = 1000)]
    references: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let platform = FakePlatform::start(FakePlatformConfig {
        port: args.port,
        bind: args.bind,
        token: args.token,
        generated: args.references,
        references: Vec::new(),
    })
    .await?;
    println!("fake call-tracking platform on {}", platform.base_url());
    tokio::signal::ctrl_c().await?;
    platform.shutdown().await;
    Ok(())
}
