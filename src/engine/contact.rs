//! Whether a run got past the CRM's login, and through which connector: what the
//! connector's login alert needs to say "recovered" only after a run the CRM really
//! answered (a run with nothing to read or write never asks it), and to name the
//! connector a push used (an uploaded list pushes through the account's connector).
//!
//! The run's connectors are wrapped as they are opened; any answer only a logged-in
//! request gets (a page, a record, a rejection of a record…) marks the run. Calls a
//! connector may answer without asking the CRM (field definitions from its cache, a
//! lookup of nothing) do not. Recorded
//! with the run's end ([`crate::store::RunRepo::record_crm_contact`]).

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
};

use async_trait::async_trait;
use futures::StreamExt;
use listbridge_connector::{
    Capabilities, ConnectorError, ConnectorResult, CrmConnector, CrmRecord, CrmUser, EmailLookup,
    EntityKind, FieldDef, FieldValues, MovedStream, Note, ReadQuery, RecordStream, SourceKind,
    SourceStream, Vocabulary, Watermark, WriteOp, WriteOutcome,
};

use crate::store::ConnectorId;

/// One execution's contact with the CRM; cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub(crate) struct CrmContact(Arc<State>);

#[derive(Debug, Default)]
struct State {
    connector: Mutex<Option<ConnectorId>>,
    answered: AtomicBool,
}

impl CrmContact {
    /// `connector` (stored as `id`), watched for answers on this run's behalf.
    pub(crate) fn watch(
        &self,
        id: ConnectorId,
        connector: Arc<dyn CrmConnector>,
    ) -> Arc<dyn CrmConnector> {
        if let Ok(mut used) = self.0.connector.lock() {
            *used = Some(id);
        }
        Arc::new(Watched {
            inner: connector,
            contact: self.clone(),
        })
    }

    /// The connector the run opened, if any.
    pub(crate) fn connector(&self) -> Option<ConnectorId> {
        self.0.connector.lock().ok().and_then(|used| *used)
    }

    /// Whether the CRM answered a logged-in request of the run.
    pub(crate) fn answered(&self) -> bool {
        self.0.answered.load(Ordering::Relaxed)
    }

    fn saw<T>(&self, result: &ConnectorResult<T>) {
        if result.as_ref().map_or_else(past_login, |_| true) {
            self.0.answered.store(true, Ordering::Relaxed);
        }
    }
}

/// Whether `error` is an answer only a logged-in request gets: about a record or a
/// page, not about the login, the address or the CRM's health.
pub(crate) fn past_login(error: &ConnectorError) -> bool {
    matches!(
        error,
        ConnectorError::NotFound { .. }
            | ConnectorError::Conflict { .. }
            | ConnectorError::Rejected { .. }
            | ConnectorError::ResponseTooLarge { .. }
            | ConnectorError::PagingLoop { .. }
    )
}

/// A connector whose answers mark its run's [`CrmContact`].
#[derive(Debug)]
struct Watched {
    inner: Arc<dyn CrmConnector>,
    contact: CrmContact,
}

