//! The run report under construction: counts and per-record entries, numbered in order
//! and flushed to the store with each committed page.

use listbridge_connector::{CrmRecord, EntityKind, Vocabulary};

use crate::store::{RunCounts, RunRecord};

/// Counts plus the records not yet written.
#[derive(Debug, Default)]
pub struct Report {
    /// Counts so far (restored from the checkpoint on resume).
    pub counts: RunCounts,
    /// The next record sequence number.
    pub next_seq: i64,
    pending: Vec<RunRecord>,
}

/// What a report entry is about.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    /// The email involved.
    pub email: Option<&'a str>,
    /// Lead or contact.
    pub entity: Option<EntityKind>,
    /// The CRM record.
    pub key: Option<&'a str>,
}

impl<'a> Subject<'a> {
    /// A CRM record not (yet) a member, named by the email it carries.
    pub fn record(vocab: &dyn Vocabulary, record: &'a CrmRecord) -> Self {
        Subject {
            email: vocab.email_of(record),
            entity: Some(record.entity),
            key: Some(&record.key),
        }
    }

    /// A member and the CRM record it meets, named by the member's email (which the
    /// record's may differ from).
    pub fn member_record(email: &'a str, record: &'a CrmRecord) -> Self {
        Subject {
            email: Some(email),
            entity: Some(record.entity),
            key: Some(&record.key),
        }
    }
}

impl Report {
    /// A report resuming from saved counts.
    pub fn resume(counts: RunCounts, next_seq: i64) -> Self {
        Report {
            counts,
            next_seq,
            pending: Vec::new(),
        }
    }

    /// Adds an entry.
    pub fn record(
        &mut self,
        outcome: &str,
        subject: Subject<'_>,
        field: Option<&str>,
        detail: impl Into<String>,
        data: Option<serde_json::Value>,
    ) {
        self.next_seq += 1;
        self.pending.push(RunRecord {
            seq: self.next_seq,
            outcome: outcome.to_string(),
            email: subject.email.map(String::from),
            crm_entity: subject.entity.map(|e| e.as_str().to_string()),
            crm_key: subject.key.map(String::from),
            field: field.map(String::from),
            detail: detail.into(),
            data,
        });
    }

    /// Whether any entry waits to be written (a page with some must be saved).
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Takes the entries to write with the current page.
    pub fn take_pending(&mut self) -> Vec<RunRecord> {
        std::mem::take(&mut self.pending)
    }
}
