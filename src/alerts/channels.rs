//! The alert-channel actions over the store, the cipher and the outbound guard:
//! create, list, read, change, delete, open for sending, and *Send a test alert*.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::{
    Alert, AlertError, AlertEvent,
    channel::{
        AlertChannel, ChannelInput, ChannelPatch, ChannelSettings, EmailSettings, EmailView,
        WebhookSettings, WebhookView, check_email, check_name, check_webhook_url,
    },
    email, webhook,
};
use crate::{
    AppState,
    store::{AccountId, AlertChannelId, StoredAlertChannel},
};

/// How long *Send a test alert* waits for the server.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(5);

/// What a channel's secret is called in its messages.
const SECRET_FIELD: [&str; 2] = ["email.password", "webhook.secret"];

/// Alert-channel actions for one application. Get one with
/// [`AlertChannels::from_state`].
#[derive(Debug, Clone, Copy)]
pub struct AlertChannels<'a> {
    state: &'a AppState,
}

/// A stored channel opened for sending: its settings and its secret.
#[derive(Debug)]
pub struct OpenChannel {
    /// The settings by kind.
    pub settings: ChannelSettings,
    /// The SMTP password or signing secret.
    pub secret: Option<SecretString>,
}

impl<'a> AlertChannels<'a> {
    /// The actions over the application's store, cipher and guard.
    pub fn from_state(state: &'a AppState) -> Self {
        AlertChannels { state }
    }

    /// Saves a new channel after checking every field and address.
    pub async fn create(
        &self,
        account: AccountId,
        input: ChannelInput,
    ) -> Result<AlertChannel, AlertError> {
        let name = check_name(&input.name)?;
        let (settings, secret) = match (input.email, input.webhook) {
            (Some(email), None) => (ChannelSettings::Email(email.settings()), email.password),
            (None, Some(hook)) => (
                ChannelSettings::Webhook(WebhookSettings { url: hook.url }),
                Some(hook.secret),
            ),
            _ => {
                return Err(AlertError::invalid(
                    "email",
                    "or 'webhook': give exactly one of them",
                ));
            }
        };
        let settings = self.checked(settings)?;
        if let ChannelSettings::Webhook(_) = settings {
            non_blank(secret.as_ref(), SECRET_FIELD[1])?;
        }
        let id = AlertChannelId(self.state.random.uuid());
        let now = self.state.clock.now();
        let stored = StoredAlertChannel {
            id,
            account_id: account,
            name,
            kind: settings.kind().to_string(),
            settings: settings_json(&settings),
            secret_encrypted: self.seal(id, secret.as_ref())?,
            created_at: now,
            updated_at: now,
        };
        self.state.store.alert_channels().insert(&stored).await?;
        tracing::info!(channel = %id, kind = %stored.kind, "alert channel created");
        view(&stored)
    }

    /// Applies a patch: given fields replace stored ones, a secret left out is kept.
    pub async fn update(
        &self,
        account: AccountId,
        id: AlertChannelId,
        patch: ChannelPatch,
    ) -> Result<AlertChannel, AlertError> {
        let mut stored = self.stored(account, id).await?;
        let current = settings_of(&stored)?;
        let (settings, secret) = match (current, patch.email, patch.webhook) {
            (current, None, None) => (current, None),
            (ChannelSettings::Email(now), Some(p), None) => {
                (ChannelSettings::Email(p.apply(&now)), p.password)
            }
            (ChannelSettings::Webhook(now), None, Some(p)) => (
                ChannelSettings::Webhook(WebhookSettings {
                    url: p.url.unwrap_or(now.url),
                }),
                p.secret,
            ),
            (current, _, _) => {
                return Err(AlertError::invalid(
                    if current.kind() == "email" {
                        "webhook"
                    } else {
                        "email"
                    },
                    format!("does not apply: this is a {} channel", current.kind()),
                ));
            }
        };
        if let Some(name) = &patch.name {
            stored.name = check_name(name)?;
        }
        let settings = self.checked(settings)?;
        if let Some(secret) = secret {
            if let ChannelSettings::Webhook(_) = settings {
                non_blank(Some(&secret), SECRET_FIELD[1])?;
            }
            stored.secret_encrypted = self.seal(id, Some(&secret))?;
        }
        stored.settings = settings_json(&settings);
        stored.updated_at = self.state.clock.now();
        if !self.state.store.alert_channels().update(&stored).await? {
            return Err(AlertError::NotFound(id));
        }
        view(&stored)
    }

    /// The account's channel `id`.
    pub async fn get(
        &self,
        account: AccountId,
        id: AlertChannelId,
    ) -> Result<AlertChannel, AlertError> {
        view(&self.stored(account, id).await?)
    }

    /// The account's channels.
    pub async fn list(&self, account: AccountId) -> Result<Vec<AlertChannel>, AlertError> {
        self.state
            .store
            .alert_channels()
            .list(account)
            .await?
            .iter()
            .map(view)
            .collect()
    }

    /// Deletes a channel; alerts queued for it are dropped.
    pub async fn delete(&self, account: AccountId, id: AlertChannelId) -> Result<(), AlertError> {
        if !self
            .state
            .store
            .alert_channels()
            .delete(account, id)
            .await?
        {
            return Err(AlertError::NotFound(id));
        }
        Ok(())
    }

