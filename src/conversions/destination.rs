//! Where an export's rows go: the settings people give (and see), checked once, and the
//! live [`ConversionDestination`] built from them. The platform's token, SFTP password
//! or private key is sealed at rest like a CRM password and never shown again
//! (`secret_set`). An SFTP server's host key is pinned at set-up: fetched and shown for
//! confirmation as `ssh` does, then any other key is refused.

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use call_tracking::{ApiConfig, CallTrackingApi};
use listbridge_connector::{ConversionDestination, OutboundGuard, retry::Backoff};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sftp_drop::{SftpAuth, SftpConfig, SftpDrop};
use url::Url;
use utoipa::ToSchema;

use super::ConversionError;

/// Rows per request unless the export says otherwise.
const DEFAULT_BATCH_SIZE: usize = 500;
/// The most rows per request the platform API takes.
const MAX_BATCH_SIZE: usize = 1000;
/// Requests per second unless the export says otherwise.
const DEFAULT_REQUESTS_PER_SECOND: u32 = 5;
/// Attempts per batch before a run gives up for now (the next run sends the rows again).
const MAX_ATTEMPTS: u32 = 5;
/// Rows per file of an SFTP drop unless the export says otherwise.
const DEFAULT_FILE_ROWS: usize = 10_000;
/// The most rows per file.
const MAX_FILE_ROWS: usize = 50_000;
/// How long each SSH step may take.
pub const SFTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The destination as given on create: the platform's API, or CSV downloads only.
/// (Other members are ignored, as the document's `oneOf` of open objects allows.)
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DestinationInput {
    /// JSON batches POSTed to the platform's conversions API.
    CallTrackingApi {
        /// The platform's API address, e.g. `https://api.example.com`.
        #[schema(example = "https://api.example.com", pattern = r"\S")]
        base_url: String,
        /// The API token the platform issued; stored encrypted, never returned.
        #[schema(value_type = String, format = Password)]
        token: SecretString,
        /// Rows per request (1 to 1,000; 500 when absent).
        #[serde(default)]
        #[schema(minimum = 1, maximum = 1000)]
        batch_size: Option<usize>,
        /// Requests per second at most (1 to 100; 5 when absent).
        #[serde(default)]
        #[schema(minimum = 1, maximum = 100)]
        requests_per_second: Option<u32>,
    },
    /// One CSV file per batch in the platform's SFTP directory, written under a
    /// temporary name and renamed when complete.
    Sftp {
        /// The SFTP server's host name or address.
        #[schema(example = "sftp.example.com", pattern = r"\S")]
        host: String,
        /// Its port (22 when absent).
        #[serde(default)]
        #[schema(minimum = 1, maximum = 65535)]
        port: Option<u16>,
        /// The account's user name.
        #[schema(pattern = r"\S")]
        username: String,
        /// The account's password (or give `private_key`); stored encrypted.
        #[serde(default)]
        #[schema(value_type = Option<String>, format = Password)]
        password: Option<SecretString>,
        /// An unencrypted OpenSSH private key (or give `password`); stored encrypted.
        #[serde(default)]
        #[schema(value_type = Option<String>, format = Password)]
        private_key: Option<SecretString>,
        /// The server's host key fingerprint (`SHA256:…`) as confirmed from
        /// `POST /v1/conversion-exports/host-key`; without it the save is refused with
        /// the fingerprint the server shows, for confirmation.
        #[serde(default)]
        host_key: Option<String>,
        /// The directory the platform collects files from.
        #[schema(example = "/upload", pattern = r"\S")]
        directory: String,
        /// Rows per file (1 to 50,000; 10,000 when absent).
        #[serde(default)]
        #[schema(minimum = 1, maximum = 50000)]
        batch_size: Option<usize>,
    },
    /// No sending: the rows are kept for *Download CSV*.
    Download,
}

/// How an SFTP destination logs in (the secret itself is sealed apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SftpLogin {
    /// A password.
    Password,
    /// A private key.
    PrivateKey,
}

