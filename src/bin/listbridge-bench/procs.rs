//! The processes the bench measures: the fake CRM and the service, each a child process
//! on loopback (killed when dropped), found next to the bench binary.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

/// How long a child gets to answer its health check.
const READY_DEADLINE: Duration = Duration::from_secs(120);

/// A binary of this workspace beside the running bench binary (`target/release/NAME`).
pub fn sibling_binary(name: &str, build_hint: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the bench binary")?;
    let dir = exe
        .parent()
        .context("the bench binary has no parent directory")?;
    let path = dir.join(name);
    if !path.is_file() {
        bail!("{} not found; build it first: {build_hint}", path.display());
    }
    Ok(path)
}

/// A free TCP port on 127.0.0.1 (bound and released; loopback only).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// A child process that is killed when dropped.
#[derive(Debug)]
pub struct Running {
    child: Child,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Running {
    /// The child's pid (for `/proc/PID/status`).
    pub fn pid(&self) -> anyhow::Result<u32> {
        self.child.id().context("the child process has exited")
    }

    /// Stops the child and waits for it.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Starts `fake-infor-crm` with `leads` leads and `contacts` contacts; waits until it
/// answers.
pub async fn start_fake_crm(
    bin: &Path,
    leads: usize,
    contacts: usize,
    log: &Path,
) -> anyhow::Result<Running> {
    let port = free_port()?;
    let log_file =
        std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let child = Command::new(bin)
        .args(["--port", &port.to_string()])
        .args(["--leads", &leads.to_string()])
        .args(["--contacts", &contacts.to_string()])
        .args(["--accounts", "100", "--seed", "1", "--page-cap", "100"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log_file)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let running = Running {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    wait_ready(&format!("{}/_admin/stats", running.url), "the fake CRM").await?;
    Ok(running)
}

/// Starts `listbridge serve` on `database_url` (with `env` added); waits for `/healthz`.
pub async fn start_service(
    bin: &Path,
    database_url: &str,
    env: &[(&str, String)],
    log: &Path,
) -> anyhow::Result<Running> {
    let port = free_port()?;
    let log_file =
        std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let mut command = Command::new(bin);
    command
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("LISTBRIDGE_BIND", format!("127.0.0.1:{port}"))
        .env("LISTBRIDGE_LOG", "warn")
        .env_remove("LISTBRIDGE_CONFIG")
        .stdout(Stdio::null())
        .stderr(log_file)
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let child = command
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let running = Running {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    wait_ready(&format!("{}/healthz", running.url), "the service").await?;
    Ok(running)
}

async fn wait_ready(url: &str, what: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + READY_DEADLINE;
    loop {
        if let Ok(response) = client.get(url).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("{what} did not answer {url} within {READY_DEADLINE:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Peak resident memory (`VmHWM`) of a process, in MiB.
pub fn peak_rss_mib(pid: u32) -> anyhow::Result<f64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no VmHWM in {path}"))?;
    Ok(kib / 1024.0)
}
