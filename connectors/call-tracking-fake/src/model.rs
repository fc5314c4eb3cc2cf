//! What the platform takes and answers: one conversion row, the references it knows,
//! and the answer per row.

use serde::{Deserialize, Serialize};

/// The date-time format the platform takes, always in UTC (`2011-12-15 12:02:34`).
pub const DATE_TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// One conversion as sent: the fields the Infinity guide lists, the reference that ties
/// it to a call or visit, and the sender's key for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversion {
    /// The sender's key for this row: the same key is the same conversion.
    pub idempotency_key: String,
    /// The kind of interaction, e.g. `sale`.
    pub action_name: String,
    /// A longer description, e.g. the product bought.
    #[serde(default)]
    pub title: Option<String>,
    /// When it happened, UTC, `YYYY-MM-DD HH:MM:SS`.
    pub date_time: String,
    /// The sale's own reference (an order number), if any.
    #[serde(default)]
    pub transaction_reference: Option<String>,
    /// The money taken, as a decimal number in text.
    #[serde(default)]
    pub transaction_amount: Option<String>,
    /// The ISO 4217 code of the amount's currency.
    #[serde(default)]
    pub transaction_currency: Option<String>,
    /// The margin or gross profit, as a decimal number in text.
    #[serde(default)]
    pub transaction_margin: Option<String>,
    /// The web visitor's id (from a hidden form field).
    #[serde(default)]
    pub visitor_id: Option<String>,
    /// The call's reference (read out to the call handler).
    #[serde(default)]
    pub call_reference: Option<String>,
}

impl Conversion {
    /// The reference the row is credited by: the call reference when it has one, else
    /// the visitor id.
    pub fn reference(&self) -> Option<(ReferenceKind, &str)> {
        fn present(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        present(&self.call_reference)
            .map(|r| (ReferenceKind::CallReference, r))
            .or_else(|| present(&self.visitor_id).map(|r| (ReferenceKind::VisitorId, r)))
    }

    /// Why the platform refuses the row's values, in its words; `None` when they are
    /// well formed (whether it has a reference, and a known one, is checked apart).
    pub fn invalid(&self) -> Option<String> {
        if self.idempotency_key.trim().is_empty() {
            return Some("idempotency_key is required".into());
        }
        if self.action_name.trim().is_empty() {
            return Some("action_name is required".into());
        }
        if chrono::NaiveDateTime::parse_from_str(&self.date_time, DATE_TIME_FORMAT).is_err() {
            return Some(format!(
                "date_time '{}' is not a UTC date-time like 2011-12-15 12:02:34",
                self.date_time
            ));
        }
        if let Some(currency) = self.transaction_currency.as_deref()
            && !(currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Some(format!(
                "transaction_currency '{currency}' is not an ISO 4217 code"
            ));
        }
        for (name, value) in [
            ("transaction_amount", &self.transaction_amount),
            ("transaction_margin", &self.transaction_margin),
        ] {
            if let Some(value) = value.as_deref()
                && !value.trim().parse::<f64>().is_ok_and(f64::is_finite)
            {
                return Some(format!("{name} '{value}' is not a number"));
            }
        }
        None
    }
}

/// Which kind of reference a row or a seeded reference is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    /// A web visitor's id.
    VisitorId,
    /// A call's reference.
    CallReference,
}

impl ReferenceKind {
    /// How the platform names it in its answers.
    pub fn words(self) -> &'static str {
        match self {
            ReferenceKind::VisitorId => "visitor id",
            ReferenceKind::CallReference => "call reference",
        }
    }
}

/// A call or visit the platform knows, and the marketing source it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeededReference {
    /// Call reference or visitor id.
    pub kind: ReferenceKind,
    /// The reference itself.
    pub value: String,
    /// The marketing source the platform credits (e.g. `Google Ads / Brand`).
    pub source: String,
}

/// Accepted or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// Stored and credited to a marketing source.
    Accepted,
    /// Not stored; `message` says why.
    Rejected,
}

/// The platform's answer for one row, in the order the rows were sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowResult {
    /// The row's idempotency key.
    pub idempotency_key: String,
    /// Accepted or rejected.
    pub status: RowStatus,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The marketing source credited, for an accepted row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketing_source: Option<String>,
    /// The key was seen before: this is the first answer again and nothing was stored.
    #[serde(default)]
    pub duplicate: bool,
}
