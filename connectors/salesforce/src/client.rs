//! The HTTP side of the connector: one reqwest client per connector with a bearer token
//! (refreshed once on `401 INVALID_SESSION_ID`), a request budget (`governor` rate and
//! burst plus a semaphore for concurrency), a per-request timeout, the response size cap,
//! and retries with the SDK's backoff for 5xx, timeouts, dropped connections and 429 with
//! `Retry-After`. Past a share of the org's daily API allowance (`Sforce-Limit-Info`,
//! [`ApiBudget`]) requests are spaced out; a `403 REQUEST_LIMIT_EXCEEDED` (the allowance
//! is used up) ends at once: retrying would only burn more of a budget that is gone.
//!
//! Every attempt runs in a `tracing` span with method, sObject, attempt, status and
//! duration: never the token, the secret or the query string (it holds emails).

use std::{
    num::NonZeroU32,
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    time::Duration,
};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use listbridge_connector::{
    ConnectorError, OutboundError, OutboundGuard, RateLimit, outbound,
    retry::{self, RetryPolicy},
};
use reqwest::{
    Method, StatusCode,
    header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER},
};
use secrecy::ExposeSecret;
use tokio::sync::{Mutex, Semaphore};
use tracing::Instrument;
use url::Url;

pub(crate) use crate::request::{Failure, Reply, Request};
use crate::{
    ApiBudget,
    auth::{self, Credentials, Token},
    errors,
};

/// Why one attempt produced no reply.
enum SendError {
    Transport(reqwest::Error),
    TooLarge { limit: u64 },
}

impl From<reqwest::Error> for SendError {
    fn from(error: reqwest::Error) -> Self {
        SendError::Transport(error.without_url())
    }
}

/// One answer as sent, before retry decisions.
struct Raw {
    status: StatusCode,
    retry_after: Option<Duration>,
    body: String,
    locator: Option<String>,
}

