//! The HTTP side of the connector: one reqwest client per connector with Basic auth,
//! a request budget (`governor` rate and burst + a semaphore for concurrency), a per-request
//! timeout, and retries with backoff for transient failures. Every attempt runs in a
//! `tracing` span carrying method, resource, attempt, status and duration — never
//! credentials, never query strings (they hold emails).

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use listbridge_connector::{ConnectorError, OutboundError, OutboundGuard, RateLimit, outbound};
use reqwest::{
    Method, StatusCode,
    header::{ACCEPT, CONTENT_TYPE, ETAG, HeaderMap, HeaderValue, IF_MATCH, LOCATION, RETRY_AFTER},
};
use tokio::sync::Semaphore;
use tracing::Instrument;
use url::Url;

use crate::{
    auth::Credentials,
    endpoint::Endpoint,
    request_metrics::{self, AttemptEnd},
    retry::{self, RetryPolicy},
};

/// The header that lets a POST stand for another method (SData clients use it for long
/// GETs).
const METHOD_OVERRIDE: &str = "x-http-method-override";

/// Which representation a request asks for and sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    /// `application/json`.
    Json,
    /// `application/atom+xml`.
    Atom,
    /// Any XML (`$schema`).
    Xml,
}

/// One request, reusable across attempts.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: Method,
    pub url: Url,
    /// `(content type, body)`.
    pub body: Option<(&'static str, String)>,
    pub if_match: Option<String>,
    /// The resource kind or operation, for logs (`leads`, `history`, `getCurrentUser`).
    pub resource: &'static str,
    pub accept: Accept,
    /// Safe to repeat when its outcome is unknown (GET, PUT); false for POST creates.
    pub idempotent: bool,
    /// A lower attempt limit than the policy's (used by `verify`, where a person waits).
    pub max_attempts: Option<u32>,
    /// Sent as `X-HTTP-Method-Override`: the method this POST stands for.
    pub method_override: Option<Method>,
}

impl Request {
    /// A GET of `url`.
    pub fn get(url: Url, resource: &'static str, accept: Accept) -> Request {
        Request {
            method: Method::GET,
            url,
            body: None,
            if_match: None,
            resource,
            accept,
            idempotent: true,
            max_attempts: None,
            method_override: None,
        }
    }

    /// A read of `url`. When the URL is longer than `tunnel_above`, the read is tunnelled
    /// as SData clients tunnel reads whose URL passes 2,000 characters (Saleslogix's
    /// .NET and JavaScript SData clients do): a POST of the URL without its query, with
    /// `X-HTTP-Method-Override: GET` and the full URL as a text/plain body, so a lookup
    /// can carry many values in one request instead of being cut into short GETs.
    pub fn long_get(
        url: Url,
        resource: &'static str,
        accept: Accept,
        tunnel_above: Option<usize>,
    ) -> Request {
        let mut request = Request::get(url, resource, accept);
        if tunnel_above.is_some_and(|limit| request.url.as_str().len() > limit) {
            let full = request.url.to_string();
            request.url.set_query(None);
            request.method = Method::POST;
            request.body = Some(("text/plain", full));
            request.method_override = Some(Method::GET);
        }
        request
    }
}

/// A response that reached us whole.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    /// Lower-cased `Content-Type`, empty when absent.
    pub content_type: String,
    pub etag: Option<String>,
    pub location: Option<String>,
    pub retry_after: Option<Duration>,
    pub body: String,
}

/// What a caller makes of a reply that was not a retryable status.
pub(crate) enum Rejection {
    /// A definite answer: do not retry.
    Final(ConnectorError),
    /// A success status with a body we could not read: retried like any transient failure.
    Malformed(String),
}

/// Why one attempt produced no reply.
#[derive(Debug)]
enum SendError {
    /// The transport failed: no connection, a timeout, a dropped connection.
    Transport(reqwest::Error),
    /// The body is larger than the cap (by its `Content-Length` or as it streamed in);
    /// reading stopped there.
    TooLarge {
        /// The cap in force, in bytes.
        limit: u64,
    },
}

