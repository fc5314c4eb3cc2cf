//! Why a field usage could not be saved or removed, in terms a marketer can act on.

use crate::{domain::field_usage::SystemUsage, store::StoreError};

/// The outcome of a failed field-usage action.
#[derive(Debug, thiserror::Error)]
pub enum FieldUsageError {
    /// No column name was given.
    #[error("column: must not be empty")]
    EmptyColumn,
    /// A usage that is not one of [`SystemUsage`].
    #[error("'{usage}' is not a system usage; valid usages: {}", SystemUsage::names().join(", "))]
    UnknownUsage {
        /// The value given.
        usage: String,
    },
    /// The column has no field usage in this account.
    #[error("column '{0}' has no standard field name")]
    NotFound(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
