//! Starting and stopping the server: [`FakeConfig`], [`FakeCrm`] and [`FakeError`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::faults::{Engine, FaultConfig};
use crate::render::JsonDates;
use crate::rules::WriteRule;
use crate::seed::{SeedSpec, generate};
use crate::state::{FakeState, Settings, Shared};
use crate::stats::Stats;
use crate::store::Store;
use crate::users::FakeUser;
use fake_kit::Clock;
use fake_kit::{ConnHandle, CuttableListener};

/// How to start a fake CRM. `Default` gives an empty CRM on a random loopback port with
/// user `admin` / password `password` and a page cap of 100.
#[derive(Clone)]
pub struct FakeConfig {
    /// Generated leads (each with a LeadAddress).
    pub leads: usize,
    /// Generated contacts (each with an Address).
    pub contacts: usize,
    /// Generated accounts (each with an Address).
    pub accounts: usize,
    /// Generated opportunities (each sold to a generated account when there are any);
    /// none by default.
    pub opportunities: usize,
    /// Seed for generated data and etags.
    pub seed: u64,
    /// The accepted user name (compared case-insensitively).
    pub username: String,
    /// The accepted password.
    pub password: String,
    /// The most entries a feed page holds, whatever `count` asks for.
    pub page_cap: usize,
    /// TCP port; 0 picks a free one.
    pub port: u16,
    /// Address to bind; loopback by default.
    pub bind: IpAddr,
    /// A JSON file of records to load (the `/_admin/records` dump format) instead of
    /// generating data.
    pub data_file: Option<PathBuf>,
    /// How JSON responses write dates.
    pub json_dates: JsonDates,
    /// Reject a PUT without `If-Match` (Infor CRM's dynamic adapter accepts it).
    pub require_if_match: bool,
    /// Pin the clock at this time (None = system time).
    pub now: Option<DateTime<Utc>>,
    /// Faults active from the start.
    pub faults: FaultConfig,
    /// CRM-side write rules active from the start (more via `POST /_admin/rules`).
    pub write_rules: Vec<WriteRule>,
    /// Extra users with restricted access (more via `POST /_admin/users`).
    pub users: Vec<FakeUser>,
    /// Serve feeds without `next` links, like older SData providers whose clients page
    /// by `startIndex` arithmetic; switchable later through `/_admin/compat`.
    pub omit_next_links: bool,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            leads: 0,
            contacts: 0,
            accounts: 0,
            opportunities: 0,
            seed: 1,
            username: "admin".into(),
            password: "password".into(),
            page_cap: 100,
            port: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            data_file: None,
            json_dates: JsonDates::default(),
            require_if_match: false,
            now: None,
            faults: FaultConfig::default(),
            write_rules: Vec::new(),
            users: Vec::new(),
            omit_next_links: false,
        }
    }
}

impl std::fmt::Debug for FakeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeConfig")
            .field("leads", &self.leads)
            .field("contacts", &self.contacts)
            .field("accounts", &self.accounts)
            .field("seed", &self.seed)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("page_cap", &self.page_cap)
            .field("port", &self.port)
            .field("bind", &self.bind)
            .field("data_file", &self.data_file)
            .field("json_dates", &self.json_dates)
            .field("require_if_match", &self.require_if_match)
            .field("now", &self.now)
            .field("faults", &self.faults)
            .field("write_rules", &self.write_rules)
            .field("users", &self.users)
            .field("omit_next_links", &self.omit_next_links)
            .finish()
    }
}

/// Why the fake could not start.
#[derive(Debug, thiserror::Error)]
pub enum FakeError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The data file could not be read or holds an invalid record.
    #[error("cannot load records from {path}: {message}")]
    DataFile {
        /// The file.
        path: PathBuf,
        /// What was wrong, naming the record and field.
        message: String,
    },
    /// The page cap must allow at least one entry.
    #[error("page cap must be at least 1")]
    PageCap,
    /// A write rule names an unknown field or a value of the wrong type.
    #[error("invalid write rule: {0}")]
    WriteRule(String),
    /// An extra user has no name or the main user's.
    #[error("invalid user: {0}")]
    User(String),
}

/// A running fake CRM.
#[derive(Debug)]
pub struct FakeCrm {
    addr: SocketAddr,
    state: FakeState,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl FakeCrm {
    /// Builds the data, binds `bind:port` and serves until [`FakeCrm::shutdown`].
    pub async fn start(config: FakeConfig) -> Result<FakeCrm, FakeError> {
        if config.page_cap == 0 {
            return Err(FakeError::PageCap);
        }
        let rules = config
            .write_rules
            .iter()
            .cloned()
            .map(crate::rules::compile)
            .collect::<Result<Vec<_>, _>>()
            .map_err(FakeError::WriteRule)?;
        let mut store = Store::new(config.seed);
        let clock = config.now.map_or_else(Clock::system, Clock::fixed);
        match &config.data_file {
            Some(path) => crate::load::load_file(&mut store, path)?,
            None => generate(
                &mut store,
                SeedSpec {
                    leads: config.leads,
                    contacts: config.contacts,
                    accounts: config.accounts,
                    opportunities: config.opportunities,
                    seed: config.seed,
                },
            ),
        }
        let (stop, shutdown) = watch::channel(false);
        let state = FakeState {
            shared: Arc::new(Shared {
                store: RwLock::new(store),
                settings: Settings {
                    username: config.username.clone(),
                    password: config.password.clone(),
                    page_cap: config.page_cap,
                    json_dates: config.json_dates,
                    require_if_match: config.require_if_match,
                },
                clock,
                stats: Mutex::new(Stats::default()),
                faults: Mutex::new(Engine::new(config.faults.clone())),
                rules: RwLock::new(rules),
                users: RwLock::new(Vec::new()),
                shutdown,
                omit_next_links: AtomicBool::new(config.omit_next_links),
            }),
        };
        for user in &config.users {
            state
                .add_user(user.clone())
                .map_err(|d| FakeError::User(d.message))?;
        }
        let addr = SocketAddr::new(config.bind, config.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| FakeError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| FakeError::Bind { addr, source })?;
        let app = router(state.clone());
        let mut signal = stop.subscribe();
        let task = tokio::spawn(async move {
            let serve = axum::serve(
                CuttableListener { inner: listener },
                app.into_make_service_with_connect_info::<ConnHandle>(),
            )
            .with_graceful_shutdown(async move {
                let _ = signal.wait_for(|stopped| *stopped).await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "fake CRM server failed");
            }
        });
        tracing::info!(%addr, "fake Infor CRM listening");
        Ok(FakeCrm {
            addr,
            state,
            stop,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`, what a marketer would type as the CRM address.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The in-process handle on data, clock, faults and statistics.
    pub fn state(&self) -> FakeState {
        self.state.clone()
    }

    /// Stops serving: ends hanging requests and open connections, then returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(5), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }

    /// Serves until `signal` completes (used by the binary for Ctrl-C).
    pub async fn run_until(self, signal: impl std::future::Future<Output = ()>) {
        signal.await;
        self.shutdown().await;
    }
}

fn router(state: FakeState) -> Router {
    Router::new()
        .nest("/_admin", crate::admin::router())
        .fallback(crate::routes::sdata)
        .with_state(state)
}
