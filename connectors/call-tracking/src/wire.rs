//! The JSON the platform takes and answers.

use listbridge_connector::{ConversionReference, ConversionRow, RowOutcome};
use serde::{Deserialize, Serialize};

/// A batch as sent.
#[derive(Debug, Serialize)]
pub(crate) struct Batch<'r> {
    pub conversions: Vec<WireRow<'r>>,
}

/// One row as sent.
#[derive(Debug, Serialize)]
pub(crate) struct WireRow<'r> {
    idempotency_key: &'r str,
    action_name: &'r str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'r str>,
    date_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_reference: Option<&'r str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_amount: Option<&'r str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_currency: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_margin: Option<&'r str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    visitor_id: Option<&'r str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    call_reference: Option<&'r str>,
}

impl<'r> WireRow<'r> {
    pub fn of(row: &'r ConversionRow) -> Self {
        let (visitor_id, call_reference) = match &row.reference {
            ConversionReference::VisitorId(v) => (Some(v.as_str()), None),
            ConversionReference::CallReference(c) => (None, Some(c.as_str())),
        };
        WireRow {
            idempotency_key: &row.key,
            action_name: &row.action_name,
            title: row.title.as_deref(),
            date_time: row.date_time(),
            transaction_reference: row.transaction_reference.as_deref(),
            transaction_amount: row.amount.as_ref().map(|a| a.as_str()),
            transaction_currency: row.currency.map(|c| c.code()),
            transaction_margin: row.margin.as_ref().map(|a| a.as_str()),
            visitor_id,
            call_reference,
        }
    }
}

/// The answer to a batch.
#[derive(Debug, Deserialize)]
pub(crate) struct Answer {
    pub results: Vec<WireResult>,
}

/// The answer for one row.
#[derive(Debug, Deserialize)]
pub(crate) struct WireResult {
    pub idempotency_key: String,
    pub status: String,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub marketing_source: Option<String>,
}

impl WireResult {
    /// The outcome this answer states, or `None` for a status the platform does not
    /// document.
    pub fn outcome(self) -> Option<RowOutcome> {
        match self.status.as_str() {
            "accepted" => Some(RowOutcome::Accepted {
                marketing_source: self.marketing_source.filter(|s| !s.trim().is_empty()),
            }),
            "rejected" => Some(RowOutcome::Rejected {
                message: self
                    .message
                    .unwrap_or_else(|| "rejected without a reason".into()),
            }),
            _ => None,
        }
    }
}

/// The platform's error body, `{"error": "..."}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    pub error: String,
}
