//! Starting and stopping the platform: [`FakePlatformConfig`] and [`FakePlatform`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use crate::{
    model::{ReferenceKind, SeededReference},
    routes::router,
    state::PlatformState,
};

/// Marketing sources the generated references are credited to, in turn.
const SOURCES: [&str; 4] = [
    "Google Ads / Brand",
    "Bing Ads / Generic",
    "Organic search",
    "Email newsletter",
];

/// How to start the platform. `Default`: a random loopback port, token `token`, and
/// no references.
#[derive(Debug, Clone)]
pub struct FakePlatformConfig {
    /// TCP port; 0 picks a free one.
    pub port: u16,
    /// Address to bind; loopback by default.
    pub bind: IpAddr,
    /// The bearer token clients must send.
    pub token: String,
    /// Generated call references `CR-000001`… and visitor ids `VID-000001`…, this many
    /// of each, credited to a few marketing sources in turn.
    pub generated: usize,
    /// References known besides the generated ones.
    pub references: Vec<SeededReference>,
}

impl Default for FakePlatformConfig {
    fn default() -> Self {
        FakePlatformConfig {
            port: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            token: "token".into(),
            generated: 0,
            references: Vec::new(),
        }
    }
}

/// The generated call reference number `n` (from 1).
pub fn call_reference(n: usize) -> String {
    format!("CR-{n:06}")
}

/// Why the platform could not start.
#[derive(Debug, thiserror::Error)]
pub enum FakePlatformError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A running platform.
#[derive(Debug)]
pub struct FakePlatform {
    addr: SocketAddr,
    state: PlatformState,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl FakePlatform {
    /// Seeds the references, binds `bind:port` and serves until [`FakePlatform::shutdown`].
    pub async fn start(config: FakePlatformConfig) -> Result<FakePlatform, FakePlatformError> {
        let generated = (1..=config.generated).flat_map(|n| {
            let source = SOURCES[(n - 1) % SOURCES.len()].to_string();
            [
                SeededReference {
                    kind: ReferenceKind::CallReference,
                    value: call_reference(n),
                    source: source.clone(),
                },
                SeededReference {
                    kind: ReferenceKind::VisitorId,
                    value: format!("VID-{n:06}"),
                    source,
                },
            ]
        });
        let state = PlatformState::new(
            &config.token,
            generated.chain(config.references.iter().cloned()),
        );
        let addr = SocketAddr::new(config.bind, config.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| FakePlatformError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| FakePlatformError::Bind { addr, source })?;
        let (stop, mut signal) = watch::channel(false);
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = signal.wait_for(|stopped| *stopped).await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "fake call-tracking platform failed");
            }
        });
        tracing::info!(%addr, "fake call-tracking platform listening");
        Ok(FakePlatform {
            addr,
            state,
            stop,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The in-process handle on references, rows, faults and counters.
    pub fn state(&self) -> PlatformState {
        self.state.clone()
    }

    /// Stops serving and waits for the server task.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
