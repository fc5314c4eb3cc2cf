//! Writing one batch of call notes (the `interaction_delivery` job).
//!
//! 1. Interactions left `sending` by an interrupted attempt are in doubt: their notes are
//!    looked up in the CRM first; found ones are recorded, the others written again.
//! 2. Each call's person is found by number in the account's phone index (the caller of
//!    an inbound call, the callee of an outbound one, read in the account's default
//!    region): contact over lead, then the most recently modified, among records of the
//!    connector the note goes through. No CRM request is made to find them; a number
//!    that is not a phone number or that no record has leaves the call `unmatched`
//!    with that reason.
//! 3. Notes (History `atPhoneCall` on Infor CRM) are written through the exactly-once
//!    protocol shared with "message sent" notes ([`crate::notes::exactly_once`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use listbridge_connector::{Note, NoteKind, NoteTarget};
use sea_orm::{DatabaseTransaction, TransactionTrait};

use super::text::{call_regarding, call_text};
use crate::{
    AppState,
    connectors::ConnectError,
    domain::phone::{Region, to_e164},
    jobs::JobError,
    notes::exactly_once::{LedgerNote, NoteLedger, settle_in_doubt, write_all},
    store::{
        AccountId, ConnectorId, Interaction, InteractionRepo, InteractionStatus, Job, ListId,
        ListRepo, PhoneIndexRepo, StoreError,
    },
};

/// Attempts a call note batch gets for CRM outages (backoff 5 s doubling to 5 min).
pub const INTERACTION_MAX_ATTEMPTS: i32 = 24;

/// `interactions` as the ledger of the exactly-once write protocol.
struct InteractionLedger;

