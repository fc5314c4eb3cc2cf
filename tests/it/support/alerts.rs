//! Alerts as a receiver sees them: the channels a test adds (an email to the loopback
//! SMTP sink, a signed webhook to the loopback receiver), waiting until the alerts are
//! sent or a streak has observed an outcome, and reading what arrived (signature checked,
//! subject unfolded, quoted-printable undone).

use hmac::{Hmac, Mac};
use listbridge::store::{AlertStreak, AlertStreakRepo, JobKind, JobStatus};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{
    smtp::{SmtpMessage, SmtpSink},
    wait,
    webhook::{Hook, WebhookReceiver},
    world::World,
};

/// The webhook's signing secret.
pub const SECRET: &str = "whsec-test-4711";

/// Adds an email channel to `smtp` and a signed webhook channel to `receiver`.
pub async fn add_channels(w: &World, smtp: &SmtpSink, receiver: &WebhookReceiver) {
    let (status, email) = w
        .post(
            "/v1/alert-channels",
            &json!({ "name": "Ops mail", "email": {
                "host": "127.0.0.1", "port": smtp.port, "tls": "none",
                "from": "listbridge@example.com", "to": ["ops@example.com"] } }),
        )
        .await;
    assert_eq!(status, 201, "{email}");
    let (status, hook) = w
        .post(
            "/v1/alert-channels",
            &json!({ "name": "Ops hook", "webhook": { "url": receiver.url, "secret": SECRET } }),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
}

/// Waits until the account's streak of `subject` has observed `id` (a run's or a job's),
/// so any alert it called for is queued; returns the streak.
pub async fn observed(w: &World, subject: &str, id: &str) -> AlertStreak {
    wait::until(&format!("{id} in the streak {subject}"), async || {
        let streak = AlertStreakRepo::on(w.app.state.store.conn())
            .get(w.account, subject)
            .await
            .expect("streak read");
        match streak {
            Some(s) if s.last_observed_id.as_deref() == Some(id) => Ok(s),
            other => Err(format!("{other:?}")),
        }
    })
    .await
}

/// Waits until no alert job is queued, running or waiting to retry.
pub async fn alerts_sent(w: &World) {
    wait::until("every alert job done", async || {
        let pending: Vec<_> = w
            .jobs()
            .await
            .into_iter()
            .filter(|j| j.kind == JobKind::Alert && j.status != JobStatus::Succeeded)
            .collect();
        if pending.is_empty() {
            Ok(())
        } else {
            Err(format!("{pending:?}"))
        }
    })
    .await;
}

/// Checks the webhook's signature the way a receiver would (README, *Alerts*).
pub fn assert_signed(hook: &Hook) {
    let timestamp = hook.header("x-listbridge-timestamp");
    assert!(
        timestamp.parse::<i64>().is_ok(),
        "timestamp header: {timestamp:?}"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&hook.body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(hook.header("x-listbridge-signature"), expected);
}

/// The text of a webhook's body.
pub fn text(body: &Value) -> String {
    body["text"].as_str().unwrap_or_default().to_string()
}

/// An email's `Subject:` header, unfolded.
pub fn subject_of(mail: &SmtpMessage) -> String {
    let headers = mail.data.split("\n\n").next().unwrap_or_default();
    let unfolded = headers.replace("\n ", " ");
    unfolded
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or_default()
        .to_string()
}

/// An email's body, its quoted-printable transfer encoding undone.
pub fn body_of(mail: &SmtpMessage) -> String {
    let body = mail.data.split_once("\n\n").map_or("", |(_, b)| b);
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).trim_end().to_string()
}

/// The webhook's body, checked for its signature.
pub fn signed_body(hook: &Hook) -> Value {
    assert_signed(hook);
    hook.json()
}
