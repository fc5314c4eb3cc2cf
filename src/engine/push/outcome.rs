//! What a push does with the CRM's answer to each write: link and record the base on
//! success, park the member with the CRM's words on a rejection, keep a tombstone for a
//! record deleted in the CRM, and settle a field edited on both sides by the rule. A
//! failure that is not the record's (the CRM down, or refusing the login) stops the run.

use listbridge_connector::{ConnectorError, CrmRecord, FieldValues, WriteOp};

use super::{
    RETRY,
    pusher::{Planned, Pusher, op_entity},
};
use crate::{
    engine::{
        EngineError, conflicts,
        import::link_for,
        report::{Report, Subject},
    },
    store::Member,
};

impl Pusher<'_> {
    pub(super) async fn apply_outcome(
        &self,
        member: &mut Member,
        planned: &Planned,
        outcome: Result<CrmRecord, ConnectorError>,
        report: &mut Report,
    ) -> Result<(), EngineError> {
        match outcome {
            Ok(record) => {
                match planned.op {
                    WriteOp::Create { .. } => report.counts.pushed_new += 1,
                    WriteOp::Update { .. } => report.counts.pushed_updated += 1,
                }
                member.crm = Some(link_for(&record));
                for (field, value) in &planned.written {
                    if !self.vocab().is_email_field(record.entity, field) {
                        member.synced.insert(field.clone(), value.clone());
                    }
                }
                member.parked = None;
                Ok(())
            }
            Err(e) if stops_the_run(&e) => Err(EngineError::Connector(e)),
            Err(ConnectorError::NotFound { entity, key }) => {
                // A tombstone: the member keeps its data and its link, marked deleted, so
                // no later push re-creates what someone deleted in the CRM.
                if let Some(link) = member.crm.as_mut() {
                    link.deleted_at = Some(self.ctx.now());
                }
                report.counts.failed += 1;
                report.record(
                    "crm_deleted",
                    Subject {
                        email: Some(&member.email),
                        entity: member.crm.as_ref().map(|c| c.entity),
                        key: Some(key.as_str()),
                    },
                    None,
                    format!(
                        "{entity} {key} was deleted in the CRM; the member stays in the list and a sync does not re-create it (a new CRM record with this email is linked when pulled)"
                    ),
                    None,
                );
                Ok(())
            }
            Err(ConnectorError::Conflict {
                current: Some(current),
                ..
            }) if matches!(planned.op, WriteOp::Update { .. }) => {
                self.settle_conflict(member, &current, &planned.written, report)
                    .await
            }
            Err(e @ ConnectorError::Conflict { .. }) => {
                member.change_seq = RETRY;
                report.counts.failed += 1;
                let key = match &planned.op {
                    WriteOp::Update { key, .. } => Some(key.as_str()),
                    WriteOp::Create { .. } => None,
                };
                report.record(
                    "failed",
                    Subject {
                        email: Some(&member.email),
                        entity: Some(op_entity(&planned.op)),
                        key,
                    },
                    None,
                    format!("{e}; it is retried on the next run"),
                    None,
                );
                Ok(())
            }
            Err(e) => {
                let key = member.crm.as_ref().map(|c| c.key.clone());
                self.fail(member, key.as_deref(), &e.to_string(), report);
                Ok(())
            }
        }
    }

    /// An update met a CRM edit of a field it writes: settle each field by the rule, and
    /// write the list's winners once more against the CRM's current version.
    async fn settle_conflict(
        &self,
        member: &mut Member,
        current: &CrmRecord,
        written: &FieldValues,
        report: &mut Report,
    ) -> Result<(), EngineError> {
        let again =
            conflicts::settle_stale_push(member, current, written, self.map, self.setup, report);
        member.crm = Some(link_for(current));
        if again.is_empty() {
            return Ok(());
        }
        match self
            .connector
            .update(
                current.entity,
                &current.key,
                current.etag.as_deref(),
                &again,
            )
            .await
        {
            Ok(record) => {
                report.counts.pushed_updated += 1;
                member.crm = Some(link_for(&record));
                for (field, value) in again {
                    member.synced.insert(field, value);
                }
                member.parked = None;
                Ok(())
            }
            Err(e) if stops_the_run(&e) => Err(EngineError::Connector(e)),
            Err(e) => {
                self.fail(member, Some(current.key.as_str()), &e.to_string(), report);
                Ok(())
            }
        }
    }
}

/// Whether a write's failure stops the run rather than being the member's: a failure
/// that may pass (retried), the CRM refusing the login, or its API allowance used up
/// (the run fails as such, and no member is parked for it).
fn stops_the_run(error: &ConnectorError) -> bool {
    error.is_transient()
        || matches!(
            error,
            ConnectorError::Auth { .. } | ConnectorError::AllowanceUsedUp { .. }
        )
}
