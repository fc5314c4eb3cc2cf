//! The exactly-once rules of the conversions ledger, kept apart from I/O so they can be
//! read (and tested) in one place: what a record read now does to the row stored for
//! it. A row taken by the platform is never sent again; if its record changes, it is
//! flagged *changed after sending*. A row the platform refused, or that could not be
//! built, goes out again only once what it says has changed (a corrected reference).

use chrono::{DateTime, Utc};
use listbridge_connector::{Amount, ConversionReference, ConversionRow, Currency, SourceRecord};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::RowProblem;
use crate::store::{AccountId, ConversionExportId, ConversionRunId, LedgerRow};

/// A ledger row's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// Built and waiting to be sent (or, for a download export, ready to download).
    Pending,
    /// The platform took it.
    Accepted,
    /// The platform refused it; its words are kept.
    Rejected,
    /// Refused here before sending (a currency that is not ISO 4217, no reference).
    Invalid,
}

impl RowStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Pending => "pending",
            RowStatus::Accepted => "accepted",
            RowStatus::Rejected => "rejected",
            RowStatus::Invalid => "invalid",
        }
    }

    /// The status of a stored name.
    pub fn parse(raw: &str) -> Option<RowStatus> {
        [
            RowStatus::Pending,
            RowStatus::Accepted,
            RowStatus::Rejected,
            RowStatus::Invalid,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// A row as stored to be sent again unchanged (the payload column), and as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Payload {
    /// The action name.
    pub action_name: String,
    /// The title.
    pub title: Option<String>,
    /// When it happened, UTC, `YYYY-MM-DD HH:MM:SS`.
    pub date_time: String,
    /// The sale's own reference.
    pub transaction_reference: Option<String>,
    /// The amount, as the CRM holds it.
    pub transaction_amount: Option<String>,
    /// The ISO 4217 currency.
    pub transaction_currency: Option<String>,
    /// The margin.
    pub transaction_margin: Option<String>,
    /// The visitor id it is credited to.
    pub visitor_id: Option<String>,
    /// The call reference it is credited to.
    pub call_reference: Option<String>,
}

impl Payload {
    /// The payload of a built row.
    pub fn of(row: &ConversionRow) -> Payload {
        let (visitor_id, call_reference) = match &row.reference {
            ConversionReference::VisitorId(v) => (Some(v.clone()), None),
            ConversionReference::CallReference(c) => (None, Some(c.clone())),
        };
        Payload {
            action_name: row.action_name.clone(),
            title: row.title.clone(),
            date_time: row.date_time(),
            transaction_reference: row.transaction_reference.clone(),
            transaction_amount: row.amount.as_ref().map(|a| a.as_str().to_string()),
            transaction_currency: row.currency.map(|c| c.code().to_string()),
            transaction_margin: row.margin.as_ref().map(|a| a.as_str().to_string()),
            visitor_id,
            call_reference,
        }
    }

    /// The row again, under `key`; `None` when the stored text no longer checks (it
    /// was checked when built, so only a damaged row).
    pub fn row(&self, key: &str) -> Option<ConversionRow> {
        let optional_amount = |raw: &Option<String>| match raw {
            Some(raw) => Amount::parse(raw).map(Some),
            None => Some(None),
        };
        let currency = match &self.transaction_currency {
            Some(code) => Some(Currency::parse(code)?),
            None => None,
        };
        let reference = match (&self.call_reference, &self.visitor_id) {
            (Some(c), _) => ConversionReference::CallReference(c.clone()),
            (None, Some(v)) => ConversionReference::VisitorId(v.clone()),
            (None, None) => return None,
        };
        let occurred_at = chrono::NaiveDateTime::parse_from_str(
            &self.date_time,
            listbridge_connector::destination::CONVERSION_DATE_TIME,
        )
        .ok()?
        .and_utc();
        Some(ConversionRow {
            key: key.to_string(),
            action_name: self.action_name.clone(),
            title: self.title.clone(),
            occurred_at,
            transaction_reference: self.transaction_reference.clone(),
            amount: optional_amount(&self.transaction_amount)?,
            currency,
            margin: optional_amount(&self.transaction_margin)?,
            reference,
        })
    }
}

/// A record's conversion as built now: a row to send, or why it cannot be one.
pub type Built = Result<ConversionRow, RowProblem>;

/// What one triggered record does to the ledger.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// A new row.
    Insert(LedgerRow),
    /// The stored row changes (rebuilt, to send again, or newly invalid).
    Update(LedgerRow),
    /// A row the platform took, whose record has changed since: flagged, not re-sent.
    ChangedAfterSending(LedgerRow),
    /// Nothing to do.
    Unchanged,
}

