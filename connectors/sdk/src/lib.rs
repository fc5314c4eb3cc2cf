//! The connector plugin API: the one trait every CRM implements for listbridge.
//!
//! The sync engine, imports, forms and notes talk to a CRM only through
//! [`CrmConnector`]. A CRM is added by writing a crate that implements it and
//! registering a [`ConnectorFactory`] under a kind name in a [`ConnectorRegistry`].
//!
//! Records are flat: every field is a name and an optional canonical string value.
//! Which field is the email, the opt-out or a Standard Field Name is the connector's
//! [`Vocabulary`] to say.
//! Fields of a related single record (a lead's address) use a dotted name such as
//! `Address.City`; the connector maps them to the CRM's nesting.

pub mod destination;
mod error;
pub mod metric_names;
mod model;
pub mod moved;
pub mod outbound;
mod registry;
pub mod retry;
pub mod source;
mod usage;
mod vocabulary;

pub use destination::{
    Amount, ConversionDestination, ConversionReference, ConversionRow, Currency, DestinationError,
    RowOutcome,
};
pub use error::{ConnectorError, ConnectorResult};
pub use model::{
    Capabilities, CrmRecord, CrmUser, EmailLookup, EntityKind, FieldDef, FieldType, FieldValues,
    Filter, Note, NoteKind, NoteTarget, ReadPage, ReadQuery, RecordStream, Watermark, WriteOp,
    WriteOutcome,
};
pub use registry::{
    ConnectorConfig, ConnectorFactory, ConnectorRegistry, DEFAULT_MAX_RESPONSE_BYTES, RateLimit,
};

pub use moved::{Moved, MovedStream};
pub use outbound::{AllowList, OutboundError, OutboundGuard};
pub use source::{SourceKind, SourceRecord, SourceStream};
pub use usage::SystemUsage;
pub use vocabulary::Vocabulary;

use async_trait::async_trait;

/// A live connection to one CRM, shared by every task of one connector (`Arc<dyn CrmConnector>`).
///
/// Implementations own their transport concerns: authentication, rate limiting,
/// retries of transient failures with backoff, paging and wire formats. What reaches
/// the caller is either a result or a typed [`ConnectorError`] the engine can act on.
#[async_trait]
pub trait CrmConnector: Send + Sync + std::fmt::Debug {
    /// The registry kind name, e.g. `infor-crm`.
    fn kind(&self) -> &'static str;

    /// What this CRM can do, so the engine can pick batch writes or single requests.
    fn capabilities(&self) -> Capabilities;

    /// The CRM's names for the fields listbridge gives a meaning to (the same as its
    /// factory's [`ConnectorFactory::vocabulary`]).
    fn vocabulary(&self) -> &'static dyn Vocabulary;

    /// Logs in and returns the CRM user; used by *Connect* and *Reconfirm Login*.
    async fn verify(&self) -> ConnectorResult<CrmUser>;

    /// The field definitions (standard and custom) of an entity, used to validate
    /// field selections and values before anything is written.
    async fn describe(&self, entity: EntityKind) -> ConnectorResult<Vec<FieldDef>>;

    /// Streams the records of an entity page by page, oldest modification first
    /// (ordered by modify date, then key). Never collects a whole table.
    fn read(&self, entity: EntityKind, query: ReadQuery) -> RecordStream;

    /// Looks up records by email in as few requests as the CRM allows (chunks, not one
    /// request per email). Emails are compared case-insensitively; every record whose
    /// email matches one of `emails` is returned, with `fields` filled.
    async fn find_by_email(
        &self,
        entity: EntityKind,
        emails: &[String],
        fields: &[String],
    ) -> ConnectorResult<Vec<CrmRecord>>;

    /// Looks up records of several entities by the same emails, in as few requests as
    /// the CRM allows: one answer per entry of `lookups`, in their order, each as
    /// [`CrmConnector::find_by_email`] answers it. The default asks entity by entity; a
    /// CRM that runs several queries in one request overrides it.
    async fn find_by_email_in(
        &self,
        lookups: &[EmailLookup],
        emails: &[String],
    ) -> ConnectorResult<Vec<Vec<CrmRecord>>> {
        let mut answers = Vec::with_capacity(lookups.len());
        for lookup in lookups {
            answers.push(
                self.find_by_email(lookup.entity, emails, &lookup.fields)
                    .await?,
            );
        }
        Ok(answers)
    }

