//! [`CallTrackingApi`]: the [`ConversionDestination`] posting batches to a platform's API.

use std::{num::NonZeroU32, time::Duration};

use async_trait::async_trait;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use listbridge_connector::{
    ConversionDestination, ConversionRow, DestinationError, OutboundGuard, RowOutcome, outbound,
    retry::{self, Backoff, RetryPolicy},
};
use reqwest::{StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;
use url::Url;

use crate::wire::{Answer, Batch, ErrorBody, WireRow};

/// The destination kind name.
pub const KIND: &str = "call-tracking-api";

/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The most bytes of an answer read (a batch's answer is a few hundred bytes a row).
const MAX_ANSWER_BYTES: usize = 4 << 20;

/// Where and how to send: the platform's base URL, its API token, and the budget.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The platform's API address, e.g. `https://api.example.com`.
    pub base_url: Url,
    /// The bearer token the platform issued. Never logged or shown.
    pub token: SecretString,
    /// Rows per batch (the platform takes at most 1,000).
    pub batch_size: usize,
    /// Requests per second at most.
    pub requests_per_second: NonZeroU32,
    /// Attempts per batch (the first included) before the send fails as unavailable.
    pub max_attempts: u32,
    /// Waits between attempts.
    pub backoff: Backoff,
}

/// A call-tracking platform's conversion API.
#[derive(Debug)]
pub struct CallTrackingApi {
    http: reqwest::Client,
    endpoint: Url,
    shown: String,
    token: SecretString,
    batch_size: usize,
    limiter: DefaultDirectRateLimiter,
    retry: RetryPolicy,
}

/// One attempt's failure: retry it (with the platform's `Retry-After`), or give up.
enum Failure {
    Transient {
        message: String,
        retry_after: Option<Duration>,
    },
    Final(String),
}

impl CallTrackingApi {
    /// A destination for `config` whose requests keep `outbound`'s policy: the address
    /// is checked here, and every connection by the guarded resolver.
    pub fn new(config: ApiConfig, outbound: &OutboundGuard) -> Result<Self, DestinationError> {
        outbound
            .check_url(&config.base_url)
            .map_err(|e| DestinationError::Refused(e.to_string()))?;
        let endpoint = config
            .base_url
            .join("v1/conversions")
            .map_err(|e| DestinationError::Refused(format!("the platform address: {e}")))?;
        let http = outbound
            .client_builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| DestinationError::Refused(format!("cannot build an HTTP client: {e}")))?;
        Ok(CallTrackingApi {
            http,
            shown: outbound::shown(&endpoint),
            endpoint,
            token: config.token,
            batch_size: config.batch_size.clamp(1, 1_000),
            limiter: RateLimiter::direct(Quota::per_second(config.requests_per_second)),
            retry: RetryPolicy::new(config.max_attempts, config.backoff),
        })
    }

    /// One POST of the batch.
    async fn attempt(&self, body: &[u8]) -> Result<Answer, Failure> {
        self.limiter.until_ready().await;
        let sent = self
            .http
            .post(self.endpoint.clone())
            .bearer_auth(self.token.expose_secret())
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) if outbound::is_refusal(&e) => {
                return Err(Failure::Final(format!(
                    "{} is not an address listbridge may reach",
                    self.shown
                )));
            }
            Err(e) => {
                return Err(Failure::Transient {
                    message: format!("{} did not answer: {}", self.shown, transport_words(&e)),
                    retry_after: None,
                });
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry::parse_retry_after(v, chrono::Utc::now()));
        let text = read_limited(response)
            .await
            .map_err(|e| Failure::Transient {
                message: format!(
                    "{} answered {status} but the body broke off: {e}",
                    self.shown
                ),
                retry_after: None,
            })?;
        if status.is_success() {
            return serde_json::from_slice::<Answer>(&text).map_err(|e| Failure::Transient {
                message: format!(
                    "{} answered {status} with an unreadable body: {e}",
                    self.shown
                ),
                retry_after: None,
            });
        }
        let words = serde_json::from_slice::<ErrorBody>(&text)
            .map(|b| b.error)
            .unwrap_or_else(|_| String::from_utf8_lossy(&text).chars().take(200).collect());
        let message = format!("{} answered {status}: {words}", self.shown);
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Err(Failure::Transient {
                message,
                retry_after,
            })
        } else {
            Err(Failure::Final(message))
        }
    }
}

#[async_trait]
impl ConversionDestination for CallTrackingApi {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn batch_size(&self) -> usize {
        self.batch_size
    }

    async fn send(&self, rows: &[ConversionRow]) -> Result<Vec<RowOutcome>, DestinationError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let batch = Batch {
            conversions: rows.iter().map(WireRow::of).collect(),
        };
        let body = serde_json::to_vec(&batch)
            .map_err(|e| DestinationError::Refused(format!("cannot write the batch: {e}")))?;
        let mut attempt = 1;
        loop {
            let span = tracing::info_span!(
                "destination request",
                kind = KIND,
                rows = rows.len(),
                attempt
            );
            let failure = match self.attempt(&body).instrument(span).await {
                Ok(answer) => return outcomes(rows, answer, &self.shown),
                Err(failure) => failure,
            };
            let (message, retry_after) = match failure {
                Failure::Final(message) => return Err(DestinationError::Refused(message)),
                Failure::Transient {
                    message,
                    retry_after,
                } => (message, retry_after),
            };
            let wait = self
                .retry
                .delay(attempt + 1, retry_after, retry::jitter_sample());
            match wait {
                Some(wait) if attempt < self.retry.max_attempts => {
                    tracing::warn!(attempt, wait_ms = wait.as_millis() as u64, %message, "conversion batch will be sent again");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                _ => {
                    return Err(DestinationError::Unavailable {
                        message: format!("{message} (after {attempt} attempts)"),
                        retry_after_seconds: retry_after.map(|d| d.as_secs()),
                    });
                }
            }
        }
    }
}

/// One outcome per row, in order, from an answer keyed by idempotency key. An answer
/// that leaves a row out, or states what the platform does not document, is not
/// trusted: the batch is sent again (its keys make that safe).
fn outcomes(
    rows: &[ConversionRow],
    answer: Answer,
    shown: &str,
) -> Result<Vec<RowOutcome>, DestinationError> {
    let mut by_key: std::collections::HashMap<String, RowOutcome> =
        std::collections::HashMap::new();
    for result in answer.results {
        let key = result.idempotency_key.clone();
        let status = result.status.clone();
        let outcome = result
            .outcome()
            .ok_or_else(|| DestinationError::Unavailable {
                message: format!("{shown} answered row {key} with an unknown status '{status}'"),
                retry_after_seconds: None,
            })?;
        by_key.insert(key, outcome);
    }
    rows.iter()
        .map(|row| {
            by_key
                .remove(&row.key)
                .ok_or_else(|| DestinationError::Unavailable {
                    message: format!("{shown} answered without row {}", row.key),
                    retry_after_seconds: None,
                })
        })
        .collect()
}

/// A transport error in words that name no secret (reqwest's text holds at most the
/// URL, which carries none: the token travels in a header).
fn transport_words(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "the connection was refused or dropped".into()
    } else {
        e.to_string()
    }
}

/// The body, at most [`MAX_ANSWER_BYTES`].
async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_words(&e))? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(format!(
                "the answer is larger than {MAX_ANSWER_BYTES} bytes"
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
