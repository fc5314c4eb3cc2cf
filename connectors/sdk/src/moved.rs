//! Records a CRM turns into records of another entity: a lead converted into a contact.
//!
//! Salesforce keeps a converted lead (marked `IsConverted`, out of lead reads, refusing
//! writes) and names the contact it became. A list member linked to the lead would
//! otherwise be stranded on a record nobody works on; with [`Moved`] the engine links it
//! to the contact instead and says so in the run report. A CRM that deletes the lead on
//! conversion and names no successor (Infor CRM) streams nothing: the member becomes a
//! tombstone when a push finds the lead gone, as for any deleted record.

use futures::stream::BoxStream;

use crate::{ConnectorResult, EntityKind, Watermark};

/// One record the CRM replaced by a record of another entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The entity of the record that was replaced (a lead).
    pub entity: EntityKind,
    /// Its key.
    pub key: String,
    /// The entity it became (a contact).
    pub to_entity: EntityKind,
    /// The key of the record it became.
    pub to_key: String,
    /// When the CRM recorded the change, as the replaced record's (modify date, key).
    pub at: Watermark,
}

/// The pages of [`Moved`] records a sweep produces, in (modify date, key) order.
pub type MovedStream = BoxStream<'static, ConnectorResult<Vec<Moved>>>;
