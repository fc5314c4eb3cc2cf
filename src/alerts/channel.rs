//! What an alert channel is: the API's bodies and answer, the settings stored beside
//! the sealed secret, and the checks a channel passes before it is saved (every
//! address through the outbound guard, so a private one is refused unless
//! `allow_private_hosts` lists it).

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use listbridge_connector::{OutboundError, OutboundGuard};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use url::Url;
use utoipa::ToSchema;

use super::AlertError;
use crate::store::AlertChannelId;

/// At most this many recipients per email channel.
pub const MAX_RECIPIENTS: usize = 20;

/// How an email channel talks to its SMTP server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, required (port 587 by default).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465 by default).
    Tls,
    /// No encryption (port 25 by default): only to hosts `allow_private_hosts` lists.
    None,
}

impl SmtpTls {
    /// The usual port of the mode.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        }
    }
}

/// A new channel: a name and exactly one of `email` or `webhook`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelInput {
    /// The name people know the channel by.
    #[schema(example = "Ops on-call", pattern = r"\S")]
    pub name: String,
    /// An email channel's settings.
    #[serde(default, deserialize_with = "object")]
    pub email: Option<EmailInput>,
    /// A webhook channel's settings.
    #[serde(default, deserialize_with = "object")]
    pub webhook: Option<WebhookInput>,
}

/// An email channel: an SMTP server and who hears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailInput {
    /// SMTP server host name or address.
    #[schema(example = "smtp.example.com", pattern = r"\S")]
    pub host: String,
    /// SMTP port; 587 (`starttls`), 465 (`tls`) or 25 (`none`) when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 65535)]
    pub port: Option<u16>,
    /// SMTP login name; no login when absent.
    #[serde(default)]
    pub username: Option<String>,
    /// SMTP password; stored encrypted, never returned.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<SecretString>,
    /// The sender address.
    #[schema(example = "listbridge@example.com")]
    pub from: String,
    /// The recipients (1 to 20).
    pub to: Vec<String>,
    /// `starttls` (default), `tls` or `none`.
    #[serde(default)]
    pub tls: SmtpTls,
}

/// A webhook channel: where to POST and the secret the body is signed with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// The receiver's URL (`https://`; plain `http://` only to allowed hosts).
    #[schema(example = "https://hooks.example.com/listbridge", pattern = r"\S")]
    pub url: String,
    /// The HMAC-SHA256 signing secret; stored encrypted, never returned.
    #[schema(value_type = String, format = Password, min_length = 1)]
    pub secret: SecretString,
}

/// Changes to a channel: the fields given replace the stored ones; a secret left out
/// is kept. A channel's kind does not change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelPatch {
    /// A new name.
    #[serde(default)]
    #[schema(pattern = r"\S")]
    pub name: Option<String>,
    /// Changes to an email channel.
    #[serde(default, deserialize_with = "object")]
    pub email: Option<EmailPatch>,
    /// Changes to a webhook channel.
    #[serde(default, deserialize_with = "object")]
    pub webhook: Option<WebhookPatch>,
}

/// Changes to an email channel's settings.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailPatch {
    /// SMTP server host name or address.
    #[serde(default)]
    pub host: Option<String>,
    /// SMTP port.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 65535)]
    pub port: Option<u16>,
    /// SMTP login name (empty: no login).
    #[serde(default)]
    pub username: Option<String>,
    /// A new SMTP password.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<SecretString>,
    /// The sender address.
    #[serde(default)]
    pub from: Option<String>,
    /// The recipients.
    #[serde(default)]
    pub to: Option<Vec<String>>,
    /// `starttls`, `tls` or `none`.
    #[serde(default)]
    pub tls: Option<SmtpTls>,
}

/// Changes to a webhook channel's settings.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    /// The receiver's URL.
    #[serde(default)]
    pub url: Option<String>,
    /// A new signing secret.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub secret: Option<SecretString>,
}

/// An email channel's settings as stored and shown (the password apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EmailSettings {
    /// SMTP server host name or address.
    pub host: String,
    /// SMTP port.
    pub port: u16,
    /// SMTP login name; none when empty.
    pub username: String,
    /// The sender address.
    pub from: String,
    /// The recipients.
    pub to: Vec<String>,
    /// How the connection is encrypted.
    pub tls: SmtpTls,
}

/// A webhook channel's settings as stored and shown (the secret apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WebhookSettings {
    /// The receiver's URL.
    pub url: String,
}

/// A channel's settings by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelSettings {
    /// Email over SMTP.
    Email(EmailSettings),
    /// A signed JSON POST.
    Webhook(WebhookSettings),
}

impl ChannelSettings {
    /// The stored kind.
    pub fn kind(&self) -> &'static str {
        match self {
            ChannelSettings::Email(_) => "email",
            ChannelSettings::Webhook(_) => "webhook",
        }
    }
}

/// The email part of a channel as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EmailView {
    /// The settings.
    #[serde(flatten)]
    pub settings: EmailSettings,
    /// Whether an SMTP password is stored (it is never shown).
    pub password_set: bool,
}

