//! What can go wrong answering a phone system: one enum for the callers service, so
//! `api/problems.rs` maps each cause to HTTP once.

use crate::{
    callers::{keys::LookupKeyError, routing::RoutingError},
    store::{RuleSetId, StoreError},
};

/// Why a caller lookup or route could not be answered. No match is not an error: it
/// is an empty answer.
#[derive(Debug, thiserror::Error)]
pub enum CallerError {
    /// The lookup key or its secret header was refused (401).
    #[error(transparent)]
    Key(#[from] LookupKeyError),
    /// No rule set with that id in the key's account (404).
    #[error("routing rule set {0} not found")]
    UnknownRuleSet(RuleSetId),
    /// The account's default region is not an ISO 3166 alpha-2 code with a numbering plan.
    #[error(
        "'{0}' is not a region with phone numbers; use an ISO 3166 alpha-2 code such as GB or US"
    )]
    InvalidRegion(String),
    /// Reading the rule set failed.
    #[error(transparent)]
    Routing(#[from] RoutingError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
