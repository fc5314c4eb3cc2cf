//! Why a job stopped before it was done, in the terms the dispatcher acts on: wait its
//! turn, retry with backoff, or fail for good. Every kind of job (runs, form deliveries,
//! note deliveries) turns its own failures into this one type.

use listbridge_connector::ConnectorError;

use crate::store::StoreError;

/// Why a job stopped before it was done.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Another job holds what this one needs (a run of the same list, a delivery for the
    /// same email): it waits its turn without spending an attempt.
    #[error("{0}")]
    Busy(String),
    /// The CRM failed: retried with backoff when the failure may pass (an outage, a rate
    /// limit), failed for good otherwise.
    #[error("{0}")]
    Crm(#[from] ConnectorError),
    /// The database failed: retried with backoff.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The job cannot succeed until someone changes something (a setup, a malformed
    /// payload); the message says what. Not retried.
    #[error("{0}")]
    Fatal(String),
}

impl JobError {
    /// A CRM-side condition that passes with time (a lapsed lock, a connector that cannot
    /// be opened right now), retried with backoff like a CRM outage.
    pub fn transient(message: impl Into<String>) -> Self {
        JobError::Crm(ConnectorError::Transient {
            message: message.into(),
        })
    }

    /// Whether trying the job again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            JobError::Crm(e) => e.may_pass(),
            JobError::Store(_) | JobError::Busy(_) => true,
            JobError::Fatal(_) => false,
        }
    }
}
