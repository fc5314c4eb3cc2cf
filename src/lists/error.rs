//! Why a list, column, upload, usage or segment action failed, in terms a marketer can
//! act on. The API turns each variant into its own status and code.

use listbridge_connector::EntityKind;

use super::upload::parse::UploadError;
use crate::{
    connectors::ConnectError,
    domain::segment_filter::FilterError,
    field_usages::FieldUsageError,
    store::{ListId, MemberId, SegmentId, StoreError},
};

/// The outcome of a failed list action.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// No such list in this account.
    #[error("list {0} was not found")]
    NotFound(ListId),
    /// No such member in the list.
    #[error("member {0} was not found in this list")]
    MemberNotFound(MemberId),
    /// Values for columns the list does not have.
    #[error("list '{list}' has no column {}", quoted(.columns))]
    UnknownColumns {
        /// The list's name.
        list: String,
        /// The names given that are not columns.
        columns: Vec<String>,
    },
    /// No such segment in this account.
    #[error("segment {0} was not found")]
    SegmentNotFound(SegmentId),
    /// Fields the CRM does not have for this entity.
    #[error(
        "the CRM has no {entity} field named {}; GET /v1/connectors/{{id}}/fields?entity={entity} lists them",
        quoted(.unknown)
    )]
    UnknownFields {
        /// Lead or contact.
        entity: EntityKind,
        /// The names asked for that do not exist.
        unknown: Vec<String>,
    },
    /// The list already has columns with these names.
    #[error("list '{list}' already has the column {}", quoted(.columns))]
    ColumnsExist {
        /// The list's name.
        list: String,
        /// The clashing names.
        columns: Vec<String>,
    },
    /// A column's field usage cannot be used (an upload's mapping names no system usage).
    #[error(transparent)]
    FieldUsage(#[from] FieldUsageError),
    /// A request value is missing or malformed.
    #[error("{field}: {message}")]
    Invalid {
        /// The request field.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The segment filter cannot be saved.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// The uploaded file cannot be used as a whole (row problems are reported, not errors).
    #[error(transparent)]
    Upload(#[from] UploadError),
    /// The uploaded body is larger than the service accepts.
    #[error("the upload is larger than the {limit_mib} MiB limit")]
    TooLarge {
        /// The limit in MiB.
        limit_mib: u64,
    },
    /// The list is not linked to a CRM connector, so CRM fields cannot be added.
    #[error("list '{0}' is not linked to a CRM connector")]
    NotLinked(String),
    /// A failure inside the service (logged; the client gets a generic message).
    #[error("{0}")]
    Internal(String),
    /// The connector could not be used.
    #[error(transparent)]
    Connector(#[from] ConnectError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}
