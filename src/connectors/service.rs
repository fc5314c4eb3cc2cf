//! The connector actions over the store, the registry and the cipher.

use std::sync::Arc;

use listbridge_connector::{
    ConnectorConfig, ConnectorFactory, CrmConnector, CrmUser, EntityKind, FieldDef, RateLimit,
};
use secrecy::{ExposeSecret, SecretString};

use super::{ConnectError, limits};
use crate::{
    app::AppState,
    scheduling::ScheduleService,
    store::{
        AccountId, ConnectorCredentials, ConnectorId, ConnectorRateLimit, ConnectorRecord,
        ConnectorStatus, VerifiedUser,
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

/// *Reconfirm Login*: a new password, and optionally a new login name.
#[derive(Debug)]
pub struct ReconfirmRequest {
    /// New login name; the stored one when `None`.
    pub username: Option<String>,
    /// The password to verify and store.
    pub password: SecretString,
}

/// Connector actions for one application state. Get one with
/// [`AppState::connectors`].
#[derive(Debug, Clone, Copy)]
pub struct ConnectorService<'a> {
    state: &'a AppState,
}

impl<'a> ConnectorService<'a> {
    /// Wraps the state.
    pub fn new(state: &'a AppState) -> Self {
        ConnectorService { state }
    }

    /// *Connect*: checks the URL, logs in, and only then stores the connector
    /// with its password encrypted. Nothing is stored when any step fails.
    pub async fn connect(
        &self,
        account: AccountId,
        request: ConnectRequest,
    ) -> Result<ConnectorRecord, ConnectError> {
        let factory = self.factory(request.kind.trim())?;
        let base_url = self.state.url_policy.check(&request.base_url)?;
        let username = non_empty(&request.username, "username")?;
        if request.password.expose_secret().is_empty() {
            return Err(ConnectError::Missing { field: "password" });
        }
        limits::check_own(&request.rate_limit)?;
        let existing = self.state.store.connectors().list(account).await?;
        if let Some(other) = existing.iter().find(|c| c.kind == factory.kind()) {
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

        let id = ConnectorId(self.state.random.uuid());
        let now = self.state.clock.now();
        let record = ConnectorRecord {
            id,
            account_id: account,
            kind: factory.kind().to_string(),
            base_url,
            username,
            password_encrypted: Some(self.state.cipher.encrypt(&config.password, &id.as_db())?),
            status: ConnectorStatus::Connected,
            verified: Some(verified(&user, now)),
            created_at: now,
            updated_at: now,
            rate_limit: request.rate_limit,
        };
        self.state.store.connectors().insert(&record).await?;
        self.state
            .connector_cache
            .put(id, record.updated_at, connector);
        tracing::info!(connector = %id, kind = %record.kind, "connector connected");
        Ok(record)
    }

    /// *Reconfirm Login*: verifies new credentials against the stored URL and
    /// replaces the stored ones; a failed login changes nothing.
    pub async fn reconfirm(
        &self,
        account: AccountId,
        id: ConnectorId,
        request: ReconfirmRequest,
    ) -> Result<ConnectorRecord, ConnectError> {
        let record = self.get(account, id).await?;
        let factory = self.factory(&record.kind)?;
        let username = match &request.username {
            Some(name) => non_empty(name, "username")?,
            None => record.username.clone(),
        };
        if request.password.expose_secret().is_empty() {
            return Err(ConnectError::Missing { field: "password" });
        }
        let base_url = self.state.url_policy.check(&record.base_url)?;
        let config = self.config(
            base_url,
            username.clone(),
            request.password,
            &record.rate_limit,
        );
        let connector = factory.build(config.clone())?;
        let user = connector.verify().await?;

        let credentials = ConnectorCredentials {
            username,
            password_encrypted: self.state.cipher.encrypt(&config.password, &id.as_db())?,
        };
        let verified = verified(&user, self.state.clock.now());
        if !self
            .state
            .store
            .connectors()
            .set_credentials(account, id, &credentials, &verified)
            .await?
        {
            return Err(ConnectError::NotFound(id));
        }
        self.state.connector_cache.forget(id);
        ScheduleService::new(self.state)
            .resume_for_connector(account, id)
            .await?;
        tracing::info!(connector = %id, "connector login reconfirmed");
        self.get(account, id).await
    }

    /// *Reset Connector*: forgets the credentials and keeps everything else.
    pub async fn reset(
        &self,
        account: AccountId,
        id: ConnectorId,
    ) -> Result<ConnectorRecord, ConnectError> {
        let now = self.state.clock.now();
        if !self
            .state
            .store
            .connectors()
            .reset(account, id, now)
            .await?
        {
            return Err(ConnectError::NotFound(id));
        }
        // Schedules must not fire against a connector without a login.
        ScheduleService::new(self.state)
            .pause_for_connector(account, id)
            .await?;
        self.state.connector_cache.forget(id);
        tracing::info!(connector = %id, "connector reset");
        self.get(account, id).await
    }

    /// The account's connector `id`.
    pub async fn get(
        &self,
        account: AccountId,
        id: ConnectorId,
    ) -> Result<ConnectorRecord, ConnectError> {
        self.state
            .store
            .connectors()
            .get(account, id)
            .await?
            .ok_or(ConnectError::NotFound(id))
    }

    /// All the account's connectors.
    pub async fn list(&self, account: AccountId) -> Result<Vec<ConnectorRecord>, ConnectError> {
        Ok(self.state.store.connectors().list(account).await?)
    }

    /// A live connector for a stored, connected connector: the engine's way to
    /// reach a CRM. Built once per row version and shared.
    pub async fn open(
        &self,
        account: AccountId,
        id: ConnectorId,
    ) -> Result<Arc<dyn CrmConnector>, ConnectError> {
        let record = self.get(account, id).await?;
        if let Some(connector) = self.state.connector_cache.get(id, record.updated_at) {
            return Ok(connector);
        }
        let (ConnectorStatus::Connected, Some(sealed)) =
            (record.status, record.password_encrypted.as_deref())
        else {
            return Err(ConnectError::NotConnected(id));
        };
        let password = self.state.cipher.decrypt(sealed, &id.as_db())?;
        let factory = self.factory(&record.kind)?;
        let connector = factory.build(self.config(
            record.base_url.clone(),
            record.username.clone(),
            password,
            &record.rate_limit,
        ))?;
        self.state
            .connector_cache
            .put(id, record.updated_at, connector.clone());
        Ok(connector)
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

    /// The request budget a stored connector works under: its own, else the service's.
    pub fn rate_limit(&self, record: &ConnectorRecord) -> RateLimit {
        limits::rate_limit(&self.state.crm_limits, &record.rate_limit)
    }

    fn config(
        &self,
        base_url: String,
        username: String,
        password: SecretString,
        own: &ConnectorRateLimit,
    ) -> ConnectorConfig {
        limits::connector_config(base_url, username, password, &self.state.crm_limits, own)
    }

    fn factory(&self, kind: &str) -> Result<Arc<dyn ConnectorFactory>, ConnectError> {
        self.state
            .registry
            .get(kind)
            .ok_or_else(|| ConnectError::UnknownKind {
                kind: kind.to_string(),
                known: self.state.registry.kinds().collect::<Vec<_>>().join(", "),
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