    /// *Send a test alert*: sends now, waiting at most [`TEST_TIMEOUT`]; answers what
    /// the server said.
    pub async fn test(&self, account: AccountId, id: AlertChannelId) -> Result<String, AlertError> {
        let stored = self.stored(account, id).await?;
        let account_name = self
            .state
            .store
            .accounts()
            .get(account)
            .await?
            .map(|a| a.name)
            .unwrap_or_default();
        let alert = Alert {
            text: format!(
                "Test alert from listbridge for account '{account_name}': channel '{}' works.",
                stored.name
            ),
            event: AlertEvent::Test,
            account: account_name,
            subject: format!("test:channel:{id}"),
            list: None,
            run_id: None,
            job: None,
            connector: None,
            form: None,
            reason: None,
            at: self.state.clock.now(),
        };
        self.deliver(&stored, &alert, TEST_TIMEOUT).await
    }

    /// Sends `alert` over a stored channel within `timeout`.
    pub async fn deliver(
        &self,
        stored: &StoredAlertChannel,
        alert: &Alert,
        timeout: Duration,
    ) -> Result<String, AlertError> {
        let open = self.open(stored)?;
        let guard = &self.state.outbound;
        match &open.settings {
            ChannelSettings::Email(settings) => {
                email::send(guard, settings, open.secret.as_ref(), alert, timeout).await
            }
            ChannelSettings::Webhook(settings) => {
                let secret = open.secret.unwrap_or_else(|| SecretString::from(""));
                let timestamp = self.state.clock.now().timestamp();
                webhook::send(guard, &settings.url, &secret, alert, timestamp, timeout).await
            }
        }
    }

    /// The account's stored channel `id`.
    pub async fn stored(
        &self,
        account: AccountId,
        id: AlertChannelId,
    ) -> Result<StoredAlertChannel, AlertError> {
        self.state
            .store
            .alert_channels()
            .get(account, id)
            .await?
            .ok_or(AlertError::NotFound(id))
    }

    /// A stored channel's settings and decrypted secret.
    pub fn open(&self, stored: &StoredAlertChannel) -> Result<OpenChannel, AlertError> {
        let secret = stored
            .secret_encrypted
            .as_deref()
            .map(|sealed| self.state.cipher.decrypt(sealed, &stored.id.as_db()))
            .transpose()?;
        Ok(OpenChannel {
            settings: settings_of(stored)?,
            secret,
        })
    }

    fn checked(&self, settings: ChannelSettings) -> Result<ChannelSettings, AlertError> {
        let guard = &self.state.outbound;
        Ok(match settings {
            ChannelSettings::Email(email) => {
                check_email(guard, &email)?;
                ChannelSettings::Email(email)
            }
            ChannelSettings::Webhook(hook) => ChannelSettings::Webhook(WebhookSettings {
                url: check_webhook_url(guard, &hook.url)?,
            }),
        })
    }

    fn seal(
        &self,
        id: AlertChannelId,
        secret: Option<&SecretString>,
    ) -> Result<Option<Vec<u8>>, AlertError> {
        Ok(secret
            .filter(|s| !s.expose_secret().is_empty())
            .map(|s| self.state.cipher.encrypt(s, &id.as_db()))
            .transpose()?)
    }
}

fn non_blank(secret: Option<&SecretString>, field: &'static str) -> Result<(), AlertError> {
    match secret {
        Some(s) if !s.expose_secret().trim().is_empty() => Ok(()),
        _ => Err(AlertError::invalid(field, "must not be empty")),
    }
}

fn settings_json(settings: &ChannelSettings) -> String {
    match settings {
        ChannelSettings::Email(e) => serde_json::to_string(e),
        ChannelSettings::Webhook(w) => serde_json::to_string(w),
    }
    .unwrap_or_default()
}

fn settings_of(stored: &StoredAlertChannel) -> Result<ChannelSettings, AlertError> {
    let corrupt = |e: serde_json::Error| {
        AlertError::Store(crate::store::StoreError::Corrupt {
            table: "alert_channels",
            id: stored.id.as_db(),
            message: format!("settings: {e}"),
        })
    };
    match stored.kind.as_str() {
        "email" => serde_json::from_str::<EmailSettings>(&stored.settings)
            .map(ChannelSettings::Email)
            .map_err(corrupt),
        _ => serde_json::from_str::<WebhookSettings>(&stored.settings)
            .map(ChannelSettings::Webhook)
            .map_err(corrupt),
    }
}

fn view(stored: &StoredAlertChannel) -> Result<AlertChannel, AlertError> {
    let secret_set = stored.secret_encrypted.is_some();
    let (email, webhook) = match settings_of(stored)? {
        ChannelSettings::Email(settings) => (
            Some(EmailView {
                settings,
                password_set: secret_set,
            }),
            None,
        ),
        ChannelSettings::Webhook(settings) => (
            None,
            Some(WebhookView {
                settings,
                secret_set,
            }),
        ),
    };
    Ok(AlertChannel {
        id: stored.id,
        name: stored.name.clone(),
        kind: stored.kind.clone(),
        email,
        webhook,
        created_at: stored.created_at,
        updated_at: stored.updated_at,
    })
}
