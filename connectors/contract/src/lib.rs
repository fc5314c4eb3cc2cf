//! The contract suite: what every CRM connector must do, checked against its own fake CRM.
//!
//! The engine relies on a handful of promises of [`CrmConnector`]: a full read yields
//! every record exactly once however the CRM pages; an incremental read after a bulk
//! update (many records sharing one modified-at) misses none and repeats none; a lookup
//! by email is case-insensitive and batched; a stale version is a
//! [`ConnectorError::Conflict`], never an overwrite; a batch reports each record's own
//! outcome; notes are written once and found again; and faults (500, 429 with
//! `Retry-After`, timeouts, dropped connections) are retried without creating a record
//! twice; a converted lead is reported with its contact where the CRM keeps the link.
//! Each connector crate runs these cases against its fake through a [`Harness`]
//! (what only the fake can do: insert people, change them on the CRM side, count
//! requests, inject faults) with [`contract_tests!`], so a second CRM is held to exactly
//! the same rules as the first.
//!
//! Field names come from the connector's own [`listbridge_connector::Vocabulary`]: the
//! suite names no CRM field.

#![warn(missing_docs)]

mod faults;
mod moved;
mod notes;
mod people;
mod reads;
mod writes;

use std::sync::Arc;

use async_trait::async_trait;
use listbridge_connector::{CrmConnector, EntityKind, FieldValues};

pub use faults::{faults_are_retried_without_a_second_create, rate_limits_are_waited_out};
pub use moved::converted_leads_are_reported_with_their_contacts;
pub use notes::notes_are_written_once_and_found_again;
pub use people::Person;
pub use reads::{
    a_full_read_yields_every_record_once_under_the_page_cap,
    an_incremental_read_after_a_bulk_update_misses_none_and_repeats_none,
    lookups_by_email_are_batched_and_ignore_case,
};
pub use writes::{
    a_batch_reports_each_records_own_outcome, a_stale_version_is_a_conflict_not_an_overwrite,
    created_records_read_back_and_updates_change_only_their_fields,
};

/// A fault the fake CRM injects into its next matching requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractFault {
    /// Answer 500 without doing anything.
    ServerError,
    /// Answer 429 with `Retry-After` of this many seconds.
    TooManyRequests {
        /// The `Retry-After` seconds.
        retry_after_seconds: u64,
    },
    /// Hold the answer past the connector's request timeout (the request takes effect).
    Timeout,
    /// Close the connection without an answer, after the request took effect: a create
    /// that happened although the connector never heard so.
    DroppedAfterApplying,
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultScope {
    /// Reads of people (feeds, queries, lookups).
    Reads,
    /// Creates of people.
    Creates,
}

/// What the contract needs of a connector's fake CRM: the connector under test and the
/// CRM-side powers only a fake has. One harness is one fresh, empty fake CRM.
#[async_trait]
pub trait Harness: Send + Sync {
    /// The connector under test, pointed at this fake, with short timeouts and backoff.
    fn connector(&self) -> Arc<dyn CrmConnector>;

    /// The most records the fake answers in one page (the cases add more than that).
    fn page_cap(&self) -> usize;

    /// Adds people to the CRM as its users would (not through the connector), each with
    /// the fields given (named as the connector's vocabulary names them); answers their
    /// keys in order.
    async fn add_people(&self, entity: EntityKind, people: &[FieldValues]) -> Vec<String>;

    /// Changes `fields` of the records `keys` on the CRM side as one bulk update: every
    /// record gets the same, new modified-at (and a new version).
    async fn change_together(&self, entity: EntityKind, keys: &[String], fields: &FieldValues);

    /// How many records of `entity` the CRM holds with this email, in any case.
    async fn count_with_email(&self, entity: EntityKind, email: &str) -> usize;

    /// How many notes (history entries, tasks) the CRM holds for this person.
    async fn notes_on(&self, entity: EntityKind, key: &str) -> usize;

    /// Requests the fake has answered so far (every kind).
    async fn requests(&self) -> u64;

    /// Makes the next `times` requests in `scope` fail with `fault`.
    async fn inject(&self, scope: FaultScope, fault: ContractFault, times: u32);

    /// Converts the lead `key` into a contact as the CRM's users would. Answers the
    /// contact's key when the CRM records which contact the lead became (the connector
    /// must then report the move), `None` when it records none (nothing to report).
    async fn convert_lead(&self, key: &str) -> Option<String>;
}

/// Declares one `#[tokio::test]` per contract case, each with a fresh harness from
/// `$make` (an async expression answering a [`Harness`]).
///
/// ```ignore
/// mod contract {
///     connector_contract::contract_tests!(crate::infor_harness(WireFormat::Json));
/// }
/// ```
#[macro_export]
macro_rules! contract_tests {
    ($make:expr) => {
        $crate::contract_tests!(@cases $make;
            a_full_read_yields_every_record_once_under_the_page_cap,
            an_incremental_read_after_a_bulk_update_misses_none_and_repeats_none,
            lookups_by_email_are_batched_and_ignore_case,
            created_records_read_back_and_updates_change_only_their_fields,
            a_stale_version_is_a_conflict_not_an_overwrite,
            a_batch_reports_each_records_own_outcome,
            notes_are_written_once_and_found_again,
            faults_are_retried_without_a_second_create,
            rate_limits_are_waited_out,
            converted_leads_are_reported_with_their_contacts,
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let harness = $make.await;
                $crate::$case(&harness).await;
            }
        )+
    };
}