/// Where a decision is made: the export, the run, and now.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// The account.
    pub account: AccountId,
    /// The export.
    pub export: ConversionExportId,
    /// The run deciding.
    pub run: ConversionRunId,
    /// Now.
    pub now: DateTime<Utc>,
}

/// The payload text, fingerprint, status and message of what was built.
fn contents(
    built: &Built,
) -> (
    String,
    String,
    RowStatus,
    Option<String>,
    Option<DateTime<Utc>>,
) {
    let (payload, status, message, occurred_at) = match built {
        Ok(row) => (
            serde_json::to_string(&Payload::of(row)).unwrap_or_default(),
            RowStatus::Pending,
            None,
            Some(row.occurred_at),
        ),
        Err(problem) => (
            "{}".to_string(),
            RowStatus::Invalid,
            Some(problem.to_string()),
            None,
        ),
    };
    let mut hash = Sha256::new();
    hash.update(payload.as_bytes());
    hash.update([0]);
    hash.update(message.as_deref().unwrap_or_default().as_bytes());
    let fingerprint = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    (payload, fingerprint, status, message, occurred_at)
}

/// Decides what `built` (for `record`, under `key`) does to `existing`, its stored row.
pub fn decide(
    ctx: Context,
    record: &SourceRecord,
    key: &str,
    built: &Built,
    existing: Option<&LedgerRow>,
) -> Decision {
    let (payload, fingerprint, status, message, occurred_at) = contents(built);
    let Some(existing) = existing else {
        return Decision::Insert(LedgerRow {
            id: String::new(),
            account_id: ctx.account.as_db(),
            export_id: ctx.export.as_db(),
            row_key: key.to_string(),
            source: record.source.as_str().to_string(),
            crm_key: record.key.clone(),
            status: status.as_str().to_string(),
            payload,
            fingerprint,
            message,
            marketing_source: None,
            enriched_at: None,
            changed_after_sending: false,
            first_matched_at: ctx.now,
            occurred_at,
            last_run_id: Some(ctx.run.as_db()),
            batch_id: None,
            sent_at: None,
            created_at: ctx.now,
            updated_at: ctx.now,
        });
    };
    if existing.fingerprint == fingerprint {
        return Decision::Unchanged;
    }
    match RowStatus::parse(&existing.status) {
        Some(RowStatus::Accepted) => {
            if existing.changed_after_sending {
                Decision::Unchanged
            } else {
                Decision::ChangedAfterSending(LedgerRow {
                    changed_after_sending: true,
                    last_run_id: Some(ctx.run.as_db()),
                    updated_at: ctx.now,
                    ..existing.clone()
                })
            }
        }
        // A pending row in a batch whose outcome is in doubt keeps what that batch said:
        // the batch is sent again exactly, and the change waits for the next run.
        Some(RowStatus::Pending) if existing.batch_id.is_some() => Decision::Unchanged,
        _ => Decision::Update(LedgerRow {
            status: status.as_str().to_string(),
            batch_id: None,
            payload,
            fingerprint,
            message,
            occurred_at,
            last_run_id: Some(ctx.run.as_db()),
            updated_at: ctx.now,
            ..existing.clone()
        }),
    }
}

