//! Application wiring: the shared state every handler and background task gets,
//! start-up (database, migrations, master key) and the HTTP server.

use std::{future::Future, net::SocketAddr, sync::Arc};

use listbridge_connector::{ConnectorRegistry, OutboundGuard};
use tokio::net::TcpListener;

use crate::{
    client_address::{ForwardedHeader, TrustedProxies},
    clock::{Clock, OsRandom, Random, SystemClock},
    config::{AlertSettings, Config, ConsoleConfig, CrmLimits, SalesforceSettings},
    connectors::{ConnectAttempts, ConnectorCache, ConnectorService},
    engine::RunLimits,
    forms::{IntakeCache, IntakeLimits, IntakeWriter},
    http,
    jobs::WorkerConfig,
    metrics::Metrics,
    scheduling,
    secrets::{Cipher, SecretError, load_cipher},
    store::{Store, StoreError},
    workers,
};

/// Everything a request handler or worker needs. Cheap to clone (all shared).
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The time source for every recorded timestamp.
    pub clock: Arc<dyn Clock>,
    /// The randomness source for ids, keys and nonces.
    pub random: Arc<dyn Random>,
    /// Encrypts secrets at rest.
    pub cipher: Cipher,
    /// The connector kinds this build knows.
    pub registry: Arc<ConnectorRegistry>,
    /// Live connectors shared by every task that uses them.
    pub connector_cache: ConnectorCache,
    /// Where outbound requests may go (`allow_private_hosts`): every connector is built
    /// with it.
    pub outbound: OutboundGuard,
    /// Each account's budget of *Connect* and *Reconfirm Login* attempts.
    pub connect_attempts: ConnectAttempts,
    /// Wakes this instance's job dispatcher when a job is queued here.
    pub job_signal: Arc<tokio::sync::Notify>,
    /// How this instance's background workers behave.
    pub workers: WorkerConfig,
    /// Size and rate limits of the public form endpoint `/f/{form_key}`.
    pub form_intake: IntakeLimits,
    /// Request budget, timeout and attempts of connectors without their own.
    pub crm_limits: CrmLimits,
    /// The page and time caps every run keeps to.
    pub run_limits: RunLimits,
    /// How often this instance's scheduler looks for due slots.
    pub scheduler_tick: std::time::Duration,
    /// Stores accepted form submissions, many per transaction under load.
    pub intake_writer: IntakeWriter,
    /// Forms the public endpoint read a moment ago, with their field usages.
    pub intake_cache: IntakeCache,
    /// The web console's cookies and session idle time.
    pub console: ConsoleConfig,
    /// Proxies whose forwarding headers name the client, for the limits counted per
    /// client (form posts, sign-in attempts); see [`crate::client_address`].
    pub trusted_proxies: TrustedProxies,
    /// The one header those proxies write the client's address to.
    pub forwarded_header: ForwardedHeader,
    /// The metrics recorder's handle and where `/metrics` is served, behind which token.
    pub metrics: Metrics,
    /// When alerts about failures that come one at a time (rejected form submissions)
    /// speak up.
    pub alert_settings: AlertSettings,
}

impl AppState {
    /// Connect, verify and open CRM connectors.
    pub fn connectors(&self) -> ConnectorService<'_> {
        ConnectorService {
            store: &self.store,
            clock: self.clock.as_ref(),
            random: self.random.as_ref(),
            cipher: &self.cipher,
            registry: &self.registry,
            cache: &self.connector_cache,
            outbound: &self.outbound,
            attempts: &self.connect_attempts,
            crm_limits: &self.crm_limits,
        }
    }
}

