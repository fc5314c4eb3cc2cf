//! The processes the bench measures: the fake CRM and the service, each a child process
//! on loopback (killed when dropped), found next to the bench binary. Each is started on
//! port 0 and says in its output which address it bound; that output is read back (and
//! copied to the child's log file).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, bail};
use serde_json::Value;

use crate::crm::{CrmAdmin, CrmKind};
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader},
    process::{Child, Command},
    sync::oneshot,
};

/// How long a child gets to say where it listens, and then to answer its health check.
const READY_DEADLINE: Duration = Duration::from_secs(120);

/// The message `listbridge serve` logs once bound, with the address as `addr`.
const SERVICE_LISTENING: &str = "listbridge is listening";

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

/// Starts the fake CRM `admin` describes (`bin`) with `leads` leads and `contacts`
/// contacts; waits until it answers. Returns it and its admin side.
pub async fn start_fake_crm(
    bin: &Path,
    kind: CrmKind,
    leads: usize,
    contacts: usize,
    log: &Path,
) -> anyhow::Result<(Running, CrmAdmin)> {
    let log_file =
        std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let mut child = Command::new(bin)
        .args(["--port", "0"])
        .args(["--leads", &leads.to_string()])
        .args(["--contacts", &contacts.to_string()])
        .args(kind.fake_args())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(log_file.try_clone().context("sharing the log file")?)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let stdout = child.stdout.take().context("the fake's stdout is piped")?;
    let told = copy_output(stdout, log_file, kind.base_url_finder());
    let url = listening_at(told, "the fake CRM").await?;
    let running = Running { child, url };
    wait_ready(&format!("{}/_admin/stats", running.url), "the fake CRM").await?;
    let admin = CrmAdmin::new(&running.url, kind);
    Ok((running, admin))
}

/// Starts `listbridge serve` on `database_url` (with `env` added); waits for `/healthz`.
pub async fn start_service(
    bin: &Path,
    database_url: &str,
    env: &[(&str, String)],
    log: &Path,
) -> anyhow::Result<Running> {
    let log_file =
        std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let mut command = Command::new(bin);
    command
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("LISTBRIDGE_BIND", "127.0.0.1:0")
        // Warnings, plus the binary's own line saying where it listens (the library's
        // info lines, one per request among them, stay off as before).
        .env("LISTBRIDGE_LOG", "warn,listbridge=info,listbridge::=warn")
        .env("LISTBRIDGE_LOG_FORMAT", "json")
        // The fake CRM listens on loopback, which outbound requests may not reach by default.
        .env(
            "LISTBRIDGE_ALLOW_PRIVATE_HOSTS",
            "127.0.0.0/8,::1,localhost",
        )
        .env_remove("LISTBRIDGE_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let stderr = child
        .stderr
        .take()
        .context("the service's stderr is piped")?;
    let told = copy_output(stderr, log_file, service_base_url);
    let url = listening_at(told, "the service").await?;
    let running = Running { child, url };
    wait_ready(&format!("{}/healthz", running.url), "the service").await?;
    Ok(running)
}

/// The base URL in the service's JSON log line [`SERVICE_LISTENING`] (its `addr`, at the
/// top level or under `fields`, whichever the log format puts it in).
fn service_base_url(line: &str) -> Option<String> {
    let event: Value = serde_json::from_str(line).ok()?;
    let message = event["fields"]["message"]
        .as_str()
        .or_else(|| event["message"].as_str())?;
    if message != SERVICE_LISTENING {
        return None;
    }
    let addr = event["fields"]["addr"]
        .as_str()
        .or_else(|| event["addr"].as_str())?;
    Some(format!("http://{addr}"))
}

/// Reads a child's output to its end on a task of its own, copying every line to `log`
/// (reading also keeps the pipe from filling up and blocking the child), and sends the
/// first base URL `find` sees in a line.
fn copy_output(
    output: impl AsyncRead + Unpin + Send + 'static,
    log: std::fs::File,
    find: fn(&str) -> Option<String>,
) -> oneshot::Receiver<String> {
    let (tell, told) = oneshot::channel();
    tokio::spawn(async move {
        let mut log = tokio::fs::File::from_std(log);
        let mut tell = Some(tell);
        let mut lines = BufReader::new(output).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let _ = log.write_all(format!("{line}\n").as_bytes()).await;
            if let Some(url) = find(&line)
                && let Some(tell) = tell.take()
            {
                let _ = tell.send(url);
            }
        }
        let _ = log.flush().await;
    });
    told
}

/// Waits for a child to say where it listens.
async fn listening_at(told: oneshot::Receiver<String>, what: &str) -> anyhow::Result<String> {
    match tokio::time::timeout(READY_DEADLINE, told).await {
        Ok(Ok(url)) => Ok(url),
        Ok(Err(_)) => bail!("{what} exited before saying where it listens"),
        Err(_) => bail!("{what} did not say where it listens within {READY_DEADLINE:?}"),
    }
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