/// The transport for one org.
pub(crate) struct Client {
    http: reqwest::Client,
    base: Url,
    api_version: String,
    credentials: Credentials,
    token: Mutex<Option<Token>>,
    limiter: DefaultDirectRateLimiter,
    permits: Semaphore,
    pub retry: RetryPolicy,
    timeout: Duration,
    max_response_bytes: u64,
    /// The last `Sforce-Limit-Info: api-usage=n/m` seen: `n` and `m`.
    used: AtomicU64,
    max: AtomicU64,
    /// Past which share of the allowance requests slow down, and to what pace.
    budget: ApiBudget,
    slowed: DefaultDirectRateLimiter,
    /// Whether the "allowance nearly used up" warning was logged.
    warned: AtomicBool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("api_version", &self.api_version)
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Statuses that say "try again".
fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

impl Client {
    /// Builds the client (no network traffic); the base URL is checked by `outbound`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        base_url: &str,
        api_version: &str,
        credentials: Credentials,
        rate: RateLimit,
        retry: RetryPolicy,
        timeout: Duration,
        max_response_bytes: u64,
        outbound: &OutboundGuard,
        budget: ApiBudget,
    ) -> Result<Client, ConnectorError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let trimmed = base_url.trim().trim_end_matches('/');
        let base = Url::parse(&format!("{trimmed}/")).map_err(|e| ConnectorError::Invalid {
            message: format!("the Salesforce My Domain URL is not usable: {e}"),
        })?;
        outbound.check_url(&base)?;
        let version_ok = api_version
            .strip_prefix('v')
            .and_then(|v| v.strip_suffix(".0"))
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
        if !version_ok {
            return Err(ConnectorError::Invalid {
                message: format!("'{api_version}' is not a Salesforce API version (vNN.0)"),
            });
        }
        let origin = base.origin();
        let policy = outbound.redirect_policy(5, move |url| url.origin() == origin);
        let http = outbound
            .client_builder()
            .redirect(policy)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("listbridge-salesforce/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConnectorError::Invalid {
                message: format!("could not set up HTTP: {}", e.without_url()),
            })?;
        let per_second = NonZeroU32::new(rate.requests_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
        Ok(Client {
            http,
            base,
            api_version: api_version.to_string(),
            credentials,
            token: Mutex::new(None),
            limiter: RateLimiter::direct(Quota::per_second(per_second).allow_burst(burst)),
            permits: Semaphore::new(rate.concurrency.max(1)),
            retry,
            timeout,
            max_response_bytes: max_response_bytes.max(1),
            used: AtomicU64::new(0),
            max: AtomicU64::new(0),
            slowed: RateLimiter::direct(
                Quota::with_period(budget.slowed_interval.max(Duration::from_millis(1)))
                    .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)),
            ),
            budget,
            warned: AtomicBool::new(false),
        })
    }

    /// The My Domain URL, for error messages.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The pinned API version (`v62.0`).
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// `{base}/services/data/{version}/{path}`.
    pub fn data_url(&self, path: &str) -> Result<Url, ConnectorError> {
        self.url(&format!("services/data/{}/{path}", self.api_version))
    }

    /// `{base}/{path}` (a `nextRecordsUrl` is absolute-path: its leading `/` is dropped).
    pub fn url(&self, path: &str) -> Result<Url, ConnectorError> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| ConnectorError::Invalid {
                message: format!("could not build a Salesforce URL: {e}"),
            })
    }

    /// Whether the org's allowance, as Salesforce last reported it, is past the budget's
    /// share: requests are then spaced out.
    fn running_low(&self) -> bool {
        let (used, max) = (
            self.used.load(Ordering::Relaxed),
            self.max.load(Ordering::Relaxed),
        );
        max > 0 && used as f64 >= self.budget.slow_down_at * max as f64
    }

    /// The API usage Salesforce last reported: `(used, allowed)` today.
    pub fn api_usage(&self) -> Option<(u64, u64)> {
        let max = self.max.load(Ordering::Relaxed);
        (max > 0).then(|| (self.used.load(Ordering::Relaxed), max))
    }

    /// The current token, buying one when there is none or when `stale` (the token a
    /// request was refused with) is still the cached one.
    pub async fn token(&self, stale: Option<&Token>) -> Result<Token, ConnectorError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref()
            && stale.is_none_or(|s| !s.same(token))
        {
            return Ok(token.clone());
        }
        let token = self.fetch_token().await?;
        *cached = Some(token.clone());
        Ok(token)
    }

    async fn fetch_token(&self) -> Result<Token, ConnectorError> {
        let request = Request {
            method: Method::POST,
            url: self.url("services/oauth2/token")?,
            body: Some((
                "application/x-www-form-urlencoded",
                self.credentials.token_form(),
            )),
            sobject: "oauth2/token",
            // Asking for a token again changes nothing on the server.
            idempotent: true,
            batch_size: None,
        };
        let reply = self
            .run(&request, None)
            .await
            .map_err(Failure::into_error)?;
        if reply.status.is_success() {
            auth::parse_token(&reply.body).ok_or_else(|| ConnectorError::NotCrmEndpoint {
                url: self.base.to_string(),
                message: "the token endpoint did not answer with an access token".into(),
            })
        } else if reply.status == StatusCode::NOT_FOUND {
            Err(ConnectorError::NotCrmEndpoint {
                url: self.base.to_string(),
                message: "no OAuth token endpoint at /services/oauth2/token".into(),
            })
        } else {
            Err(ConnectorError::Auth {
                message: auth::refusal(&reply.body),
            })
        }
    }

    /// [`Client::execute`], with any answer but a success as the error it says about
    /// `entity`'s record `key` (empty when the request is about no one record).
    pub async fn execute_ok(
        &self,
        request: &Request,
        entity: &str,
        key: &str,
    ) -> Result<Reply, ConnectorError> {
        let reply = self.execute(request).await.map_err(Failure::into_error)?;
        if reply.status.is_success() {
            Ok(reply)
        } else {
            Err(errors::answer_error(reply.status, &reply.body, entity, key))
        }
    }

    /// Sends `request` with the bearer token, buying a new token once when Salesforce
    /// says the session expired; answers every reply whose status is not retried.
    pub async fn execute(&self, request: &Request) -> Result<Reply, Failure> {
        let mut token = self.token(None).await.map_err(Failure::Final)?;
        let mut refreshed = false;
        loop {
            let reply = self.run(request, Some(&token)).await?;
            if reply.status == StatusCode::UNAUTHORIZED {
                if refreshed {
                    return Err(Failure::Final(ConnectorError::Auth {
                        message: errors::summary(&reply.body)
                            .unwrap_or_else(|| "Salesforce refused the access token".into()),
                    }));
                }
                // A 401 is answered before anything is done: safe to send again.
                tracing::info!(
                    sobject = request.sobject,
                    "access token refused; fetching a new one"
                );
                token = self.token(Some(&token)).await.map_err(Failure::Final)?;
                refreshed = true;
                continue;
            }
            return Ok(reply);
        }
    }

    /// Sends `request` (with `token` when given), retrying transient failures.
    async fn run(&self, request: &Request, token: Option<&Token>) -> Result<Reply, Failure> {
        let max_attempts = self.retry.max_attempts.max(1);
        let mut attempt = 1;
        loop {
            let (error, retry_after, not_applied) =
                match self.attempt(request, token, attempt).await {
                    Ok(raw)
                        if raw.status == StatusCode::FORBIDDEN
                            && errors::has_code(&raw.body, "REQUEST_LIMIT_EXCEEDED") =>
                    {
                        return Err(Failure::Final(self.limit_exceeded()));
                    }
                    Ok(raw) if is_retryable(raw.status) => {
                        let not_applied = matches!(
                            raw.status,
                            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                        );
                        (
                            errors::status_error(raw.status, raw.retry_after, &raw.body),
                            raw.retry_after,
                            not_applied,
                        )
                    }
                    Ok(raw) => {
                        return Ok(Reply {
                            status: raw.status,
                            body: raw.body,
                            locator: raw.locator,
                        });
                    }
                    Err(SendError::Transport(transport)) if outbound::is_refusal(&transport) => {
                        let lookup_failed =
                            outbound::refusal(&transport).is_some_and(|r| r.lookup_failed);
                        let error = ConnectorError::Outbound(OutboundError::NotAllowed {
                            url: self.base.to_string(),
                            lookup_failed,
                        });
                        if !lookup_failed {
                            return Err(Failure::Final(error));
                        }
                        (error, None, true)
                    }
                    Err(SendError::Transport(transport)) => {
                        let not_applied = transport.is_connect();
                        (self.transport_error(&transport), None, not_applied)
                    }
                    Err(SendError::TooLarge { limit }) => {
                        let error = ConnectorError::ResponseTooLarge { limit_bytes: limit };
                        return Err(if request.idempotent {
                            Failure::Final(error)
                        } else {
                            Failure::Unknown(error)
                        });
                    }
                };
            if !request.idempotent && !not_applied {
                return Err(Failure::Unknown(error));
            }
            if attempt >= max_attempts {
                return Err(Failure::Final(error));
            }
            let Some(wait) = self
                .retry
                .delay(attempt + 1, retry_after, retry::jitter_sample())
            else {
                return Err(Failure::Final(ConnectorError::RateLimited { retry_after }));
            };
            tracing::info!(
                sobject = request.sobject,
                attempt,
                wait_ms = wait.as_millis() as u64,
                failure = error.kind(),
                "retrying Salesforce request"
            );
            tracing::debug!(sobject = request.sobject, attempt, %error, "Salesforce request failed");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// The error for a used-up daily allowance, with the usage Salesforce reported.
    pub(crate) fn limit_exceeded(&self) -> ConnectorError {
        let usage = self
            .api_usage()
            .map(|(used, max)| format!(" ({used} of {max} requests used)"))
            .unwrap_or_default();
        tracing::warn!(usage = %usage, "Salesforce's daily API request limit is used up");
        ConnectorError::AllowanceUsedUp {
            message: format!(
                "Salesforce's daily API request limit is used up{usage} (REQUEST_LIMIT_EXCEEDED); \
                 requests are not retried until the org's 24-hour allowance frees up"
            ),
        }
    }

    /// One attempt: wait for the budget, send, read the whole body (up to the cap).
    async fn attempt(
        &self,
        request: &Request,
        token: Option<&Token>,
        attempt: u32,
    ) -> Result<Raw, SendError> {
        let span = tracing::info_span!(
            "salesforce_request",
            method = %request.method,
            sobject = request.sobject,
            attempt,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        async move {
            let _permit = self.permits.acquire().await.ok();
            self.limiter.until_ready().await;
            if self.running_low() {
                self.slowed.until_ready().await;
            }
            let started = std::time::Instant::now();
            let result = self.send(request, token).await;
            let span = tracing::Span::current();
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            match &result {
                Ok(raw) => {
                    span.record("status", raw.status.as_u16());
                    tracing::debug!(path = request.url.path(), "Salesforce answered");
                }
                Err(SendError::Transport(error)) => {
                    tracing::debug!(path = request.url.path(), error = %errors::chain(error), "Salesforce request failed")
                }
                Err(SendError::TooLarge { limit }) => tracing::warn!(
                    sobject = request.sobject,
                    limit_bytes = limit,
                    "Salesforce's answer is larger than the response cap; reading stopped"
                ),
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn send(&self, request: &Request, token: Option<&Token>) -> Result<Raw, SendError> {
        let mut builder = self
            .http
            .request(request.method.clone(), request.url.clone())
            .header(ACCEPT, "application/json")
            .timeout(self.timeout);
        if let Some(token) = token
            && let Ok(mut value) =
                HeaderValue::from_str(&format!("Bearer {}", token.access.expose_secret()))
        {
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        if let Some(size) = request.batch_size {
            builder = builder.header(
                "Sforce-Query-Options",
                format!("batchSize={}", size.clamp(200, 2000)),
            );
        }
        if let Some((content_type, body)) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, *content_type)
                .body(body.clone());
        }
        let response = builder.send().await?;
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        if let Some((used, max)) = header("sforce-limit-info")
            .as_deref()
            .and_then(errors::api_usage)
        {
            self.used.store(used, Ordering::Relaxed);
            self.max.store(max, Ordering::Relaxed);
            // Warn once as the day's allowance passes the budget's share, not on every
            // request.
            let high = self.running_low();
            if high && !self.warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    used,
                    max,
                    share = self.budget.slow_down_at,
                    interval_ms = self.budget.slowed_interval.as_millis() as u64,
                    "Salesforce's daily API allowance is running low: requests are spaced out"
                );
            } else if !high {
                self.warned.store(false, Ordering::Relaxed);
            }
        }
        let retry_after = header(RETRY_AFTER.as_str())
            .and_then(|v| retry::parse_retry_after(&v, chrono::Utc::now()));
        let locator = header("sforce-locator");
        let body = read_body(response, self.max_response_bytes).await?;
        Ok(Raw {
            status,
            retry_after,
            body,
            locator,
        })
    }

    fn transport_error(&self, error: &reqwest::Error) -> ConnectorError {
        let detail = errors::chain(error);
        if error.is_connect() {
            ConnectorError::Unreachable {
                url: self.base.to_string(),
                message: detail,
            }
        } else if error.is_timeout() {
            ConnectorError::Transient {
                message: format!(
                    "no answer within {}s ({detail})",
                    self.timeout.as_secs_f32()
                ),
            }
        } else {
            ConnectorError::Transient {
                message: format!("the connection failed: {detail}"),
            }
        }
    }
}

/// The body as text, refused once it passes `limit` bytes.
async fn read_body(mut response: reqwest::Response, limit: u64) -> Result<String, SendError> {
    if response
        .content_length()
        .is_some_and(|length| length > limit)
    {
        return Err(SendError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let total = u64::try_from(body.len().saturating_add(chunk.len())).unwrap_or(u64::MAX);
        if total > limit {
            return Err(SendError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}