    /// Reads records by key in chunks; keys that no longer exist are simply absent.
    async fn get_by_keys(
        &self,
        entity: EntityKind,
        keys: &[String],
        fields: &[String],
    ) -> ConnectorResult<Vec<CrmRecord>>;

    /// Creates one record and returns it with its new key and etag.
    ///
    /// Implementations must never create twice: when the answer to a create is lost
    /// they look the record up (by email) before trying again.
    async fn create(&self, entity: EntityKind, fields: &FieldValues) -> ConnectorResult<CrmRecord>;

    /// Updates only the given fields of one record. With an etag the write is
    /// conditional: when the record changed since, the given fields are written over
    /// the CRM's current version (its other edits are kept), and only a record that keeps
    /// changing yields [`ConnectorError::Conflict`]. To have a field the CRM changed
    /// settled as a conflict instead, write through [`CrmConnector::write_batch`] with
    /// [`WriteOp::Update`]'s `expected`.
    async fn update(
        &self,
        entity: EntityKind,
        key: &str,
        etag: Option<&str>,
        fields: &FieldValues,
    ) -> ConnectorResult<CrmRecord>;

    /// Applies several writes in one round trip where the CRM supports it
    /// (see [`Capabilities::batch_size`]); otherwise one by one. Outcomes are in
    /// the order of `ops`, each its own success or error.
    async fn write_batch(&self, ops: Vec<WriteOp>) -> ConnectorResult<Vec<WriteOutcome>>;

    /// Writes notes (history records) to leads or contacts; batched where possible.
    /// Outcomes are in the order of `notes`: the new note's key, or its error.
    async fn add_notes(&self, notes: Vec<Note>) -> ConnectorResult<Vec<ConnectorResult<String>>>;

    /// Looks up notes that may already exist: after a crash between writing notes and
    /// recording their keys, the caller asks before writing them again. A note matches an
    /// existing one for the same person with the same kind, regarding and time (whole
    /// seconds). Outcomes are in the order of `notes`: the existing note's key, or `None`.
    ///
    /// The default says the connector cannot look notes up, so callers never write a
    /// note twice on a guess.
    async fn find_notes(&self, notes: &[Note]) -> ConnectorResult<Vec<Option<String>>> {
        let _ = notes;
        Err(ConnectorError::Invalid {
            message: format!("the {} connector cannot look notes up", self.kind()),
        })
    }

    /// Streams, page by page, the records of `entity` the CRM turned into records of
    /// another entity after `since` (a lead converted into a contact), so list members
    /// linked to them can follow. The default streams nothing and sends no request: for
    /// CRMs whose records never move, or that delete the old record and name no
    /// successor (see [`crate::moved`]).
    fn moved(&self, entity: EntityKind, since: Watermark) -> MovedStream {
        let _ = (entity, since);
        Box::pin(futures::stream::empty())
    }

    /// The field definitions of a conversion source. Leads and contacts are described
    /// as [`CrmConnector::describe`] describes them; a connector with sources of its own
    /// (opportunities) overrides this.
    async fn describe_source(&self, source: SourceKind) -> ConnectorResult<Vec<FieldDef>> {
        match source.entity() {
            Some(entity) => self.describe(entity).await,
            None => Err(source.unsupported(self.kind())),
        }
    }

    /// Streams the records of a conversion source page by page, oldest modification
    /// first, as [`CrmConnector::read`] does (the same `since`, `filters` and paging).
    fn read_source(&self, source: SourceKind, query: ReadQuery) -> SourceStream {
        use futures::{StreamExt, TryStreamExt};
        match source.entity() {
            Some(entity) => self
                .read(entity, query)
                .map_ok(|page| page.records.into_iter().map(SourceRecord::from).collect())
                .boxed(),
            None => {
                futures::stream::once(futures::future::ready(Err(source.unsupported(self.kind()))))
                    .boxed()
            }
        }
    }

    /// Writes the given fields of one source record unconditionally (a conversion's
    /// marketing source written back to the CRM).
    async fn update_source(
        &self,
        source: SourceKind,
        key: &str,
        fields: &FieldValues,
    ) -> ConnectorResult<()> {
        match source.entity() {
            Some(entity) => self.update(entity, key, None, fields).await.map(|_| ()),
            None => Err(source.unsupported(self.kind())),
        }
    }
}
