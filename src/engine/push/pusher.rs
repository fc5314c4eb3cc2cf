//! One push page: which members need a write, what each write carries (validated
//! against the CRM's field definitions), matching unlinked members by email in batched
//! lookups, and sending the writes in `$batch` chunks.

use std::{collections::HashMap, sync::Arc};

use listbridge_connector::{CrmConnector, CrmRecord, EntityKind, FieldDef, FieldValues, WriteOp};
use sha2::{Digest, Sha256};

use super::{super::RunContext, PageOutcome, RETRY};
use crate::{
    engine::{
        EngineError, consent,
        field_map::FieldMap,
        import::link_for,
        matching,
        report::{Report, Subject},
        setup::SyncSetup,
        validate::{ValueError, check_write, find_def},
    },
    store::{Member, Parked},
};

/// Contact fields whose lead counterpart has another name, for members of a contact
/// list pushed as new leads.
const CONTACT_TO_LEAD: [(&str, &str); 1] = [("AccountName", "Company")];

/// A write planned for one member.
pub(super) struct Planned {
    /// Index of the member in the page.
    pub(super) member: usize,
    /// The write.
    pub(super) op: WriteOp,
    /// The fields written, for the sync base after success.
    pub(super) written: FieldValues,
}

/// What one push needs to plan and send its pages.
pub(super) struct Pusher<'a> {
    /// The run.
    pub(super) ctx: &'a RunContext<'a>,
    /// The list's (or segment's) sync setup.
    pub(super) setup: &'a SyncSetup,
    /// Columns to CRM fields.
    pub(super) map: &'a FieldMap,
    /// The CRM.
    pub(super) connector: Arc<dyn CrmConnector>,
    /// The CRM's lead fields.
    pub(super) lead_defs: &'a [FieldDef],
    /// The CRM's contact fields.
    pub(super) contact_defs: &'a [FieldDef],
    /// The setup and mapping, mixed into parked members' fingerprints.
    pub(super) salt: &'a str,
}

