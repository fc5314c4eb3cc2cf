//! Webhook delivery: the alert as a JSON POST, signed so the receiver can tell it came
//! from this service. Scheme: `X-Listbridge-Timestamp: <unix seconds>` and
//! `X-Listbridge-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
//! The client is the outbound guard's, so a private address is refused unless allowed.

use std::time::Duration;

use hmac::{Hmac, Mac};
use listbridge_connector::{
    OutboundError, OutboundGuard,
    outbound::{self, shown},
};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use super::{Alert, AlertError, channel::check_webhook_url};

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Listbridge-Signature";
/// The header carrying the signed timestamp.
pub const TIMESTAMP_HEADER: &str = "X-Listbridge-Timestamp";
/// At most this much of a receiver's answer is kept in an error.
const ANSWER_SHOWN: usize = 300;

/// `sha256=<hex>` of the HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`.
pub fn signature(secret: &SecretString, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length, so this never fails.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// POSTs `alert` to `url` signed with `secret`, within `timeout`.
pub async fn send(
    guard: &OutboundGuard,
    url: &str,
    secret: &SecretString,
    alert: &Alert,
    timestamp: i64,
    timeout: Duration,
) -> Result<String, AlertError> {
    let url = url::Url::parse(&check_webhook_url(guard, url)?)
        .map_err(|e| AlertError::invalid("webhook.url", format!("is not a URL: {e}")))?;
    let body = serde_json::to_vec(alert).map_err(|e| AlertError::Delivery(e.to_string()))?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = guard
        .client_builder()
        .timeout(timeout)
        .build()
        .map_err(|e| AlertError::Delivery(e.to_string()))?;
    let answer = client
        .post(url.clone())
        .header("content-type", "application/json")
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature(secret, timestamp, &body))
        .body(body)
        .send()
        .await
        .map_err(|e| match outbound::refusal(&e) {
            Some(refused) => AlertError::Refused(OutboundError::NotAllowed {
                url: shown(&url),
                lookup_failed: refused.lookup_failed,
            }),
            None => AlertError::Unreachable(e.without_url().to_string()),
        })?;
    let status = answer.status();
    let words: String = answer
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(ANSWER_SHOWN)
        .collect();
    if !status.is_success() {
        return Err(AlertError::Delivery(format!(
            "the webhook answered {status}: {}",
            words.trim()
        )));
    }
    Ok(format!("the webhook answered {status}"))
}
