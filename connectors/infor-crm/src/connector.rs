//! [`InforCrm`]: the `CrmConnector` for Infor CRM, and the shared state its operations use.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use listbridge_connector::{
    Capabilities, ConnectorConfig, ConnectorResult, CrmConnector, CrmRecord, CrmUser, EntityKind,
    FieldDef, FieldValues, Note, ReadQuery, RecordStream, SourceKind, SourceRecord, SourceStream,
    Vocabulary, WriteOp, WriteOutcome,
};
use reqwest::Method;
use tokio::sync::Mutex;
use url::Url;

use crate::{
    atom,
    auth::Credentials,
    client::{Accept, Failure, Request, SDataClient},
    config::{InforCrmOptions, WireFormat},
    endpoint::Endpoint,
    json,
    resource::Resource,
    response::{self, Context},
    retry::RetryPolicy,
    schema::{self, EntitySchema},
    wire::{OutEntry, WireFeed},
};

/// Records per feed page when the service does not say: what Infor CRM serves well
/// (its default page size; larger pages are capped by the server).
const DEFAULT_PAGE_SIZE: u32 = 100;

/// Members a push sends at a time: one `$batch` of writes (200 by default), with the
/// lookups before it and the read-backs after it in chunks of their own.
const PUSH_PAGE: usize = 200;

/// The Infor CRM connector: one per connected CRM login, shared as `Arc<dyn CrmConnector>`.
#[derive(Clone)]
pub struct InforCrm {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for InforCrm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InforCrm")
            .field("client", &self.inner.client)
            .field("options", &self.inner.options)
            .field("page_size", &self.inner.page_size)
            .finish()
    }
}

impl InforCrm {
    /// Opens a connector with default [`InforCrmOptions`] (JSON). No network traffic.
    pub fn new(config: ConnectorConfig) -> ConnectorResult<InforCrm> {
        InforCrm::with_options(config, InforCrmOptions::default())
    }

    /// Opens a connector with explicit options (Atom mode, batch size, backoff…).
    pub fn with_options(
        config: ConnectorConfig,
        options: InforCrmOptions,
    ) -> ConnectorResult<InforCrm> {
        let endpoint = Endpoint::parse(&config.base_url)?;
        let retry = RetryPolicy::new(config.max_attempts, options.backoff);
        let credentials = Credentials::new(config.username, config.password);
        let client = SDataClient::new(
            endpoint,
            credentials,
            config.rate_limit,
            retry,
            config.request_timeout,
            &config.outbound,
        )?
        .with_max_response_bytes(config.max_response_bytes);
        let keyset_refused = AtomicBool::new(!options.keyset_paging);
        Ok(InforCrm {
            inner: Arc::new(Inner {
                client,
                page_size: config.page_size.unwrap_or(DEFAULT_PAGE_SIZE).max(1),
                options,
                schemas: Mutex::new(HashMap::new()),
                batch_unsupported: AtomicBool::new(false),
                keyset_refused,
            }),
        })
    }

    /// The normalised endpoint (base URL) this connector talks to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.client.endpoint
    }
}

/// State shared by every operation (and by read streams, which outlive the call).
pub(crate) struct Inner {
    pub client: SDataClient,
    pub options: InforCrmOptions,
    pub page_size: u32,
    schemas: Mutex<HashMap<Resource, Arc<EntitySchema>>>,
    /// Set once the server answered `$batch` with 404/405/501.
    pub batch_unsupported: AtomicBool,
    /// Set once the server refused or ignored the keyset clause on a continuing page
    /// (or from the start without `keyset_paging`): reads page by `startIndex`.
    pub keyset_refused: AtomicBool,
}

/// The SData resource kind (`leads`) of a person entity or a conversion source.
pub(crate) fn resource(of: impl Into<Resource>) -> &'static str {
    of.into().plural()
}

/// The payload element / `$name` (`Lead`) of a person entity or a conversion source.
pub(crate) fn element(of: impl Into<Resource>) -> &'static str {
    of.into().element()
}

