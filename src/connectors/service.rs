//! The connector actions over the store, the registry and the cipher.
//!
//! The service is given the parts of the application it uses, not the application
//! state, so it depends on nothing above it. What other concepts do when a login
//! changes (schedules pause on *Reset Connector* and resume on *Reconfirm Login*) is
//! their callers' part: see [`crate::scheduling::ScheduleService::pause_for_connector`].

use std::sync::Arc;

use listbridge_connector::{
    ConnectorConfig, ConnectorFactory, ConnectorRegistry, CrmConnector, CrmUser, EntityKind,
    FieldDef, OutboundGuard, RateLimit, SourceKind, Vocabulary,
};
use secrecy::{ExposeSecret, SecretString};

use super::{ConnectAttempts, ConnectError, ConnectorCache, check_base_url, limits};
use crate::{
    clock::{Clock, Random},
    config::CrmLimits,
    secrets::Cipher,
    store::{
        AccountId, ConnectorCredentials, ConnectorId, ConnectorRateLimit, ConnectorRecord,
        ConnectorStatus, ConnectorUsers, Store, VerifiedUser,
    },
};

/// *Connect*: what the marketer typed.
#[derive(Debug)]
pub struct ConnectRequest {
    /// Registry kind, e.g. `infor-crm`.
    pub kind: String,
    /// Base URL, e.g. `https://acme.saleslogixcloud.com`.
    pub base_url: String,
    /// CRM login name.
    pub username: String,
    /// CRM password.
    pub password: SecretString,
    /// The connector's own request budget; the service's defaults where `None`.
    pub rate_limit: ConnectorRateLimit,
}

/// *Reconfirm Login*: a new password, and optionally a new login name or address.
#[derive(Debug)]
pub struct ReconfirmRequest {
    /// New base URL (the CRM moved); the stored one when `None`.
    pub base_url: Option<String>,
    /// New login name; the stored one when `None`.
    pub username: Option<String>,
    /// The password to verify and store.
    pub password: SecretString,
}

/// Connector actions over the parts of the application they use. Get one with
/// [`crate::app::AppState::connectors`].
#[derive(Debug, Clone, Copy)]
pub struct ConnectorService<'a> {
    /// Where connectors are stored.
    pub store: &'a Store,
    /// The time source for `verified_at` and `updated_at`.
    pub clock: &'a dyn Clock,
    /// The source of new connector ids.
    pub random: &'a dyn Random,
    /// Encrypts and decrypts CRM passwords.
    pub cipher: &'a Cipher,
    /// The connector kinds this build knows.
    pub registry: &'a ConnectorRegistry,
    /// Live connectors shared by every task that uses them.
    pub cache: &'a ConnectorCache,
    /// Where connectors may send requests (`allow_private_hosts`); every connector is
    /// built with it, and every base URL checked by it before use.
    pub outbound: &'a OutboundGuard,
    /// Each account's budget of login attempts (*Connect*, *Reconfirm Login*).
    pub attempts: &'a ConnectAttempts,
    /// Request budget, timeout and attempts of connectors without their own.
    pub crm_limits: &'a CrmLimits,
}

