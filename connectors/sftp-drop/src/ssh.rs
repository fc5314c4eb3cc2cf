//! The SSH side: a TCP connection through the outbound guard, the server's host key
//! checked against the pinned fingerprint, the login, the `sftp` subsystem.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use listbridge_connector::{DestinationError, OutboundGuard};
use russh::{
    Disconnect, client,
    keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate},
};
use russh_sftp::client::SftpSession;
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpStream;
use tracing::Instrument;

/// A server's host key as `ssh` shows it on a first connection: what the marketer
/// confirms at set-up, and whose fingerprint the destination then pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKey {
    /// The key's algorithm, e.g. `ssh-ed25519`.
    pub algorithm: String,
    /// The SHA-256 fingerprint as `ssh-keygen -l` prints it: `SHA256:` and unpadded
    /// base64. This is what [`crate::SftpConfig::host_key`] holds.
    pub fingerprint: String,
    /// The public key in OpenSSH's one-line form (`ssh-ed25519 AAAA…`), for a
    /// `known_hosts` line or a comparison with what the platform publishes.
    pub openssh: String,
}

impl HostKey {
    /// The host key of `key`.
    fn of(key: &PublicKey) -> HostKey {
        HostKey {
            algorithm: key.algorithm().as_str().to_string(),
            fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
            openssh: key.to_openssh().unwrap_or_default(),
        }
    }
}

/// Connects to `host:port` (an address the guard permits), reads the server's host
/// key and disconnects without logging in: shown to the marketer at set-up so they
/// confirm the key like `ssh` asks on a first connection, before it is pinned.
pub async fn fetch_host_key(
    host: &str,
    port: u16,
    guard: &OutboundGuard,
    timeout: Duration,
) -> Result<HostKey, DestinationError> {
    let shown = format!("sftp://{}:{port}", bracketed(host));
    let span = tracing::info_span!("sftp host key", kind = crate::KIND, target = %shown);
    read_host_key(host, port, guard, timeout, &shown)
        .instrument(span)
        .await
}

/// [`fetch_host_key`] inside its span.
async fn read_host_key(
    host: &str,
    port: u16,
    guard: &OutboundGuard,
    timeout: Duration,
    shown: &str,
) -> Result<HostKey, DestinationError> {
    let tcp = open_tcp(guard, host, port, timeout, shown).await?;
    let seen = Arc::new(Mutex::new(None));
    let handler = Verifier {
        pinned: None,
        seen: seen.clone(),
    };
    let handshake = tokio::time::timeout(
        timeout,
        client::connect_stream(config(timeout), tcp, handler),
    )
    .await;
    let seen = seen.lock().ok().and_then(|mut s| s.take());
    match (seen, handshake) {
        (Some(key), Ok(Ok(handle))) => {
            let _ = handle.disconnect(Disconnect::ByApplication, "", "en").await;
            Ok(key)
        }
        (Some(key), _) => Ok(key),
        (None, Err(_)) => Err(unavailable(format!(
            "{shown} did not finish the SSH handshake within {} s",
            timeout.as_secs_f32()
        ))),
        (None, Ok(Err(e))) => Err(unavailable(format!(
            "{shown}: the SSH handshake failed: {e}"
        ))),
        (None, Ok(Ok(_))) => Err(unavailable(format!(
            "{shown}: the server showed no host key"
        ))),
    }
}

/// How the destination logs in (the secret already parsed).
pub(crate) enum Login {
    /// A password, sent inside the encrypted session.
    Password(SecretString),
    /// A private key, parsed from its OpenSSH text.
    Key(Arc<PrivateKey>),
}

/// Where and how one connection goes.
pub(crate) struct Target<'a> {
    pub guard: &'a OutboundGuard,
    pub host: &'a str,
    pub port: u16,
    pub username: &'a str,
    pub login: &'a Login,
    pub host_key: &'a str,
    pub timeout: Duration,
    /// `sftp://user@host:port/dir`, for messages.
    pub shown: &'a str,
}

/// An open SFTP session and the SSH connection it runs in (kept alive with it).
pub(crate) struct Connection {
    handle: client::Handle<Verifier>,
    pub sftp: SftpSession,
}

impl Connection {
    /// Closes the SFTP session and disconnects; errors do not matter any more.
    pub async fn close(self) {
        let _ = self.sftp.close().await;
        let _ = self
            .handle
            .disconnect(Disconnect::ByApplication, "", "en")
            .await;
    }
}