impl NoteLedger for InteractionLedger {
    async fn mark_sending(
        &self,
        tx: &DatabaseTransaction,
        marks: &[(String, NoteTarget)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        InteractionRepo.mark_sending(tx, marks, now).await
    }

    async fn mark_delivered(
        &self,
        tx: &DatabaseTransaction,
        id: &str,
        note_key: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        InteractionRepo.mark_delivered(tx, id, note_key, now).await
    }

    async fn mark_pending(
        &self,
        tx: &DatabaseTransaction,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        InteractionRepo.mark_pending(tx, id, now).await
    }

    async fn mark_failed(
        &self,
        tx: &DatabaseTransaction,
        id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        InteractionRepo
            .mark_closed(tx, id, InteractionStatus::Failed, reason, now)
            .await
    }
}

/// The note of a call for its matched record, its subject fitted to what the CRM keeps
/// (`subject_max`).
pub fn call_note(interaction: &Interaction, target: NoteTarget, subject_max: usize) -> Note {
    Note {
        target,
        kind: NoteKind::PhoneCall,
        regarding: call_regarding(interaction, subject_max),
        text: call_text(interaction),
        at: interaction.started_at,
    }
}

/// Executes an `interaction_delivery` job.
pub async fn run_delivery_job(state: &AppState, job: &Job) -> Result<(), JobError> {
    let batch = job
        .payload
        .get("batch_id")
        .and_then(|v| v.as_str())
        .ok_or_else(|| JobError::Fatal(format!("job {} has no batch id", job.id)))?;
    let rows = InteractionRepo
        .open_in_batch(state.store.conn(), job.account_id, batch)
        .await?;
    let mut by_connector: HashMap<Option<ConnectorId>, Vec<Interaction>> = HashMap::new();
    for row in rows {
        by_connector.entry(row.connector_id).or_default().push(row);
    }
    let mut retry = None;
    for (connector, rows) in by_connector {
        let result = match connector {
            Some(id) => deliver(state, job.account_id, id, rows).await,
            None => close_all(state, &rows, InteractionStatus::Failed, "no CRM connector").await,
        };
        match result {
            Ok(()) => {}
            Err(e) if e.is_retryable() => retry = Some(e),
            Err(e) => return Err(e),
        }
    }
    retry.map_or(Ok(()), Err)
}

async fn close_all(
    state: &AppState,
    rows: &[Interaction],
    status: InteractionStatus,
    reason: &str,
) -> Result<(), JobError> {
    let now = state.clock.now();
    let tx = state.store.conn().begin().await.map_err(StoreError::from)?;
    for row in rows {
        InteractionRepo
            .mark_closed(&tx, &row.id, status, reason, now)
            .await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

async fn deliver(
    state: &AppState,
    account: AccountId,
    connector_id: ConnectorId,
    rows: Vec<Interaction>,
) -> Result<(), JobError> {
    let connector = state
        .connectors()
        .open(account, connector_id)
        .await
        .map_err(|e| match e {
            ConnectError::Store(s) => JobError::Store(s),
            // A reset connector or a CRM hiccup passes with time: retry with backoff.
            other => JobError::transient(other.to_string()),
        })?;
    if !connector.capabilities().notes {
        let reason = format!("the {} connector cannot write notes", connector.kind());
        return close_all(state, &rows, InteractionStatus::Failed, &reason).await;
    }
    let subject_max = connector.capabilities().note_subject_max;
    let (in_doubt, pending): (Vec<Interaction>, Vec<Interaction>) = rows
        .into_iter()
        .partition(|r| r.status == InteractionStatus::Sending && r.crm.is_some());
    let in_doubt: Vec<LedgerNote> = in_doubt
        .into_iter()
        .filter_map(|r| {
            let target = r.crm.clone()?;
            Some(LedgerNote {
                note: call_note(&r, target, subject_max),
                id: r.id,
            })
        })
        .collect();
    let mut ready = settle_in_doubt(state, &InteractionLedger, &connector, in_doubt).await?;

    let matcher = Matcher::load(state, account, connector_id).await?;
    let mut unmatched = Vec::new();
    for row in pending {
        match matcher.find(state, &row).await? {
            Ok(target) => ready.push(LedgerNote {
                note: call_note(&row, target, subject_max),
                id: row.id,
            }),
            Err(reason) => unmatched.push((row.id, reason)),
        }
    }
    if !unmatched.is_empty() {
        let now = state.clock.now();
        let tx = state.store.conn().begin().await.map_err(StoreError::from)?;
        for (id, reason) in &unmatched {
            InteractionRepo
                .mark_closed(&tx, id, InteractionStatus::Unmatched, reason, now)
                .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(unmatched = unmatched.len(), "calls without a CRM record");
    }
    write_all(state, &InteractionLedger, &connector, &ready).await
}

/// Finds a call's person in the phone index: the account's region and which lists
/// belong to the connector, read once per batch.
struct Matcher {
    account: AccountId,
    region: Option<Region>,
    lists: HashMap<ListId, Option<ConnectorId>>,
    connector: ConnectorId,
}

impl Matcher {
    async fn load(
        state: &AppState,
        account: AccountId,
        connector: ConnectorId,
    ) -> Result<Self, JobError> {
        let region = state
            .store
            .accounts()
            .settings(account)
            .await?
            .and_then(|s| s.default_region)
            .and_then(|r| Region::parse(&r));
        let lists = ListRepo
            .all(state.store.conn(), account)
            .await?
            .into_iter()
            .map(|l| (l.id, l.connector_id))
            .collect();
        Ok(Matcher {
            account,
            region,
            lists,
            connector,
        })
    }

    /// The record the call's note goes to, or why there is none.
    async fn find(
        &self,
        state: &AppState,
        row: &Interaction,
    ) -> Result<Result<NoteTarget, String>, JobError> {
        let (who, number) = match row.direction {
            crate::store::CallDirection::Inbound => ("caller", &row.caller),
            crate::store::CallDirection::Outbound => ("callee", &row.callee),
        };
        let e164 = match to_e164(number, self.region) {
            Ok(e164) => e164,
            Err(e) => {
                return Ok(Err(format!(
                    "the {who}'s number '{number}' cannot be matched: {e}"
                )));
            }
        };
        let matches = PhoneIndexRepo
            .find(state.store.conn(), self.account, &e164)
            .await?;
        let best = matches
            .into_iter()
            .find(|m| self.lists.get(&m.list_id) == Some(&Some(self.connector)));
        Ok(match best {
            Some(m) => Ok(NoteTarget {
                entity: m.entity,
                key: m.key,
            }),
            None => Err(format!(
                "no lead or contact in the account's CRM lists has the {who}'s number {e164}"
            )),
        })
    }
}