#[async_trait]
impl CrmConnector for Watched {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    fn vocabulary(&self) -> &'static dyn Vocabulary {
        self.inner.vocabulary()
    }

    async fn verify(&self) -> ConnectorResult<CrmUser> {
        let result = self.inner.verify().await;
        self.contact.saw(&result);
        result
    }

    // Not watched: a connector may answer it from its cache, without asking the CRM.
    async fn describe(&self, entity: EntityKind) -> ConnectorResult<Vec<FieldDef>> {
        self.inner.describe(entity).await
    }

    /// A page is an answer, and so is the end of a read that met no error: a read of
    /// nothing new (an idle pull) asked the CRM and got an empty feed.
    fn read(&self, entity: EntityKind, query: ReadQuery) -> RecordStream {
        let pages = self.inner.read(entity, query);
        futures::stream::unfold(
            (pages, self.contact.clone(), false),
            |(mut pages, contact, failed)| async move {
                match pages.next().await {
                    Some(page) => {
                        contact.saw(&page);
                        let failed = failed || page.is_err();
                        Some((page, (pages, contact, failed)))
                    }
                    None => {
                        if !failed {
                            contact.saw(&Ok(()));
                        }
                        None
                    }
                }
            },
        )
        .boxed()
    }

    /// Each page is an answer (a CRM that cannot tell streams nothing and is not asked).
    fn moved(&self, entity: EntityKind, since: Watermark) -> MovedStream {
        let contact = self.contact.clone();
        self.inner
            .moved(entity, since)
            .inspect(move |page| contact.saw(page))
            .boxed()
    }

    async fn describe_source(&self, source: SourceKind) -> ConnectorResult<Vec<FieldDef>> {
        self.inner.describe_source(source).await
    }

    fn read_source(&self, source: SourceKind, query: ReadQuery) -> SourceStream {
        let contact = self.contact.clone();
        self.inner
            .read_source(source, query)
            .inspect(move |page| contact.saw(page))
            .boxed()
    }

    async fn update_source(
        &self,
        source: SourceKind,
        key: &str,
        fields: &FieldValues,
    ) -> ConnectorResult<()> {
        let result = self.inner.update_source(source, key, fields).await;
        self.contact.saw(&result);
        result
    }

    async fn find_by_email(
        &self,
        entity: EntityKind,
        emails: &[String],
        fields: &[String],
    ) -> ConnectorResult<Vec<CrmRecord>> {
        let result = self.inner.find_by_email(entity, emails, fields).await;
        if !emails.is_empty() {
            self.contact.saw(&result);
        }
        result
    }

    async fn find_by_email_in(
        &self,
        lookups: &[EmailLookup],
        emails: &[String],
    ) -> ConnectorResult<Vec<Vec<CrmRecord>>> {
        let result = self.inner.find_by_email_in(lookups, emails).await;
        if !emails.is_empty() && !lookups.is_empty() {
            self.contact.saw(&result);
        }
        result
    }

    async fn get_by_keys(
        &self,
        entity: EntityKind,
        keys: &[String],
        fields: &[String],
    ) -> ConnectorResult<Vec<CrmRecord>> {
        let result = self.inner.get_by_keys(entity, keys, fields).await;
        if !keys.is_empty() {
            self.contact.saw(&result);
        }
        result
    }

    async fn create(&self, entity: EntityKind, fields: &FieldValues) -> ConnectorResult<CrmRecord> {
        let result = self.inner.create(entity, fields).await;
        self.contact.saw(&result);
        result
    }

    async fn update(
        &self,
        entity: EntityKind,
        key: &str,
        etag: Option<&str>,
        fields: &FieldValues,
    ) -> ConnectorResult<CrmRecord> {
        let result = self.inner.update(entity, key, etag, fields).await;
        self.contact.saw(&result);
        result
    }

    async fn write_batch(&self, ops: Vec<WriteOp>) -> ConnectorResult<Vec<WriteOutcome>> {
        let result = self.inner.write_batch(ops).await;
        match &result {
            Ok(outcomes) => outcomes.iter().for_each(|o| self.contact.saw(o)),
            Err(_) => self.contact.saw(&result),
        }
        result
    }

    async fn add_notes(&self, notes: Vec<Note>) -> ConnectorResult<Vec<ConnectorResult<String>>> {
        let result = self.inner.add_notes(notes).await;
        match &result {
            Ok(outcomes) => outcomes.iter().for_each(|o| self.contact.saw(o)),
            Err(_) => self.contact.saw(&result),
        }
        result
    }

    async fn find_notes(&self, notes: &[Note]) -> ConnectorResult<Vec<Option<String>>> {
        let result = self.inner.find_notes(notes).await;
        self.contact.saw(&result);
        result
    }
}