impl Pusher<'_> {
    pub(super) fn fingerprint(&self, member: &Member) -> String {
        let mut h = Sha256::new();
        h.update(self.salt.as_bytes());
        h.update(member.email.as_bytes());
        h.update(
            serde_json::to_string(&member.values)
                .unwrap_or_default()
                .as_bytes(),
        );
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The list's CRM fields that this entity has (a lead's `Company` is not a contact field).
    fn fields_of(&self, entity: EntityKind) -> Vec<String> {
        let defs = self.defs(entity);
        self.map
            .crm_fields()
            .filter(|f| find_def(defs, f).is_some())
            .map(String::from)
            .collect()
    }

    /// The lead field a list column lands in when a member is created as a lead: its
    /// own field when leads have it, else the lead equivalent of a contact field (a
    /// contact's account name is a lead's company); `None` when leads have no such field.
    /// Fields the CRM maintains itself (read-only, such as CreateDate) are not sent.
    fn lead_field(&self, crm_field: &str) -> Option<String> {
        let def = find_def(self.lead_defs, crm_field).or_else(|| {
            CONTACT_TO_LEAD
                .iter()
                .find(|(contact, _)| contact.eq_ignore_ascii_case(crm_field))
                .and_then(|(_, lead)| find_def(self.lead_defs, lead))
        })?;
        (!def.read_only).then(|| def.name.clone())
    }

    pub(super) fn defs(&self, entity: EntityKind) -> &[FieldDef] {
        match entity {
            EntityKind::Lead => self.lead_defs,
            EntityKind::Contact => self.contact_defs,
        }
    }

    /// Plans and applies one page; returns the members that changed.
    pub(super) async fn push_page(
        &self,
        mut members: Vec<Member>,
        report: &mut Report,
    ) -> Result<PageOutcome, EngineError> {
        let mut touched = vec![false; members.len()];
        let mut planned: Vec<Planned> = Vec::new();
        let mut unlinked: Vec<usize> = Vec::new();

        for (i, member) in members.iter_mut().enumerate() {
            if member.crm.as_ref().is_some_and(|c| c.deleted_at.is_some()) {
                // A record deleted in the CRM stays deleted: a sync never re-creates it.
                report.counts.skipped += 1;
                continue;
            }
            // The fingerprint (a hash of the member's values) is only worked out for parked
            // members: most members of a large list are not, and an idle push skips them all.
            if member
                .parked
                .as_ref()
                .is_some_and(|p| p.fingerprint == self.fingerprint(member))
            {
                report.counts.parked += 1;
                continue;
            }
            let unmapped: Vec<&str> = self
                .map
                .unmapped_address
                .iter()
                .filter(|c| member.values.get(*c).is_some_and(Option::is_some))
                .map(String::as_str)
                .collect();
            if !unmapped.is_empty() {
                let reason = format!(
                    "address columns {} are not mapped to a system usage in Standard Field Names; map them (or use optimize-for-infor-crm) and the member is sent on the next run",
                    unmapped
                        .iter()
                        .map(|c| format!("'{c}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                self.fail(member, None, &reason, report);
                touched[i] = true;
                continue;
            }
            match member.crm.clone() {
                Some(link) => {
                    let changes = self.linked_changes(member, link.entity);
                    if changes.is_empty() {
                        report.counts.unchanged += 1;
                        continue;
                    }
                    match self.validate(link.entity, &changes, false) {
                        Ok(()) => planned.push(Planned {
                            member: i,
                            op: WriteOp::Update {
                                entity: link.entity,
                                key: link.key.clone(),
                                etag: link.etag.clone(),
                                expected: Some(last_agreed(member, &changes)),
                                fields: changes.clone(),
                            },
                            written: changes,
                        }),
                        Err(e) => {
                            self.fail(member, Some(link.key.as_str()), &e.to_string(), report);
                            touched[i] = true;
                        }
                    }
                }
                None => unlinked.push(i),
            }
        }

        if !unlinked.is_empty() {
            self.match_unlinked(&mut members, &unlinked, &mut planned, &mut touched, report)
                .await?;
        }

        if self.ctx.run.dry_run {
            for p in &planned {
                let m = &members[p.member];
                let (outcome, key) = match &p.op {
                    WriteOp::Create { .. } => {
                        report.counts.pushed_new += 1;
                        ("planned_create", None)
                    }
                    WriteOp::Update { key, .. } => {
                        report.counts.pushed_updated += 1;
                        ("planned_update", Some(key.as_str()))
                    }
                };
                let changes: serde_json::Map<String, serde_json::Value> = p
                    .written
                    .iter()
                    .map(|(f, v)| {
                        let old = m.synced.get(f).cloned().flatten();
                        (f.clone(), serde_json::json!({ "old": old, "new": v }))
                    })
                    .collect();
                report.record(
                    outcome,
                    Subject {
                        email: Some(&m.email),
                        entity: Some(op_entity(&p.op)),
                        key,
                    },
                    None,
                    format!("would {}", outcome.trim_start_matches("planned_")),
                    Some(serde_json::Value::Object(changes)),
                );
            }
            return Ok(PageOutcome {
                changed: Vec::new(),
                again: false,
            });
        }

        let batch = self.connector.capabilities().batch_size.max(1);
        let mut queue = planned.into_iter().peekable();
        while queue.peek().is_some() {
            let chunk: Vec<Planned> = queue.by_ref().take(batch).collect();
            let ops: Vec<WriteOp> = chunk.iter().map(|p| p.op.clone()).collect();
            let outcomes = self.connector.write_batch(ops).await?;
            for (p, outcome) in chunk.into_iter().zip(outcomes) {
                let member = &mut members[p.member];
                touched[p.member] = true;
                self.apply_outcome(member, &p, outcome, report).await?;
            }
        }
        let again = members.iter().any(|m| m.change_seq == RETRY);
        Ok(PageOutcome {
            changed: members
                .into_iter()
                .zip(touched)
                .filter_map(|(m, t)| t.then_some(m))
                .collect(),
            again,
        })
    }

    /// The push-update fields whose list value moved away from the last synced value.
    fn linked_changes(&self, member: &Member, entity: EntityKind) -> FieldValues {
        let mut changes = FieldValues::new();
        let defs = self.defs(entity);
        for mapped in &self.map.columns {
            if !self.setup.pushes_field(&mapped.crm_field)
                || find_def(defs, &mapped.crm_field).is_none()
            {
                continue;
            }
            let list = member.values.get(&mapped.column).cloned().flatten();
            let Some(value) = list else {
                continue; // a blank cell never clears CRM data
            };
            let base = member.synced.get(&mapped.crm_field).cloned().flatten();
            if base.as_deref() != Some(value.as_str())
                && !consent::reverses_opt_out(&mapped.crm_field, base.as_deref(), Some(&value))
            {
                changes.insert(mapped.crm_field.clone(), Some(value));
            }
        }
        changes
    }

    fn validate(
        &self,
        entity: EntityKind,
        fields: &FieldValues,
        create: bool,
    ) -> Result<(), ValueError> {
        check_write(self.defs(entity), fields, create)
    }

    async fn match_unlinked(
        &self,
        members: &mut [Member],
        unlinked: &[usize],
        planned: &mut Vec<Planned>,
        touched: &mut [bool],
        report: &mut Report,
    ) -> Result<(), EngineError> {
        let emails: Vec<String> = unlinked.iter().map(|&i| members[i].email.clone()).collect();
        let mut found: HashMap<String, Vec<CrmRecord>> = HashMap::new();
        for entity in [EntityKind::Contact, EntityKind::Lead] {
            let fields = self.fields_of(entity);
            for record in self
                .connector
                .find_by_email(entity, &emails, &fields)
                .await?
            {
                if let Some(email) = record.email().map(|e| e.trim().to_lowercase()) {
                    found.entry(email).or_default().push(record);
                }
            }
        }
        for &i in unlinked {
            let member = &mut members[i];
            let candidates = found.remove(&member.email).unwrap_or_default();
            match matching::choose(&candidates) {
                Some((record, why)) => {
                    if candidates.len() > 1 {
                        report.record(
                            "matched",
                            Subject {
                                email: Some(&member.email),
                                entity: Some(record.entity),
                                key: Some(&record.key),
                            },
                            None,
                            why.describe(),
                            None,
                        );
                    }
                    member.crm = Some(link_for(record));
                    touched[i] = true;
                    let mut changes = FieldValues::new();
                    let defs = self.defs(record.entity);
                    for mapped in &self.map.columns {
                        if find_def(defs, &mapped.crm_field).is_none() {
                            continue;
                        }
                        let crm = record.fields.get(&mapped.crm_field).cloned().flatten();
                        let list = member.values.get(&mapped.column).cloned().flatten();
                        if self.setup.push.update_existing
                            && self.setup.pushes_field(&mapped.crm_field)
                            && list.is_some()
                            && list != crm
                            && !consent::reverses_opt_out(
                                &mapped.crm_field,
                                crm.as_deref(),
                                list.as_deref(),
                            )
                        {
                            changes.insert(mapped.crm_field.clone(), list);
                        } else {
                            member.synced.insert(mapped.crm_field.clone(), crm);
                        }
                    }
                    if changes.is_empty() {
                        report.counts.unchanged += 1;
                        continue;
                    }
                    match self.validate(record.entity, &changes, false) {
                        Ok(()) => planned.push(Planned {
                            member: i,
                            op: WriteOp::Update {
                                entity: record.entity,
                                key: record.key.clone(),
                                etag: record.etag.clone(),
                                // Just read: a CRM edit before our write is a conflict.
                                expected: Some(
                                    changes
                                        .keys()
                                        .map(|f| {
                                            (f.clone(), record.fields.get(f).cloned().flatten())
                                        })
                                        .collect(),
                                ),
                                fields: changes.clone(),
                            },
                            written: changes,
                        }),
                        Err(e) => {
                            self.fail(member, Some(record.key.as_str()), &e.to_string(), report)
                        }
                    }
                }
                None if self.setup.push.add_new => {
                    let mut fields = FieldValues::new();
                    fields.insert("Email".into(), Some(member.email.clone()));
                    for mapped in &self.map.columns {
                        let Some(v) = member.values.get(&mapped.column).cloned().flatten() else {
                            continue;
                        };
                        if let Some(field) = self.lead_field(&mapped.crm_field) {
                            fields.entry(field).or_insert(Some(v));
                        }
                    }
                    match self.validate(EntityKind::Lead, &fields, true) {
                        Ok(()) => planned.push(Planned {
                            member: i,
                            op: WriteOp::Create {
                                entity: EntityKind::Lead,
                                fields: fields.clone(),
                            },
                            written: fields,
                        }),
                        Err(e) => {
                            self.fail(
                                member,
                                None,
                                &format!("not created in the CRM: {e}"),
                                report,
                            );
                            touched[i] = true;
                        }
                    }
                }
                None => report.counts.skipped += 1,
            }
        }
        Ok(())
    }

    /// Reports a member that cannot be sent and parks it until it or the setup changes.
    pub(super) fn fail(
        &self,
        member: &mut Member,
        key: Option<&str>,
        reason: &str,
        report: &mut Report,
    ) {
        report.counts.failed += 1;
        let entity = member.crm.as_ref().map(|c| c.entity);
        report.record(
            "failed",
            Subject {
                email: Some(&member.email),
                entity,
                key,
            },
            None,
            reason.to_string(),
            None,
        );
        if !self.ctx.run.dry_run {
            member.parked = Some(Parked {
                reason: reason.to_string(),
                fingerprint: self.fingerprint(member),
            });
        }
    }
}

/// The values both sides last agreed on for the fields about to be written: what the
/// CRM should still hold, so an edit made there meanwhile is seen as a conflict.
fn last_agreed(member: &Member, changes: &FieldValues) -> FieldValues {
    changes
        .keys()
        .filter_map(|f| member.synced.get(f).map(|v| (f.clone(), v.clone())))
        .collect()
}

/// The entity a write is for.
pub(super) fn op_entity(op: &WriteOp) -> EntityKind {
    match op {
        WriteOp::Create { entity, .. } | WriteOp::Update { entity, .. } => *entity,
    }
}
