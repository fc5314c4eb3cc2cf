//! Email delivery over SMTP (`lettre`): STARTTLS by default, implicit TLS, or none to
//! allowed hosts only. The host is resolved through the outbound guard and the
//! connection made to an address it permits (TLS still checks the host name), so a
//! name cannot lead to a private address unless `allow_private_hosts` lists it.

use std::time::Duration;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
};
use listbridge_connector::{OutboundError, OutboundGuard};
use secrecy::{ExposeSecret, SecretString};

use super::{
    Alert, AlertError,
    channel::{EmailSettings, SmtpTls, check_email},
};

/// Sends `alert` to the channel's recipients within `timeout`; answers what the
/// server said.
pub async fn send(
    guard: &OutboundGuard,
    settings: &EmailSettings,
    password: Option<&SecretString>,
    alert: &Alert,
    timeout: Duration,
) -> Result<String, AlertError> {
    check_email(guard, settings)?;
    let refused = || {
        AlertError::Refused(OutboundError::NotAllowed {
            url: format!("smtp://{}:{}", settings.host, settings.port),
            lookup_failed: false,
        })
    };
    let address = guard
        .addresses(&settings.host)
        .await
        .map_err(|_| refused())?
        .into_iter()
        .next()
        .ok_or_else(refused)?;
    let message = message(settings, alert)?;
    let tls = |host: &str| {
        TlsParameters::new(host.to_string()).map_err(|e| AlertError::Delivery(e.to_string()))
    };
    let mode = match settings.tls {
        SmtpTls::Starttls => Tls::Required(tls(&settings.host)?),
        SmtpTls::Tls => Tls::Wrapper(tls(&settings.host)?),
        SmtpTls::None => Tls::None,
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.to_string())
        .port(settings.port)
        .tls(mode)
        .timeout(Some(timeout));
    if !settings.username.is_empty() {
        let password = password
            .map(|p| p.expose_secret().to_string())
            .unwrap_or_default();
        builder = builder.credentials(Credentials::new(settings.username.clone(), password));
    }
    let answer = builder.build().send(message).await.map_err(|e| {
        let words = format!("the SMTP server {}: {e}", settings.host);
        if e.is_permanent() || e.is_transient() {
            AlertError::Delivery(words)
        } else {
            AlertError::Unreachable(words)
        }
    })?;
    let words: Vec<&str> = answer.message().collect();
    Ok(format!(
        "the SMTP server answered {}: {}",
        answer.code(),
        words.join(" ")
    ))
}

/// The email: from, to, subject and the alert's text.
fn message(settings: &EmailSettings, alert: &Alert) -> Result<Message, AlertError> {
    let mailbox = |raw: &str, field: &'static str| {
        raw.parse::<Mailbox>()
            .map_err(|_| AlertError::invalid(field, format!("'{raw}' is not an email address")))
    };
    let mut builder = Message::builder()
        .from(mailbox(&settings.from, "email.from")?)
        .subject(alert.email_subject())
        .header(ContentType::TEXT_PLAIN);
    for to in &settings.to {
        builder = builder.to(mailbox(to, "email.to")?);
    }
    builder
        .body(alert.text.clone())
        .map_err(|e| AlertError::Delivery(e.to_string()))
}