/// The webhook part of a channel as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    /// The settings.
    #[serde(flatten)]
    pub settings: WebhookSettings,
    /// Whether a signing secret is stored (it is never shown).
    pub secret_set: bool,
}

/// An alert channel as the API shows it: never its password or secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertChannel {
    /// Channel id.
    pub id: AlertChannelId,
    /// Name.
    pub name: String,
    /// `email` or `webhook`.
    pub kind: String,
    /// An email channel's settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailView>,
    /// A webhook channel's settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<WebhookView>,
    /// Created at (UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
}

/// Reads an optional nested object: serde would read a struct from an array of its
/// fields as well, where the document (and every client) says object.
fn object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error;
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Null => Ok(None),
        value @ serde_json::Value::Object(_) => {
            T::deserialize(value).map(Some).map_err(D::Error::custom)
        }
        _ => Err(D::Error::custom("expected a JSON object")),
    }
}

/// A trimmed, non-blank name.
pub fn check_name(name: &str) -> Result<String, AlertError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(AlertError::invalid("name", "must be 1 to 200 characters"));
    }
    Ok(name.to_string())
}

/// Checks a webhook URL as typed: absolute http(s), no credentials, and allowed by
/// the guard. Returns it trimmed.
pub fn check_webhook_url(guard: &OutboundGuard, raw: &str) -> Result<String, AlertError> {
    let trimmed = raw.trim();
    let url = Url::parse(trimmed)
        .map_err(|e| AlertError::invalid("webhook.url", format!("is not a URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AlertError::invalid(
            "webhook.url",
            "must not contain a user name or password",
        ));
    }
    guard.check_url(&url)?;
    Ok(trimmed.to_string())
}

/// Checks an email channel's settings: a host the guard allows (an address must be
/// permitted; `tls: none` only to a host or address `allow_private_hosts` lists),
/// a port, addresses that parse, 1 to [`MAX_RECIPIENTS`] recipients.
pub fn check_email(guard: &OutboundGuard, settings: &EmailSettings) -> Result<(), AlertError> {
    let host = settings.host.trim();
    if host.is_empty() || host.contains(['/', ' ', '@']) {
        return Err(AlertError::invalid(
            "email.host",
            "must be a host name or address",
        ));
    }
    let shown = format!("smtp://{host}:{}", settings.port);
    let literal = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>();
    let listed = match literal {
        Ok(ip) if !guard.permits_address(ip) => {
            return Err(AlertError::Refused(OutboundError::NotAllowed {
                url: shown,
                lookup_failed: false,
            }));
        }
        Ok(ip) => guard.allow_list().allows_address(ip),
        Err(_) => guard.allow_list().allows_host(host),
    };
    if settings.tls == SmtpTls::None && !listed {
        return Err(AlertError::invalid(
            "email.tls",
            format!(
                "'none' sends the password and alerts unencrypted; it is allowed only to \
                 hosts allow_private_hosts lists, and {host} is not one"
            ),
        ));
    }
    if settings.port == 0 {
        return Err(AlertError::invalid("email.port", "must be 1 to 65535"));
    }
    settings
        .from
        .parse::<Mailbox>()
        .map_err(|_| AlertError::invalid("email.from", "is not an email address"))?;
    if settings.to.is_empty() || settings.to.len() > MAX_RECIPIENTS {
        return Err(AlertError::invalid(
            "email.to",
            format!("must list 1 to {MAX_RECIPIENTS} addresses"),
        ));
    }
    for to in &settings.to {
        to.parse::<Mailbox>().map_err(|_| {
            AlertError::invalid("email.to", format!("'{to}' is not an email address"))
        })?;
    }
    Ok(())
}

impl EmailInput {
    /// The settings to store (trimmed; the mode's port where none is given).
    pub fn settings(&self) -> EmailSettings {
        EmailSettings {
            host: self.host.trim().to_string(),
            port: self.port.unwrap_or(self.tls.default_port()),
            username: self
                .username
                .as_deref()
                .unwrap_or_default()
                .trim()
                .to_string(),
            from: self.from.trim().to_string(),
            to: self.to.iter().map(|t| t.trim().to_string()).collect(),
            tls: self.tls,
        }
    }
}

impl EmailPatch {
    /// `current` with this patch's fields applied.
    pub fn apply(&self, current: &EmailSettings) -> EmailSettings {
        let tls = self.tls.unwrap_or(current.tls);
        EmailSettings {
            host: self
                .host
                .as_deref()
                .map_or(current.host.clone(), |h| h.trim().to_string()),
            port: self.port.unwrap_or(current.port),
            username: self
                .username
                .as_deref()
                .map_or(current.username.clone(), |u| u.trim().to_string()),
            from: self
                .from
                .as_deref()
                .map_or(current.from.clone(), |f| f.trim().to_string()),
            to: self.to.as_ref().map_or(current.to.clone(), |to| {
                to.iter().map(|t| t.trim().to_string()).collect()
            }),
            tls,
        }
    }
}