/// The destination as stored (without the token) and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Destination {
    /// The platform's conversions API.
    CallTrackingApi {
        /// The platform's API address.
        base_url: String,
        /// Rows per request.
        batch_size: usize,
        /// Requests per second at most.
        requests_per_second: u32,
    },
    /// CSV files over SFTP.
    Sftp {
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// User name.
        username: String,
        /// Password or private key.
        login: SftpLogin,
        /// The pinned host key fingerprint.
        host_key: String,
        /// The directory.
        directory: String,
        /// Rows per file.
        batch_size: usize,
    },
    /// CSV downloads only.
    Download,
}

impl Destination {
    /// The stored kind name.
    pub fn kind(&self) -> &'static str {
        match self {
            Destination::CallTrackingApi { .. } => "call_tracking_api",
            Destination::Sftp { .. } => "sftp",
            Destination::Download => "download",
        }
    }

    /// Whether runs send rows anywhere.
    pub fn sends(&self) -> bool {
        !matches!(self, Destination::Download)
    }
}

/// Checks `input` against the outbound policy (an SFTP server is asked for its host key
/// when none is confirmed yet); answers the settings to store and the secret to seal.
pub async fn check(
    guard: &OutboundGuard,
    input: DestinationInput,
) -> Result<(Destination, Option<SecretString>), ConversionError> {
    let DestinationInput::Sftp {
        host,
        port,
        username,
        password,
        private_key,
        host_key,
        directory,
        batch_size,
    } = input
    else {
        return check_api(guard, input);
    };
    let invalid = |field, message: String| ConversionError::Invalid { field, message };
    let host = host.trim().to_string();
    if host.is_empty() || host.contains(['/', ' ', '@']) {
        return Err(invalid(
            "destination.host",
            "must be a host name or address".into(),
        ));
    }
    let port = port.unwrap_or(22);
    if port == 0 {
        return Err(invalid("destination.port", "must be 1 to 65535".into()));
    }
    let username = username.trim().to_string();
    if username.is_empty() {
        return Err(invalid("destination.username", "must not be empty".into()));
    }
    let (login, secret) = match (password, private_key) {
        (Some(p), None) if !p.expose_secret().is_empty() => (SftpLogin::Password, p),
        (None, Some(k)) if !k.expose_secret().trim().is_empty() => (SftpLogin::PrivateKey, k),
        _ => {
            return Err(invalid(
                "destination.password",
                "give exactly one of password or private_key".into(),
            ));
        }
    };
    let directory = directory.trim().to_string();
    if directory.is_empty() {
        return Err(invalid("destination.directory", "must not be empty".into()));
    }
    let batch_size = batch_size.unwrap_or(DEFAULT_FILE_ROWS);
    if !(1..=MAX_FILE_ROWS).contains(&batch_size) {
        return Err(invalid(
            "destination.batch_size",
            format!("must be between 1 and {MAX_FILE_ROWS}, not {batch_size}"),
        ));
    }
    let shown = sftp_drop::fetch_host_key(&host, port, guard, SFTP_TIMEOUT)
        .await
        .map_err(|e| invalid("destination.host", e.to_string()))?;
    let host_key = match host_key.as_deref().map(str::trim) {
        Some(confirmed) if confirmed == shown.fingerprint => shown.fingerprint,
        Some(other) => {
            return Err(invalid(
                "destination.host_key",
                format!(
                    "the server at {host}:{port} shows the {} key {}, not {other}; check with the platform before trusting it",
                    shown.algorithm, shown.fingerprint
                ),
            ));
        }
        None => {
            return Err(invalid(
                "destination.host_key",
                format!(
                    "the server at {host}:{port} shows the {} key {}; if the platform confirms it, send it as host_key",
                    shown.algorithm, shown.fingerprint
                ),
            ));
        }
    };
    Ok((
        Destination::Sftp {
            host,
            port,
            username,
            login,
            host_key,
            directory,
            batch_size,
        },
        Some(secret),
    ))
}