/// Why the service could not start. Each names what it was trying to use.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The master key is missing or invalid.
    #[error(transparent)]
    Secrets(#[from] SecretError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// The registry of every connector kind compiled into this build, with default settings.
pub fn default_registry() -> ConnectorRegistry {
    connector_registry(&SalesforceSettings::default())
}

/// The registry of every connector kind compiled into this build, Salesforce's paced by
/// the operator's settings.
pub fn connector_registry(pacing: &SalesforceSettings) -> ConnectorRegistry {
    let mut registry = ConnectorRegistry::new();
    infor_crm::register(&mut registry);
    let options = salesforce::SalesforceOptions {
        api_budget: salesforce::ApiBudget {
            slow_down_at: f64::from(pacing.slow_down_percent) / 100.0,
            slowed_interval: std::time::Duration::from_millis(u64::from(pacing.slowed_interval_ms)),
        },
        bulk: salesforce::BulkOptions {
            threshold: u64::from(pacing.bulk_threshold),
            ..salesforce::BulkOptions::default()
        },
        ..salesforce::SalesforceOptions::default()
    };
    registry.register(Arc::new(salesforce::SalesforceFactory::with_options(
        options,
    )));
    registry
}

/// Options for [`build_state`] that tests replace.
#[derive(Debug, Clone)]
pub struct Services {
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// Randomness source.
    pub random: Arc<dyn Random>,
    /// Connector kinds.
    pub registry: Arc<ConnectorRegistry>,
    /// Background workers.
    pub workers: WorkerConfig,
    /// Size and rate limits of the public form endpoint.
    pub form_intake: IntakeLimits,
}

impl Default for Services {
    fn default() -> Self {
        Services {
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            registry: Arc::new(default_registry()),
            workers: WorkerConfig::default(),
            form_intake: IntakeLimits::default(),
        }
    }
}

/// Opens and migrates the database and loads the master key.
pub async fn build_state(config: &Config, services: Services) -> Result<AppState, StartupError> {
    let store = Store::connect(&config.database_url).await?;
    store.migrate().await?;
    let cipher = load_cipher(config, services.random.clone())?;
    let intake_writer = IntakeWriter::spawn(store.clone(), services.clock.clone());
    Ok(AppState {
        intake_writer,
        intake_cache: IntakeCache::default(),
        store,
        clock: services.clock,
        random: services.random,
        cipher,
        registry: services.registry,
        connector_cache: ConnectorCache::default(),
        outbound: OutboundGuard::new(config.allow_private_hosts.clone()),
        connect_attempts: ConnectAttempts::default(),
        job_signal: Arc::default(),
        workers: services.workers,
        form_intake: services.form_intake.with_settings(&config.form_limits),
        trusted_proxies: config.trusted_proxies.clone(),
        forwarded_header: config.forwarded_header,
        crm_limits: config.crm,
        run_limits: RunLimits::new(config.work.run_max_pages, config.work.run_max_seconds),
        scheduler_tick: std::time::Duration::from_millis(u64::from(config.scheduler_tick_ms)),
        console: config.console,
        metrics: Metrics::from_config(config),
        alert_settings: config.alerts,
    })
}

/// Binds the configured address.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { addr, source })
}

/// How long running jobs get to finish after shutdown is asked for; whatever is still
/// running then is resumed from its checkpoint by the next instance to claim it.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves the API on `listener` and runs the background workers until `shutdown`
/// completes, then finishes in-flight requests and gives running jobs a short grace.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_workers, stopped) = tokio::sync::watch::channel(false);
    // Bound first: an address in use stops start-up before any background work begins.
    let (stop_metrics, metrics_stopped) = tokio::sync::watch::channel(false);
    let metrics_server = match state.metrics.bind() {
        Some(addr) => Some(serve_metrics(addr, state.clone(), metrics_stopped).await?),
        None => None,
    };
    let scheduler =
        scheduling::spawn_scheduler(state.clone(), state.scheduler_tick, stopped.clone());
    let workers = workers::spawn_workers(state.clone(), state.workers.clone(), stopped);
    let (router, _doc) = http::router(state);
    let served = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    let _ = stop_workers.send(true);
    let _ = stop_metrics.send(true);
    if let Some(metrics_server) = metrics_server
        && tokio::time::timeout(SHUTDOWN_GRACE, metrics_server)
            .await
            .is_err()
    {
        tracing::warn!("the metrics listener did not stop in time");
    }
    if tokio::time::timeout(SHUTDOWN_GRACE, scheduler)
        .await
        .is_err()
    {
        tracing::warn!("the scheduler did not stop in time");
    }
    let abort = workers.abort_handle();
    if tokio::time::timeout(SHUTDOWN_GRACE, workers).await.is_err() {
        abort.abort();
        tracing::warn!("jobs still running at shutdown will resume on the next start");
    }
    served
}

/// Serves `/metrics` alone on its own `metrics_bind` address until `stopped` turns
/// true; the bind error names the setting.
async fn serve_metrics(
    addr: SocketAddr,
    state: AppState,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot listen on metrics_bind {addr}: {e}"),
        )
    })?;
    tracing::info!(%addr, "metrics are served on their own address");
    let router = crate::metrics::routes().with_state(state);
    Ok(tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await;
        if let Err(err) = served {
            tracing::error!(error = %err, "the metrics listener failed");
        }
    }))
}