impl From<reqwest::Error> for SendError {
    fn from(error: reqwest::Error) -> Self {
        SendError::Transport(error.without_url())
    }
}

/// Why a request did not produce a value.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A definite error (not retryable, or retries exhausted).
    Final(ConnectorError),
    /// A non-idempotent request failed in a way that leaves open whether the CRM applied it.
    Unknown(ConnectorError),
}

impl Failure {
    /// The error, whichever kind of failure it was.
    pub fn into_error(self) -> ConnectorError {
        match self {
            Failure::Final(e) | Failure::Unknown(e) => e,
        }
    }
}

/// The transport for one CRM.
pub(crate) struct SDataClient {
    http: reqwest::Client,
    pub endpoint: Endpoint,
    credentials: Credentials,
    limiter: DefaultDirectRateLimiter,
    permits: Semaphore,
    rate: RateLimit,
    pub retry: RetryPolicy,
    timeout: Duration,
    /// The most bytes of one response body read (see [`SDataClient::with_max_response_bytes`]).
    max_response_bytes: u64,
}

impl std::fmt::Debug for SDataClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SDataClient")
            .field("endpoint", &self.endpoint)
            .field("credentials", &self.credentials)
            .field("rate", &self.rate)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl SDataClient {
    /// Builds the client (no network traffic).
    ///
    /// Every connection goes through `outbound`: the base URL is checked here (an IP
    /// literal never reaches the guard's resolver hook), host names on each connection.
    pub fn new(
        endpoint: Endpoint,
        credentials: Credentials,
        rate: RateLimit,
        retry: RetryPolicy,
        timeout: Duration,
        outbound: &OutboundGuard,
    ) -> Result<SDataClient, ConnectorError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let base = Url::parse(endpoint.base_url()).map_err(|e| ConnectorError::Invalid {
            message: format!("the CRM address is not usable: {e}"),
        })?;
        outbound.check_url(&base)?;
        let origin = Arc::new(endpoint.clone());
        // Follow redirects only within the CRM's origin: reqwest strips `Authorization`
        // on cross-origin redirects but not `X-Authorization`.
        let policy = outbound.redirect_policy(5, move |url| origin.same_origin(url));
        let http = outbound
            .client_builder()
            .redirect(policy)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("listbridge-infor-crm/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConnectorError::Invalid {
                message: format!("could not set up HTTP: {}", e.without_url()),
            })?;
        let per_second = NonZeroU32::new(rate.requests_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
        Ok(SDataClient {
            http,
            endpoint,
            credentials,
            limiter: RateLimiter::direct(Quota::per_second(per_second).allow_burst(burst)),
            permits: Semaphore::new(rate.concurrency.max(1)),
            rate,
            retry,
            timeout,
            max_response_bytes: listbridge_connector::DEFAULT_MAX_RESPONSE_BYTES,
        })
    }

    /// Caps how much of one response is read: a larger body fails the request with
    /// [`ConnectorError::ResponseTooLarge`] (not retried) after at most `limit` bytes
    /// were buffered, so a broken or hostile server cannot fill the service's memory.
    pub fn with_max_response_bytes(mut self, limit: u64) -> SDataClient {
        self.max_response_bytes = limit.max(1);
        self
    }

    /// Sends `request`, retrying transient failures, and hands every definite reply to
    /// `accept`, which turns it into a value or an error.
    ///
    /// Retried: connection failures, host names that did not resolve, timeouts, dropped
    /// connections, 408/429/500/502/503/504 and malformed success bodies, with backoff or
    /// the server's `Retry-After`. For a non-idempotent request only failures that prove
    /// the request was not applied (connection refused, a name that did not resolve,
    /// 429, 503) are retried; the others return [`Failure::Unknown`]. A host the
    /// outbound guard refuses is final at once.
    pub async fn execute<T>(
        &self,
        request: &Request,
        accept: impl Fn(&Reply) -> Result<T, Rejection>,
    ) -> Result<T, Failure> {
        let max_attempts = request
            .max_attempts
            .unwrap_or(self.retry.max_attempts)
            .clamp(1, self.retry.max_attempts.max(1));
        let mut attempt = 1;
        loop {
            let (error, retry_after, not_applied) = match self.attempt(request, attempt).await {
                Ok(reply) if is_retryable(reply.status) => {
                    let not_applied = matches!(
                        reply.status,
                        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                    );
                    (status_error(&reply), reply.retry_after, not_applied)
                }
                Ok(reply) => match accept(&reply) {
                    Ok(value) => return Ok(value),
                    Err(Rejection::Final(error)) => return Err(Failure::Final(error)),
                    Err(Rejection::Malformed(message)) => {
                        (ConnectorError::Transient { message }, None, false)
                    }
                },
                // The outbound guard refused the host before connecting: nothing was
                // sent. A refused address would be refused again: final. A name that
                // did not resolve may resolve later (a DNS outage): retried like an
                // unreachable host, under the same words as a refused address.
                Err(SendError::Transport(transport)) if outbound::is_refusal(&transport) => {
                    let lookup_failed =
                        outbound::refusal(&transport).is_some_and(|r| r.lookup_failed);
                    let error = ConnectorError::Outbound(OutboundError::NotAllowed {
                        url: self.endpoint.base_url().to_string(),
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
                // The same request would get the same answer: never retried. A write
                // was received, so whether it was applied is not known.
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
            // The CRM's message may quote record data (emails), so it is only logged at debug.
            tracing::info!(
                resource = request.resource,
                attempt,
                wait_ms = wait.as_millis() as u64,
                failure = error.kind(),
                "retrying CRM request"
            );
            tracing::debug!(resource = request.resource, attempt, %error, "CRM request failed");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One attempt: wait for the budget, send, read the whole body (up to the cap).
    async fn attempt(&self, request: &Request, attempt: u32) -> Result<Reply, SendError> {
        let span = tracing::info_span!(
            "sdata_request",
            method = %request.method,
            resource = request.resource,
            attempt,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        async move {
            // A concurrency slot first, then the rate token: a token is taken only by a
            // request that can go at once, so requests queued behind busy slots do not
            // pile up tokens and then leave in a bunch. The semaphore is never closed, so
            // acquiring cannot fail; if it ever did, sending without a permit is still
            // correct, only less polite.
            let _permit = self.permits.acquire().await.ok();
            let waiting = std::time::Instant::now();
            self.limiter.until_ready().await;
            request_metrics::rate_limit_wait(waiting.elapsed());
            let started = std::time::Instant::now();
            let result = self.send(request).await;
            let took = started.elapsed();
            request_metrics::attempt(
                &request.method,
                match &result {
                    Ok(reply) => AttemptEnd::Answered(reply.status),
                    Err(SendError::Transport(_)) => AttemptEnd::TransportError,
                    Err(SendError::TooLarge { .. }) => AttemptEnd::TooLarge,
                },
                took,
            );
            let elapsed = took.as_millis() as u64;
            let span = tracing::Span::current();
            span.record("duration_ms", elapsed);
            match &result {
                Ok(reply) => {
                    span.record("status", reply.status.as_u16());
                    tracing::debug!(path = request.url.path(), "CRM answered");
                }
                Err(SendError::Transport(error)) => tracing::debug!(path = request.url.path(), error = %error_chain(error), "CRM request failed"),
                Err(SendError::TooLarge { limit }) => tracing::warn!(
                    resource = request.resource,
                    limit_bytes = limit,
                    "the CRM's answer is larger than the response cap; reading stopped"
                ),
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn send(&self, request: &Request) -> Result<Reply, SendError> {
        let mut headers = HeaderMap::new();
        self.credentials.apply(&mut headers);
        headers.insert(
            ACCEPT,
            HeaderValue::from_static(match request.accept {
                Accept::Json => "application/json",
                Accept::Atom => "application/atom+xml",
                Accept::Xml => "application/xml, text/xml, */*",
            }),
        );
        if let Some(etag) = &request.if_match
            && let Ok(value) = HeaderValue::from_str(etag)
        {
            headers.insert(IF_MATCH, value);
        }
        if let Some(method) = &request.method_override
            && let Ok(value) = HeaderValue::from_str(method.as_str())
        {
            headers.insert(METHOD_OVERRIDE, value);
        }
        let mut builder = self
            .http
            .request(request.method.clone(), request.url.clone())
            .headers(headers)
            .timeout(self.timeout);
        if let Some((content_type, body)) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, *content_type)
                .body(body.clone());
        }
        let response = builder.send().await?;
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header(CONTENT_TYPE)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let etag = header(ETAG);
        let location = header(LOCATION);
        let retry_after =
            header(RETRY_AFTER).and_then(|v| retry::parse_retry_after(&v, chrono::Utc::now()));
        let body = read_body(response, self.max_response_bytes).await?;
        Ok(Reply {
            status,
            content_type,
            etag,
            location,
            retry_after,
            body,
        })
    }

    fn transport_error(&self, error: &reqwest::Error) -> ConnectorError {
        let detail = error_chain(error);
        if error.is_connect() {
            ConnectorError::Unreachable {
                url: self.endpoint.base_url().to_string(),
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

/// The body of `response` as text, refused once it passes `limit` bytes: by its
/// `Content-Length` before anything is read, else as the chunks arrive, so no more than
/// `limit` bytes (plus one chunk) are ever held. Invalid UTF-8 is replaced, as
/// `Response::text` does.
async fn read_body(mut response: reqwest::Response, limit: u64) -> Result<String, SendError> {
    /// The most buffer reserved up front on the server's word (its `Content-Length`).
    const INITIAL_CAPACITY: u64 = 1024 * 1024;
    let announced = response.content_length();
    if announced.is_some_and(|length| length > limit) {
        return Err(SendError::TooLarge { limit });
    }
    let capacity = announced.unwrap_or(0).min(limit).min(INITIAL_CAPACITY);
    let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while let Some(chunk) = response.chunk().await? {
        let total = u64::try_from(body.len().saturating_add(chunk.len())).unwrap_or(u64::MAX);
        if total > limit {
            return Err(SendError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(match String::from_utf8(body) {
        Ok(text) => text,
        Err(invalid) => String::from_utf8_lossy(invalid.as_bytes()).into_owned(),
    })
}

/// Statuses that say "try again": the request was not (or may not have been) handled.
fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// The error a retryable status becomes once retries run out.
fn status_error(reply: &Reply) -> ConnectorError {
    if reply.status == StatusCode::TOO_MANY_REQUESTS
        || (reply.status == StatusCode::SERVICE_UNAVAILABLE && reply.retry_after.is_some())
    {
        return ConnectorError::RateLimited {
            retry_after: reply.retry_after,
        };
    }
    let said = crate::diagnoses::summary(&crate::diagnoses::parse_body(&reply.body));
    ConnectorError::Transient {
        message: match said {
            Some(message) => format!("HTTP {}: {message}", reply.status.as_u16()),
            None => format!("HTTP {}", reply.status),
        },
    }
}

/// The error and its causes, without the URL (which may carry emails in its query).
fn error_chain(error: &reqwest::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(query_len: usize) -> Url {
        let value = "a".repeat(query_len);
        Url::parse(&format!(
            "http://crm.example/sdata/slx/dynamic/-/leads?where={value}&count=100"
        ))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn short_reads_stay_plain_gets() {
        let request = Request::long_get(url(100), "leads", Accept::Json, Some(2000));
        assert_eq!(request.method, Method::GET);
        assert!(request.url.query().is_some());
        assert!(request.body.is_none());
        assert!(request.method_override.is_none());
    }

    #[test]
    fn long_reads_are_tunnelled_as_post_with_the_url_as_body() {
        let long = url(3000);
        let request = Request::long_get(long.clone(), "leads", Accept::Json, Some(2000));
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.method_override, Some(Method::GET));
        assert_eq!(request.url.query(), None);
        assert_eq!(request.url.path(), long.path());
        assert_eq!(request.body, Some(("text/plain", long.to_string())));
        assert!(request.idempotent, "a tunnelled read may be retried");
    }

    #[test]
    fn without_a_limit_nothing_is_tunnelled() {
        let request = Request::long_get(url(3000), "leads", Accept::Json, None);
        assert_eq!(request.method, Method::GET);
    }
}
