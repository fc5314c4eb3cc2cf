//! Where an export's rows go: the settings people give (and see), checked once, and the
//! live [`ConversionDestination`] built from them. The platform's token is sealed at
//! rest like a CRM password and never shown again (`token_set`).

use std::{num::NonZeroU32, sync::Arc};

use call_tracking::{ApiConfig, CallTrackingApi};
use listbridge_connector::{ConversionDestination, OutboundGuard, retry::Backoff};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
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

/// The destination as given on create: the platform's API, or CSV downloads only.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
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
    /// No sending: the rows are kept for *Download CSV*.
    Download,
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
    /// CSV downloads only.
    Download,
}

impl Destination {
    /// The stored kind name.
    pub fn kind(&self) -> &'static str {
        match self {
            Destination::CallTrackingApi { .. } => "call_tracking_api",
            Destination::Download => "download",
        }
    }

    /// Whether runs send rows anywhere.
    pub fn sends(&self) -> bool {
        !matches!(self, Destination::Download)
    }
}

/// Checks `input` against the outbound policy; answers the settings to store and the
/// token to seal.
pub fn check(
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
        Destination::Download => Ok(None),
    }
}