impl ConnectorService<'_> {
    /// *Connect*: takes one of the account's login attempts, checks the URL, logs in,
    /// and only then stores the connector with its password encrypted. Nothing is
    /// stored when any step fails.
    pub async fn connect(
        &self,
        account: AccountId,
        request: ConnectRequest,
    ) -> Result<ConnectorRecord, ConnectError> {
        self.attempts.take(account)?;
        let factory = self.factory(request.kind.trim())?;
        let base_url = check_base_url(self.outbound, &request.base_url)?;
        let username = non_empty(&request.username, "username")?;
        if request.password.expose_secret().is_empty() {
            return Err(ConnectError::Missing { field: "password" });
        }
        limits::check_own(&request.rate_limit)?;
        let existing = self.store.connectors().list(account).await?;
        // Two CRMs of one kind are fine (two Infor CRMs); the same CRM twice is a mistake.
        let same = |url: &str| {
            url.trim_end_matches('/')
                .eq_ignore_ascii_case(base_url.trim_end_matches('/'))
        };
        if let Some(other) = existing
            .iter()
            .find(|c| c.kind == factory.kind() && same(&c.base_url))
        {
            return Err(ConnectError::AlreadyConnected {
                kind: other.kind.clone(),
                existing: other.id,
            });
        }

        let config = self.config(
            base_url.clone(),
            username.clone(),
            request.password,
            &request.rate_limit,
        );
        let connector = factory.build(config.clone())?;
        let user = connector.verify().await?;

        let id = ConnectorId(self.random.uuid());
        let now = self.clock.now();
        let record = ConnectorRecord {
            id,
            account_id: account,
            kind: factory.kind().to_string(),
            base_url,
            username,
            password_encrypted: Some(self.cipher.encrypt(&config.password, &id.as_db())?),
            status: ConnectorStatus::Connected,
            verified: Some(verified(&user, now)),
            created_at: now,
            updated_at: now,
            rate_limit: request.rate_limit,
        };
        self.store.connectors().insert(&record).await?;
        self.cache.put(id, record.updated_at, connector);
        tracing::info!(connector = %id, kind = %record.kind, "connector connected");
        Ok(record)
    }

    /// *Reconfirm Login*: takes one of the account's login attempts, verifies new
    /// credentials against the new URL, if one is given (a CRM that moved), else the
    /// stored one (checked again: the settings may have changed), and replaces the stored
    /// ones; a refused URL or login changes nothing. The caller resumes the schedules a
    /// reset paused.
    pub async fn reconfirm(
        &self,
        account: AccountId,
        id: ConnectorId,
        request: ReconfirmRequest,
    ) -> Result<ConnectorRecord, ConnectError> {
        self.attempts.take(account)?;
        let record = self.get(account, id).await?;
        let factory = self.factory(&record.kind)?;
        let username = match &request.username {
            Some(name) => non_empty(name, "username")?,
            None => record.username.clone(),
        };
        if request.password.expose_secret().is_empty() {
            return Err(ConnectError::Missing { field: "password" });
        }
        let base_url = match &request.base_url {
            Some(url) => non_empty(url, "base_url")?,
            None => record.base_url.clone(),
        };
        let base_url = check_base_url(self.outbound, &base_url)?;
        let config = self.config(
            base_url.clone(),
            username.clone(),
            request.password,
            &record.rate_limit,
        );
        let connector = factory.build(config.clone())?;
        let user = connector.verify().await?;

        let credentials = ConnectorCredentials {
            base_url,
            username,
            password_encrypted: self.cipher.encrypt(&config.password, &id.as_db())?,
        };
        let verified = verified(&user, self.clock.now());
        if !self
            .store
            .connectors()
            .set_credentials(account, id, &credentials, &verified)
            .await?
        {
            return Err(ConnectError::NotFound(id));
        }
        self.cache.forget(id);
        tracing::info!(connector = %id, "connector login reconfirmed");
        self.get(account, id).await
    }

    /// *Reset Connector*: forgets the credentials and keeps everything else. The caller
    /// pauses the connector's schedules: they must not fire without a login.
    pub async fn reset(
        &self,
        account: AccountId,
        id: ConnectorId,
    ) -> Result<ConnectorRecord, ConnectError> {
        let now = self.clock.now();
        if !self.store.connectors().reset(account, id, now).await? {
            return Err(ConnectError::NotFound(id));
        }
        self.cache.forget(id);
        tracing::info!(connector = %id, "connector reset");
        self.get(account, id).await
    }

    /// *Delete connector*: refused while lists or forms name it, schedules sync through
    /// it, or notes wait to be written through it (the refusal names them all: nothing
    /// of the marketer's is deleted with a connector); otherwise the connector and its
    /// stored login are gone. Returns what was deleted.
    pub async fn delete(
        &self,
        account: AccountId,
        id: ConnectorId,
    ) -> Result<ConnectorRecord, ConnectError> {
        let record = self.get(account, id).await?;
        let in_use = |users| {
            let name = self
                .registry
                .get(&record.kind)
                .map_or(record.kind.as_str(), |f| f.display_name());
            ConnectError::InUse {
                connector: format!("{name} connector at {}", record.base_url),
                users: Box::new(users),
            }
        };
        let users = self.users(account, id).await?;
        if !users.is_empty() {
            return Err(in_use(users));
        }
        if !self.store.connectors().delete_unused(account, id).await? {
            // Something began to use it (or deleted it) since the check.
            let users = self.users(account, id).await?;
            return Err(if users.is_empty() {
                ConnectError::NotFound(id)
            } else {
                in_use(users)
            });
        }
        self.cache.forget(id);
        tracing::info!(connector = %id, kind = %record.kind, "connector deleted");
        Ok(record)
    }

    /// What uses connector `id`, by name: what *Delete connector* waits for. Uploaded
    /// lists count when it is the account's only connector (their syncs push through it).
    pub async fn users(
        &self,
        account: AccountId,
        id: ConnectorId,
    ) -> Result<ConnectorUsers, ConnectError> {
        let only_connector = self.list(account).await?.len() == 1;
        Ok(self
            .store
            .connectors()
            .users(account, id, only_connector)
            .await?)
    }

    /// The account's connector `id`, read beside the writer ([`crate::store::Store::connectors_read`]).
    pub async fn get(
        &self,
        account: AccountId,
        id: ConnectorId,
    ) -> Result<ConnectorRecord, ConnectError> {
        self.store
            .connectors_read()
            .get(account, id)
            .await?
            .ok_or(ConnectError::NotFound(id))
    }

    /// All the account's connectors.
    pub async fn list(&self, account: AccountId) -> Result<Vec<ConnectorRecord>, ConnectError> {
        Ok(self.store.connectors().list(account).await?)
    }

    /// A live connector for a stored, connected connector: the engine's way to
    /// reach a CRM. Built once per row version and shared. The stored URL is checked
    /// with the current settings first, so a URL that `allow_private_hosts` no longer
    /// allows is refused.
    pub async fn open(
        &self,
        account: AccountId,
        id: ConnectorId,
    ) -> Result<Arc<dyn CrmConnector>, ConnectError> {
        let record = self.get(account, id).await?;
        check_base_url(self.outbound, &record.base_url)?;
        if let Some(connector) = self.cache.get(id, record.updated_at) {
            return Ok(connector);
        }
        let (ConnectorStatus::Connected, Some(sealed)) =
            (record.status, record.password_encrypted.as_deref())
        else {
            return Err(ConnectError::NotConnected(id));
        };
        let password = self.cipher.decrypt(sealed, &id.as_db())?;
        let factory = self.factory(&record.kind)?;
        let connector = factory.build(self.config(
            record.base_url.clone(),
            record.username.clone(),
            password,
            &record.rate_limit,
        ))?;
        self.cache.put(id, record.updated_at, connector.clone());
        Ok(connector)
    }

    /// The field names of a stored connector's CRM ([`Vocabulary`]), known without
    /// logging in (a reset connector has them too).
    pub async fn vocabulary(
        &self,
        account: AccountId,
        id: ConnectorId,
    ) -> Result<&'static dyn Vocabulary, ConnectError> {
        let record = self.get(account, id).await?;
        Ok(self.factory(&record.kind)?.vocabulary())
    }

    /// The CRM's fields (standard and custom) of an entity.
    pub async fn fields(
        &self,
        account: AccountId,
        id: ConnectorId,
        entity: EntityKind,
    ) -> Result<Vec<FieldDef>, ConnectError> {
        Ok(self.open(account, id).await?.describe(entity).await?)
    }

    /// The fields of what a conversion export may read (leads, contacts, opportunities
    /// with the fields the connector links to them), as the CRM describes them.
    pub async fn source_fields(
        &self,
        account: AccountId,
        id: ConnectorId,
        source: SourceKind,
    ) -> Result<Vec<FieldDef>, ConnectError> {
        Ok(self
            .open(account, id)
            .await?
            .describe_source(source)
            .await?)
    }

    /// The request budget a stored connector works under: its own, else the service's.
    pub fn rate_limit(&self, record: &ConnectorRecord) -> RateLimit {
        limits::rate_limit(self.crm_limits, &record.rate_limit)
    }

    fn config(
        &self,
        base_url: String,
        username: String,
        password: SecretString,
        own: &ConnectorRateLimit,
    ) -> ConnectorConfig {
        let mut config =
            limits::connector_config(base_url, username, password, self.crm_limits, own);
        config.outbound = self.outbound.clone();
        config
    }

    fn factory(&self, kind: &str) -> Result<Arc<dyn ConnectorFactory>, ConnectError> {
        self.registry
            .get(kind)
            .ok_or_else(|| ConnectError::UnknownKind {
                kind: kind.to_string(),
                known: self.registry.kinds().collect::<Vec<_>>().join(", "),
            })
    }
}

fn non_empty(value: &str, field: &'static str) -> Result<String, ConnectError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ConnectError::Missing { field });
    }
    Ok(trimmed.to_string())
}

fn verified(user: &CrmUser, at: chrono::DateTime<chrono::Utc>) -> VerifiedUser {
    let name = if user.display_name.trim().is_empty() {
        user.user_name.clone()
    } else {
        user.display_name.clone()
    };
    VerifiedUser {
        crm_user_id: user.id.clone(),
        crm_user_name: name,
        verified_at: at,
    }
}
