//! [`Salesforce`]: the [`CrmConnector`] implementation, delegating each operation to its
//! module, and the state its operations share (the transport and the described schemas).

use std::{collections::HashMap, sync::Arc};

use async_trait::async_trait;
use listbridge_connector::{
    Capabilities, ConnectorConfig, ConnectorError, ConnectorResult, CrmConnector, CrmRecord,
    CrmUser, EmailLookup, EntityKind, FieldDef, FieldValues, MovedStream, Note, ReadQuery,
    RecordStream, Vocabulary, Watermark, WriteOp, WriteOutcome, retry::RetryPolicy,
};
use secrecy::ExposeSecret;
use tokio::sync::Mutex;

use crate::{
    AuthFlow, SalesforceOptions,
    auth::{Credentials, Jwt},
    batch,
    client::{Client, Failure, Request},
    converted,
    describe::{Schema, sobject},
    errors,
    jwt::JwtSigner,
    lookup, notes, read, verify,
    vocabulary::VOCABULARY,
    write,
};

/// Records per query page when the service does not say: Salesforce's most
/// (`Sforce-Query-Options: batchSize` goes from 200 to 2,000), the fewest requests.
const DEFAULT_PAGE_SIZE: u32 = 2000;

/// What every operation of one connector shares.
#[derive(Debug)]
pub(crate) struct Inner {
    pub client: Client,
    pub options: SalesforceOptions,
    pub page_size: u32,
    pub client_id: String,
    /// `describe` answers, fetched once per entity.
    schemas: Mutex<HashMap<EntityKind, Arc<Schema>>>,
}

impl Inner {
    /// The described fields of `entity`, from the cache or Salesforce.
    pub async fn schema(&self, entity: EntityKind) -> ConnectorResult<Arc<Schema>> {
        let mut cache = self.schemas.lock().await;
        if let Some(schema) = cache.get(&entity) {
            return Ok(Arc::clone(schema));
        }
        let name = sobject(entity);
        let url = self.client.data_url(&format!("sobjects/{name}/describe"))?;
        let reply = self
            .client
            .execute(&Request::get(url, name))
            .await
            .map_err(Failure::into_error)?;
        if !reply.status.is_success() {
            return Err(errors::answer_error(reply.status, &reply.body, name, ""));
        }
        let schema = Arc::new(
            Schema::parse(entity, &reply.body)
                .map_err(|message| ConnectorError::Transient { message })?,
        );
        cache.insert(entity, Arc::clone(&schema));
        Ok(schema)
    }
}

/// A connection to one Salesforce org. See the crate docs for how the connector config
/// maps onto a connected app.
#[derive(Debug, Clone)]
pub struct Salesforce {
    inner: Arc<Inner>,
}

impl Salesforce {
    /// A connector with default options (no network traffic; `verify` logs in).
    pub fn new(config: ConnectorConfig) -> ConnectorResult<Salesforce> {
        Salesforce::with_options(config, SalesforceOptions::default())
    }

    /// A connector with `options`.
    pub fn with_options(
        config: ConnectorConfig,
        options: SalesforceOptions,
    ) -> ConnectorResult<Salesforce> {
        let jwt = match &options.auth {
            AuthFlow::ClientCredentials => None,
            AuthFlow::JwtBearer { username, audience } => Some(Jwt {
                signer: JwtSigner::from_pem(config.password.expose_secret())
                    .map_err(|message| ConnectorError::Invalid { message })?,
                username: username.trim().to_string(),
                audience: audience.trim().to_string(),
            }),
        };
        let credentials = Credentials {
            client_id: config.username.trim().to_string(),
            client_secret: config.password,
            jwt,
        };
        let client = Client::new(
            &config.base_url,
            &options.api_version,
            credentials,
            config.rate_limit,
            RetryPolicy::new(config.max_attempts, options.backoff),
            config.request_timeout,
            config.max_response_bytes,
            &config.outbound,
            options.api_budget,
        )?;
        Ok(Salesforce {
            inner: Arc::new(Inner {
                client,
                page_size: config.page_size.unwrap_or(DEFAULT_PAGE_SIZE).max(1),
                client_id: config.username.trim().to_string(),
                options,
                schemas: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The API usage Salesforce last reported (`Sforce-Limit-Info`): `(used, allowed)`.
    pub fn api_usage(&self) -> Option<(u64, u64)> {
        self.inner.client.api_usage()
    }
}

#[async_trait]
impl CrmConnector for Salesforce {
    fn kind(&self) -> &'static str {
        crate::KIND
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            batch_size: self.inner.options.batch_size.clamp(1, 200),
            lookup_chunk: self.inner.options.lookup_chunk.max(1),
            read_page: usize::try_from(self.inner.page_size).unwrap_or(usize::MAX),
            push_page: lookup::MOST_IDS,
            incremental: true,
            notes: true,
            note_subject_max: notes::SUBJECT_MAX,
        }
    }

    fn vocabulary(&self) -> &'static dyn Vocabulary {
        &VOCABULARY
    }

    async fn verify(&self) -> ConnectorResult<CrmUser> {
        verify::verify(&self.inner).await
    }

    async fn describe(&self, entity: EntityKind) -> ConnectorResult<Vec<FieldDef>> {
        Ok(self.inner.schema(entity).await?.fields.clone())
    }

    fn read(&self, entity: EntityKind, query: ReadQuery) -> RecordStream {
        read::read(Arc::clone(&self.inner), entity, query)
    }

    fn moved(&self, entity: EntityKind, since: Watermark) -> MovedStream {
        converted::moved(Arc::clone(&self.inner), entity, since)
    }

    async fn find_by_email(
        &self,
        entity: EntityKind,
        emails: &[String],
        fields: &[String],
    ) -> ConnectorResult<Vec<CrmRecord>> {
        lookup::find_by_email(&self.inner, entity, emails, fields).await
    }

    async fn find_by_email_in(
        &self,
        lookups: &[EmailLookup],
        emails: &[String],
    ) -> ConnectorResult<Vec<Vec<CrmRecord>>> {
        lookup::find_by_email_in(&self.inner, lookups, emails).await
    }

    async fn get_by_keys(
        &self,
        entity: EntityKind,
        keys: &[String],
        fields: &[String],
    ) -> ConnectorResult<Vec<CrmRecord>> {
        lookup::get_by_keys(&self.inner, entity, keys, fields).await
    }

    async fn create(&self, entity: EntityKind, fields: &FieldValues) -> ConnectorResult<CrmRecord> {
        write::create(&self.inner, entity, fields).await
    }

    async fn update(
        &self,
        entity: EntityKind,
        key: &str,
        _etag: Option<&str>,
        fields: &FieldValues,
    ) -> ConnectorResult<CrmRecord> {
        write::update(&self.inner, entity, key, fields).await
    }

    async fn write_batch(&self, ops: Vec<WriteOp>) -> ConnectorResult<Vec<WriteOutcome>> {
        batch::write_batch(&self.inner, ops).await
    }

    async fn add_notes(&self, notes: Vec<Note>) -> ConnectorResult<Vec<ConnectorResult<String>>> {
        notes::add_notes(&self.inner, notes).await
    }

    async fn find_notes(&self, notes: &[Note]) -> ConnectorResult<Vec<Option<String>>> {
        notes::find_notes(&self.inner, notes).await
    }
}