impl Inner {
    /// Context for error messages about `entity` (and a key).
    pub fn context(&self, entity: &'static str, key: Option<&str>) -> Context {
        Context {
            entity,
            key: key.map(str::to_string),
            base_url: self.client.endpoint.base_url().to_string(),
        }
    }

    /// The `format` parameter every data request carries.
    pub fn format_param(&self) -> (&'static str, String) {
        ("format", self.options.format.query_value().to_string())
    }

    /// The `Accept` of data requests.
    pub fn accept(&self) -> Accept {
        match self.options.format {
            WireFormat::Json => Accept::Json,
            WireFormat::Atom => Accept::Atom,
        }
    }

    /// One entry as a request body in the configured format.
    pub fn entry_body(&self, entry: &OutEntry) -> (&'static str, String) {
        match self.options.format {
            WireFormat::Json => ("application/json", json::write_entry(entry)),
            WireFormat::Atom => ("application/atom+xml;type=entry", atom::write_entry(entry)),
        }
    }

    /// A `$batch` body in the configured format.
    pub fn batch_body(&self, entries: &[OutEntry]) -> (&'static str, String) {
        match self.options.format {
            WireFormat::Json => ("application/json", json::write_batch(entries)),
            WireFormat::Atom => ("application/atom+xml;type=feed", atom::write_batch(entries)),
        }
    }

    /// A request with a body.
    pub fn request(
        &self,
        method: Method,
        url: Url,
        resource: &'static str,
        body: (&'static str, String),
        idempotent: bool,
    ) -> Request {
        Request {
            method,
            url,
            body: Some(body),
            if_match: None,
            resource,
            accept: self.accept(),
            idempotent,
            max_attempts: None,
            method_override: None,
        }
    }

    /// Fetches one feed page.
    pub async fn get_feed(
        &self,
        url: Url,
        resource: &'static str,
        context: &Context,
    ) -> ConnectorResult<WireFeed> {
        let tunnel_above = self
            .options
            .tunnel_long_gets
            .then_some(self.options.max_url_length);
        let request = Request::long_get(url, resource, self.accept(), tunnel_above);
        self.client
            .execute(&request, |reply| response::feed(reply, context))
            .await
            .map_err(Failure::into_error)
    }

    /// The fields of an entity or source from `$schema`, fetched once per connector and
    /// cached.
    pub async fn schema(&self, of: impl Into<Resource>) -> ConnectorResult<Arc<EntitySchema>> {
        let of = of.into();
        let mut cache = self.schemas.lock().await;
        if let Some(found) = cache.get(&of) {
            return Ok(Arc::clone(found));
        }
        let kind = of.plural();
        let url = self.client.endpoint.keyword(kind, "$schema", &[])?;
        let request = Request::get(url, "$schema", Accept::Xml);
        let context = self.context(of.as_str(), None);
        let parsed = self
            .client
            .execute(&request, |reply| {
                if !reply.status.is_success() {
                    return Err(crate::client::Rejection::Final(response::error_for(
                        reply, &context,
                    )));
                }
                schema::parse(&reply.body, kind, of.as_str()).map_err(|e| {
                    crate::client::Rejection::Malformed(format!("the {kind} schema: {e}"))
                })
            })
            .await
            .map_err(Failure::into_error)?;
        let parsed = Arc::new(parsed);
        cache.insert(of, Arc::clone(&parsed));
        Ok(parsed)
    }

    /// Whether `$batch` is (still believed to be) available.
    pub fn batch_available(&self) -> bool {
        !self.batch_unsupported.load(Ordering::Relaxed)
    }
}

#[async_trait]
impl CrmConnector for InforCrm {
    fn kind(&self) -> &'static str {
        crate::KIND
    }

