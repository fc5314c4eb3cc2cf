//! Starting and stopping the server: [`FakeConfig`], [`FakeSalesforce`] and
//! [`FakeError`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use axum::Router;
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::Tokens;
use crate::bulk::Jobs;
use crate::cursor::Cursors;
use crate::faults::{Engine, FaultConfig};
use crate::id::SfId;
use crate::limits::{DEFAULT_DAILY_MAX, Limits};
use crate::seed::{SeedSpec, generate};
use crate::state::{FakeState, Settings, Shared};
use crate::stats::Stats;
use crate::store::Store;
use fake_kit::Clock;
use fake_kit::{ConnHandle, CuttableListener};

/// How to start a fake Salesforce. `Default` gives an empty org on a random loopback
/// port with client `demo-client` / `demo-secret`, user `integration@listbridge.example`
/// and a page cap of 2000.
#[derive(Clone)]
pub struct FakeConfig {
    /// Generated leads.
    pub leads: usize,
    /// Generated contacts.
    pub contacts: usize,
    /// Generated tasks.
    pub tasks: usize,
    /// Seed for generated data.
    pub seed: u64,
    /// The connected app's consumer key (OAuth `client_id`, JWT `iss`).
    pub client_id: String,
    /// The connected app's consumer secret.
    pub client_secret: String,
    /// The integration user's username (JWT `sub`).
    pub username: String,
    /// The most records a query page holds.
    pub page_cap: usize,
    /// The daily API request allowance.
    pub daily_api_max: u64,
    /// Seconds an access token lives.
    pub token_ttl_secs: i64,
    /// Status polls a Bulk API query job answers `InProgress` before `JobComplete`.
    pub bulk_polls: u32,
    /// TCP port; 0 picks a free one.
    pub port: u16,
    /// Address to bind; loopback by default.
    pub bind: IpAddr,
    /// Pin the clock at this time (None = system time).
    pub now: Option<DateTime<Utc>>,
    /// Faults active from the start.
    pub faults: FaultConfig,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            leads: 0,
            contacts: 0,
            tasks: 0,
            seed: 1,
            client_id: "demo-client".into(),
            client_secret: "demo-secret".into(),
            username: "integration@listbridge.example".into(),
            page_cap: 2000,
            daily_api_max: DEFAULT_DAILY_MAX,
            token_ttl_secs: 7200,
            bulk_polls: 0,
            port: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            now: None,
            faults: FaultConfig::default(),
        }
    }
}

impl std::fmt::Debug for FakeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeConfig")
            .field("leads", &self.leads)
            .field("contacts", &self.contacts)
            .field("tasks", &self.tasks)
            .field("seed", &self.seed)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("username", &self.username)
            .field("page_cap", &self.page_cap)
            .field("daily_api_max", &self.daily_api_max)
            .field("token_ttl_secs", &self.token_ttl_secs)
            .field("bulk_polls", &self.bulk_polls)
            .field("port", &self.port)
            .field("bind", &self.bind)
            .field("now", &self.now)
            .field("faults", &self.faults)
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
    /// The page cap must allow at least one record.
    #[error("page cap must be at least 1")]
    PageCap,
}

/// A running fake Salesforce.
#[derive(Debug)]
pub struct FakeSalesforce {
    addr: SocketAddr,
    state: FakeState,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl FakeSalesforce {
    /// Builds the data, binds `bind:port` and serves until [`FakeSalesforce::shutdown`].
    pub async fn start(config: FakeConfig) -> Result<FakeSalesforce, FakeError> {
        if config.page_cap == 0 {
            return Err(FakeError::PageCap);
        }
        let mut store = Store::new();
        generate(
            &mut store,
            SeedSpec {
                leads: config.leads,
                contacts: config.contacts,
                tasks: config.tasks,
                seed: config.seed,
            },
        );
        let clock = config.now.map_or_else(Clock::system, Clock::fixed);
        let (stop, shutdown) = watch::channel(false);
        let state = FakeState {
            shared: Arc::new(Shared {
                store: RwLock::new(store),
                settings: Settings {
                    client_id: config.client_id.clone(),
                    client_secret: config.client_secret.clone(),
                    username: config.username.clone(),
                    page_cap: config.page_cap,
                    token_ttl_secs: config.token_ttl_secs,
                    bulk_polls: config.bulk_polls,
                    org_id: SfId::new("00D", 1),
                    user_id: SfId::new("005", 1),
                },
                clock,
                stats: Mutex::new(Stats::default()),
                faults: Mutex::new(Engine::new(config.faults.clone())),
                tokens: Mutex::new(Tokens::default()),
                limits: Mutex::new(Limits::new(config.daily_api_max)),
                cursors: Mutex::new(Cursors::default()),
                jobs: Mutex::new(Jobs::default()),
                shutdown,
                base_url: OnceLock::new(),
            }),
        };
        let addr = SocketAddr::new(config.bind, config.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| FakeError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| FakeError::Bind { addr, source })?;
        let _ = state.shared.base_url.set(format!("http://{addr}"));
        let app = Router::new()
            .nest("/_admin", crate::admin::router())
            .fallback(crate::routes::entry)
            .with_state(state.clone());
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
                tracing::error!(error = %e, "fake Salesforce server failed");
            }
        });
        tracing::info!(%addr, "fake Salesforce listening");
        Ok(FakeSalesforce {
            addr,
            state,
            stop,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`: the login URL and the `instance_url` tokens carry.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The in-process handle on data, clock, faults, limits and statistics.
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