/// Connects, checks the host key against the pinned fingerprint, logs in and opens
/// the `sftp` subsystem.
pub(crate) async fn connect(target: &Target<'_>) -> Result<Connection, DestinationError> {
    let shown = target.shown;
    let timeout = target.timeout;
    let tcp = open_tcp(target.guard, target.host, target.port, timeout, shown).await?;
    let seen = Arc::new(Mutex::new(None));
    let handler = Verifier {
        pinned: Some(target.host_key.to_string()),
        seen: seen.clone(),
    };
    let handshake = tokio::time::timeout(
        timeout,
        client::connect_stream(config(timeout), tcp, handler),
    )
    .await;
    let mut handle = match handshake {
        Ok(Ok(handle)) => handle,
        failed => {
            let seen = seen.lock().ok().and_then(|mut s| s.take());
            if let Some(key) = seen.filter(|k| k.fingerprint != target.host_key) {
                return Err(DestinationError::Refused(format!(
                    "{shown}: the server's host key has changed, or this is not the server \
                     that was confirmed: it shows {} {} where {} was pinned. Someone could be \
                     intercepting the connection; check the key with the platform and \
                     confirm the new one only if they changed it",
                    key.algorithm, key.fingerprint, target.host_key
                )));
            }
            return Err(match failed {
                Err(_) => unavailable(format!(
                    "{shown} did not finish the SSH handshake within {} s",
                    timeout.as_secs_f32()
                )),
                Ok(Err(e)) => unavailable(format!("{shown}: the SSH handshake failed: {e}")),
                Ok(Ok(_)) => unavailable(format!("{shown}: the SSH handshake failed")),
            });
        }
    };
    let (method, attempt) = match target.login {
        Login::Password(password) => (
            "password",
            within(
                timeout,
                shown,
                "logging in",
                handle.authenticate_password(target.username, password.expose_secret()),
            )
            .await?,
        ),
        Login::Key(key) => {
            let hash = if key.algorithm().is_rsa() {
                within(
                    timeout,
                    shown,
                    "logging in",
                    handle.best_supported_rsa_hash(),
                )
                .await?
                .flatten()
            } else {
                None
            };
            let key = PrivateKeyWithHashAlg::new(key.clone(), hash);
            (
                "private key",
                within(
                    timeout,
                    shown,
                    "logging in",
                    handle.authenticate_publickey(target.username, key),
                )
                .await?,
            )
        }
    };
    if !attempt.success() {
        let _ = handle.disconnect(Disconnect::ByApplication, "", "en").await;
        return Err(DestinationError::Refused(format!(
            "{shown}: the server refused the login of '{}' with the {method}",
            target.username
        )));
    }
    let channel = within(
        timeout,
        shown,
        "opening a session",
        handle.channel_open_session(),
    )
    .await?;
    within(
        timeout,
        shown,
        "starting sftp",
        channel.request_subsystem(true, "sftp"),
    )
    .await?;
    let sftp_config = russh_sftp::client::Config {
        request_timeout_secs: timeout.as_secs().max(1),
        ..Default::default()
    };
    let sftp = match tokio::time::timeout(
        timeout,
        SftpSession::new_with_config(channel.into_stream(), sftp_config),
    )
    .await
    {
        Ok(Ok(sftp)) => sftp,
        Ok(Err(e)) => {
            return Err(unavailable(format!(
                "{shown}: the server's sftp subsystem did not start: {e}"
            )));
        }
        Err(_) => {
            return Err(unavailable(format!(
                "{shown}: the sftp subsystem did not start within {} s",
                timeout.as_secs_f32()
            )));
        }
    };
    Ok(Connection { handle, sftp })
}

/// A TCP connection to the first address of `host` the guard permits, within
/// `timeout`. A refused address is never contacted.
async fn open_tcp(
    guard: &OutboundGuard,
    host: &str,
    port: u16,
    timeout: Duration,
    shown: &str,
) -> Result<TcpStream, DestinationError> {
    let addresses = guard.addresses(host).await.map_err(|refused| {
        let message = format!(
            "{shown}: {refused} (private, loopback and link-local networks, and names that \
             do not resolve, are refused alike; an operator can allow it with \
             allow_private_hosts)"
        );
        if refused.lookup_failed {
            // A DNS outage may pass: try again later.
            unavailable(message)
        } else {
            DestinationError::Refused(message)
        }
    })?;
    let Some(ip) = addresses.first() else {
        return Err(DestinationError::Refused(format!(
            "{shown}: the host is not an address listbridge may reach"
        )));
    };
    let address = SocketAddr::new(*ip, port);
    match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
        Ok(Ok(tcp)) => {
            let _ = tcp.set_nodelay(true);
            Ok(tcp)
        }
        Ok(Err(e)) => Err(unavailable(format!("{shown}: cannot connect: {e}"))),
        Err(_) => Err(unavailable(format!(
            "{shown}: no connection within {} s",
            timeout.as_secs_f32()
        ))),
    }
}

/// `future` (a step of the SSH session) within `timeout`; a failure or a timeout
/// is [`DestinationError::Unavailable`] naming the step.
async fn within<T>(
    timeout: Duration,
    shown: &str,
    step: &str,
    future: impl Future<Output = Result<T, russh::Error>>,
) -> Result<T, DestinationError> {
    match tokio::time::timeout(timeout, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(unavailable(format!("{shown}: {step} failed: {e}"))),
        Err(_) => Err(unavailable(format!(
            "{shown}: {step} took longer than {} s",
            timeout.as_secs_f32()
        ))),
    }
}

/// The SSH client settings: a session idle for `timeout` is closed.
fn config(timeout: Duration) -> Arc<client::Config> {
    Arc::new(client::Config {
        inactivity_timeout: Some(timeout.max(Duration::from_secs(1))),
        ..Default::default()
    })
}

/// A transient failure.
pub(crate) fn unavailable(message: String) -> DestinationError {
    DestinationError::Unavailable {
        message,
        retry_after_seconds: None,
    }
}

/// `host` as it stands in a URL (an IPv6 literal in brackets).
pub(crate) fn bracketed(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Accepts the server only when its host key has the pinned fingerprint; records the
/// key either way, for the message or for [`fetch_host_key`] (which pins nothing and
/// so never goes past the key exchange).
struct Verifier {
    pinned: Option<String>,
    seen: Arc<Mutex<Option<HostKey>>>,
}

impl client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key = match server_public_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => HostKey::of(key),
            PublicKeyOrCertificate::Certificate(certificate) => {
                HostKey::of(&PublicKey::from(certificate.public_key().clone()))
            }
        };
        let matches = self.pinned.as_deref() == Some(key.fingerprint.as_str());
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(key);
        }
        Ok(matches)
    }
}