    fn vocabulary(&self) -> &'static dyn Vocabulary {
        &crate::vocabulary::VOCABULARY
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            batch_size: if self.inner.batch_available() {
                self.inner.options.batch_size.max(1)
            } else {
                1
            },
            lookup_chunk: self.inner.options.lookup_chunk.max(1),
            read_page: usize::try_from(self.inner.page_size).unwrap_or(usize::MAX),
            push_page: PUSH_PAGE,
            incremental: true,
            notes: true,
            note_subject_max: crate::notes::DESCRIPTION_MAX,
        }
    }

    async fn verify(&self) -> ConnectorResult<CrmUser> {
        crate::verify::verify(&self.inner).await
    }

    async fn describe(&self, entity: EntityKind) -> ConnectorResult<Vec<FieldDef>> {
        Ok(self.inner.schema(entity).await?.fields.clone())
    }

    fn read(&self, entity: EntityKind, query: ReadQuery) -> RecordStream {
        crate::read::read(Arc::clone(&self.inner), entity, query)
    }

    async fn find_by_email(
        &self,
        entity: EntityKind,
        emails: &[String],
        fields: &[String],
    ) -> ConnectorResult<Vec<CrmRecord>> {
        crate::read::find_by_email(&self.inner, entity, emails, fields).await
    }

    async fn get_by_keys(
        &self,
        entity: EntityKind,
        keys: &[String],
        fields: &[String],
    ) -> ConnectorResult<Vec<CrmRecord>> {
        crate::read::get_by_keys(&self.inner, entity, keys, fields).await
    }

    async fn create(&self, entity: EntityKind, fields: &FieldValues) -> ConnectorResult<CrmRecord> {
        crate::write::create(&self.inner, entity, fields, false).await
    }

    async fn update(
        &self,
        entity: EntityKind,
        key: &str,
        etag: Option<&str>,
        fields: &FieldValues,
    ) -> ConnectorResult<CrmRecord> {
        crate::write::update(&self.inner, entity, key, etag, fields, None).await
    }

    async fn write_batch(&self, ops: Vec<WriteOp>) -> ConnectorResult<Vec<WriteOutcome>> {
        Ok(crate::batch::write_batch(&self.inner, ops).await)
    }

    async fn add_notes(&self, notes: Vec<Note>) -> ConnectorResult<Vec<ConnectorResult<String>>> {
        Ok(crate::notes::add_notes(&self.inner, notes).await)
    }

    async fn find_notes(&self, notes: &[Note]) -> ConnectorResult<Vec<Option<String>>> {
        crate::notes::find_notes(&self.inner, notes).await
    }

    /// Leads and contacts as [`CrmConnector::describe`] describes them; opportunities
    /// from the `opportunities` `$schema` (cached like the people's), followed by their
    /// primary contact's fields as read-only `Contact.<Field>` (see `linked`).
    async fn describe_source(&self, source: SourceKind) -> ConnectorResult<Vec<FieldDef>> {
        match source.entity() {
            Some(entity) => self.describe(entity).await,
            None => crate::linked::describe(&self.inner).await,
        }
    }

    /// Leads and contacts through [`CrmConnector::read`]; opportunities through the same
    /// keyset-paged, filtered read of the `opportunities` feed (no email selected), with
    /// any requested `Contact.<Field>` read from each page's primary contacts in a few
    /// requests per page (see `linked`). Filters on `Contact.<Field>` are refused.
    fn read_source(&self, source: SourceKind, query: ReadQuery) -> SourceStream {
        match source.entity() {
            Some(entity) => self
                .read(entity, query)
                .map_ok(|page| page.records.into_iter().map(SourceRecord::from).collect())
                .boxed(),
            None => crate::linked::read(Arc::clone(&self.inner), query),
        }
    }

    /// Leads and contacts through [`CrmConnector::update`] without an etag;
    /// opportunities by an unconditional PUT of the given fields, which must be the
    /// opportunity's own: a `Contact.<Field>` is refused before anything is sent.
    async fn update_source(
        &self,
        source: SourceKind,
        key: &str,
        fields: &FieldValues,
    ) -> ConnectorResult<()> {
        match source.entity() {
            Some(entity) => self.update(entity, key, None, fields).await.map(|_| ()),
            None => {
                crate::linked::refuse_writes(fields)?;
                crate::write::update_source(&self.inner, source, key, fields).await
            }
        }
    }
}