/// [`check`] for the API and download destinations.
fn check_api(
    guard: &OutboundGuard,
    input: DestinationInput,
) -> Result<(Destination, Option<SecretString>), ConversionError> {
    match input {
        DestinationInput::CallTrackingApi {
            base_url,
            token,
            batch_size,
            requests_per_second,
        } => {
            let invalid = |field, message: String| ConversionError::Invalid { field, message };
            let trimmed = base_url.trim();
            let url = Url::parse(trimmed)
                .map_err(|e| invalid("destination.base_url", format!("is not a URL: {e}")))?;
            if !url.username().is_empty() || url.password().is_some() {
                return Err(invalid(
                    "destination.base_url",
                    "must not contain a user name or password; give the token instead".into(),
                ));
            }
            guard
                .check_url(&url)
                .map_err(|e| invalid("destination.base_url", e.to_string()))?;
            if token.expose_secret().trim().is_empty() {
                return Err(invalid("destination.token", "must not be empty".into()));
            }
            let batch_size = batch_size.unwrap_or(DEFAULT_BATCH_SIZE);
            if !(1..=MAX_BATCH_SIZE).contains(&batch_size) {
                return Err(invalid(
                    "destination.batch_size",
                    format!("must be between 1 and {MAX_BATCH_SIZE}, not {batch_size}"),
                ));
            }
            let requests_per_second = requests_per_second.unwrap_or(DEFAULT_REQUESTS_PER_SECOND);
            if !(1..=100).contains(&requests_per_second) {
                return Err(invalid(
                    "destination.requests_per_second",
                    format!("must be between 1 and 100, not {requests_per_second}"),
                ));
            }
            Ok((
                Destination::CallTrackingApi {
                    base_url: trimmed.to_string(),
                    batch_size,
                    requests_per_second,
                },
                Some(token),
            ))
        }
        DestinationInput::Download => Ok((Destination::Download, None)),
        DestinationInput::Sftp { .. } => Err(ConversionError::Invalid {
            field: "destination",
            message: "an SFTP destination is checked by check()".into(),
        }),
    }
}

/// The live destination of stored settings and their opened token; `None` for
/// downloads.
pub fn open(
    guard: &OutboundGuard,
    settings: &Destination,
    token: Option<SecretString>,
) -> Result<Option<Arc<dyn ConversionDestination>>, ConversionError> {
    match settings {
        Destination::CallTrackingApi {
            base_url,
            batch_size,
            requests_per_second,
        } => {
            let refused = |message: String| ConversionError::Invalid {
                field: "destination",
                message,
            };
            let base_url = Url::parse(base_url).map_err(|e| refused(e.to_string()))?;
            let token = token.ok_or_else(|| refused("the token is missing".into()))?;
            let api = CallTrackingApi::new(
                ApiConfig {
                    base_url,
                    token,
                    batch_size: *batch_size,
                    requests_per_second: NonZeroU32::new(*requests_per_second)
                        .unwrap_or(NonZeroU32::MIN),
                    max_attempts: MAX_ATTEMPTS,
                    backoff: Backoff::default(),
                },
                guard,
            )
            .map_err(|e| refused(e.to_string()))?;
            Ok(Some(Arc::new(api)))
        }
        Destination::Sftp {
            host,
            port,
            username,
            login,
            host_key,
            directory,
            batch_size,
        } => {
            let refused = |message: String| ConversionError::Invalid {
                field: "destination",
                message,
            };
            let secret = token.ok_or_else(|| refused("the SFTP login is missing".into()))?;
            let drop = SftpDrop::new(
                SftpConfig {
                    host: host.clone(),
                    port: *port,
                    username: username.clone(),
                    auth: match login {
                        SftpLogin::Password => SftpAuth::Password(secret),
                        SftpLogin::PrivateKey => SftpAuth::PrivateKey(secret),
                    },
                    host_key: host_key.clone(),
                    directory: directory.clone(),
                    batch_size: *batch_size,
                    timeout: SFTP_TIMEOUT,
                },
                guard,
            )
            .map_err(|e| refused(e.to_string()))?;
            Ok(Some(Arc::new(drop)))
        }
        Destination::Download => Ok(None),
    }
}