#[cfg(test)]
mod tests {
    use listbridge_connector::SourceKind;
    use uuid::Uuid;

    use super::*;

    fn ctx() -> Context {
        Context {
            account: AccountId(Uuid::nil()),
            export: ConversionExportId(Uuid::nil()),
            run: ConversionRunId(Uuid::nil()),
            now: DateTime::UNIX_EPOCH,
        }
    }

    fn record() -> SourceRecord {
        SourceRecord {
            source: SourceKind::Opportunity,
            key: "O1".into(),
            modify_date: None,
            fields: Default::default(),
        }
    }

    fn row(amount: &str, reference: &str) -> Built {
        Ok(ConversionRow {
            key: "k".into(),
            action_name: "sale".into(),
            title: Some("Gold plan".into()),
            occurred_at: DateTime::UNIX_EPOCH,
            transaction_reference: None,
            amount: Amount::parse(amount),
            currency: Currency::parse("GBP"),
            margin: None,
            reference: ConversionReference::CallReference(reference.into()),
        })
    }

    fn stored(built: &Built, status: RowStatus) -> LedgerRow {
        match decide(ctx(), &record(), "k", built, None) {
            Decision::Insert(row) => LedgerRow {
                status: status.as_str().into(),
                ..row
            },
            other => panic!("a first sight inserts, not {other:?}"),
        }
    }

    #[test]
    fn a_payload_gives_back_the_row_it_was_made_from() {
        let Ok(built) = row("1500.50", "CR-1") else {
            panic!("built")
        };
        assert_eq!(Payload::of(&built).row("k"), Some(built));
    }

    #[test]
    fn an_accepted_row_is_never_sent_again_and_a_change_is_flagged_once() {
        let sent = stored(&row("100", "CR-1"), RowStatus::Accepted);
        assert_eq!(
            decide(ctx(), &record(), "k", &row("100", "CR-1"), Some(&sent)),
            Decision::Unchanged
        );
        let Decision::ChangedAfterSending(flagged) =
            decide(ctx(), &record(), "k", &row("250", "CR-1"), Some(&sent))
        else {
            panic!("a changed amount after sending is flagged")
        };
        assert_eq!(flagged.status, "accepted");
        assert_eq!(flagged.payload, sent.payload, "what was sent is kept");
        assert_eq!(
            decide(ctx(), &record(), "k", &row("300", "CR-1"), Some(&flagged)),
            Decision::Unchanged,
            "flagged once"
        );
    }

    #[test]
    fn a_rejected_row_goes_again_only_once_corrected() {
        let rejected = stored(&row("100", "CR-BAD"), RowStatus::Rejected);
        assert_eq!(
            decide(
                ctx(),
                &record(),
                "k",
                &row("100", "CR-BAD"),
                Some(&rejected)
            ),
            Decision::Unchanged
        );
        let Decision::Update(again) =
            decide(ctx(), &record(), "k", &row("100", "CR-1"), Some(&rejected))
        else {
            panic!("a corrected reference is sent again")
        };
        assert_eq!(again.status, "pending");
        assert!(again.payload.contains("CR-1"));
    }

    #[test]
    fn a_problem_is_kept_with_its_words_until_fixed() {
        let problem: Built = Err(RowProblem::BadValue {
            entity: "opportunity".into(),
            key: "O1".into(),
            field: "ExchangeRateCode".into(),
            value: "XYZ".into(),
            wanted: "an ISO 4217 code",
        });
        let invalid = stored(&problem, RowStatus::Invalid);
        assert_eq!(invalid.status, "invalid");
        assert!(
            invalid
                .message
                .as_deref()
                .is_some_and(|m| m.contains("O1") && m.contains("XYZ")),
            "{:?}",
            invalid.message
        );
        let Decision::Update(fixed) =
            decide(ctx(), &record(), "k", &row("1", "CR-1"), Some(&invalid))
        else {
            panic!("fixed")
        };
        assert_eq!((fixed.status.as_str(), fixed.message), ("pending", None));
    }
}
