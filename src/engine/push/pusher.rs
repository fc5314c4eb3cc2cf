//! One push page: which members need a write, what each write carries (validated
//! against the CRM's field definitions), matching unlinked members by email in batched
//! lookups, and sending the writes in `$batch` chunks.

use std::{collections::HashMap, sync::Arc};

use listbridge_connector::{
    CrmConnector, CrmRecord, EmailLookup, EntityKind, FieldDef, FieldValues, Vocabulary, WriteOp,
};
use sha2::{Digest, Sha256};

use super::{super::RunContext, PageOutcome, RETRY};
use crate::{
    engine::{
        EngineError, consent,
        field_map::FieldMap,
        import::link_for,
        matching::{self, MatchReason},
        report::{Report, Subject},
        setup::SyncSetup,
        validate::{check_write, find_def},
    },
    store::{CrmLink, Member, Parked},
};

/// A write planned for one member.
pub(super) struct Planned {
    /// Index of the member in the page.
    pub(super) member: usize,
    /// The write.
    pub(super) op: WriteOp,
    /// The fields written, for the sync base after success.
    pub(super) written: FieldValues,
}

/// The writes planned for a page, and which of its members changed in storage already
/// (linked, or parked with a reason) and must be saved whatever the CRM answers.
struct PagePlan {
    planned: Vec<Planned>,
    touched: Vec<bool>,
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
    /// What a parked member was parked for: the setup and mapping, its email and its
    /// values. A parked member is tried again once this changes.
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
            self.vocab()
                .equivalent_field(self.ctx.entity(), crm_field, EntityKind::Lead)
                .and_then(|lead| find_def(self.lead_defs, lead))
        })?;
        (!def.read_only).then(|| def.name.clone())
    }

    /// The CRM's field names (email, opt-out, equivalents).
    pub(super) fn vocab(&self) -> &'static dyn Vocabulary {
        self.connector.vocabulary()
    }

    /// The CRM's field definitions of an entity.
    pub(super) fn defs(&self, entity: EntityKind) -> &[FieldDef] {
        match entity {
            EntityKind::Lead => self.lead_defs,
            EntityKind::Contact => self.contact_defs,
        }
    }

    /// Members a page holds: as many as the connector serves in the fewest requests
    /// ([`listbridge_connector::Capabilities::push_page`]).
    pub(super) fn page_size(&self) -> u64 {
        self.connector.capabilities().push_page.clamp(1, 10_000) as u64
    }

    /// Plans and applies one page; returns the members that changed.
    pub(super) async fn push_page(
        &self,
        mut members: Vec<Member>,
        report: &mut Report,
    ) -> Result<PageOutcome, EngineError> {
        let mut plan = PagePlan {
            planned: Vec::new(),
            touched: vec![false; members.len()],
        };
        let mut unlinked: Vec<usize> = Vec::new();
        for (i, member) in members.iter_mut().enumerate() {
            if self.passes_over(member, report) {
                continue;
            }
            if self.park_unmapped_address(member, report) {
                plan.touched[i] = true;
                continue;
            }
            match member.crm.clone() {
                Some(link) => self.plan_linked(&mut plan, i, member, link, report),
                None => unlinked.push(i),
            }
        }
        if !unlinked.is_empty() {
            self.match_unlinked(&mut members, &unlinked, &mut plan, report)
                .await?;
        }
        if self.ctx.run.dry_run {
            report_planned(&members, &plan.planned, report);
            return Ok(PageOutcome {
                changed: Vec::new(),
                again: false,
            });
        }
        self.send(&mut members, &mut plan, report).await?;
        let again = members.iter().any(|m| m.change_seq == RETRY);
        Ok(PageOutcome {
            changed: members
                .into_iter()
                .zip(plan.touched)
                .filter_map(|(m, t)| t.then_some(m))
                .collect(),
            again,
        })
    }

    /// Whether a push leaves the member alone (counted): its CRM record was deleted there
    /// (a sync never re-creates it), or it is parked and has not changed since.
    fn passes_over(&self, member: &Member, report: &mut Report) -> bool {
        if member.crm.as_ref().is_some_and(|c| c.deleted_at.is_some()) {
            report.counts.skipped += 1;
            return true;
        }
        // The fingerprint (a hash of the member's values) is only worked out for parked
        // members: most members of a large list are not, and an idle push skips them all.
        if member
            .parked
            .as_ref()
            .is_some_and(|p| p.fingerprint == self.fingerprint(member))
        {
            report.counts.parked += 1;
            return true;
        }
        false
    }

    /// Parks a member with address values in columns that reach no CRM field (sending
    /// the rest would lose them); returns whether it did.
    fn park_unmapped_address(&self, member: &mut Member, report: &mut Report) -> bool {
        let unmapped: Vec<&str> = self
            .map
            .unmapped_address
            .iter()
            .filter(|c| member.values.get(*c).is_some_and(Option::is_some))
            .map(String::as_str)
            .collect();
        if unmapped.is_empty() {
            return false;
        }
        let reason = format!(
            "address columns {} are not mapped to a system usage in Standard Field Names; map them (or use optimize-for-infor-crm) and the member is sent on the next run",
            unmapped
                .iter()
                .map(|c| format!("'{c}'"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        self.fail(member, None, &reason, report);
        true
    }

    /// Plans the update of a linked member's changed fields, against the values both
    /// sides last agreed on.
    fn plan_linked(
        &self,
        plan: &mut PagePlan,
        i: usize,
        member: &mut Member,
        link: CrmLink,
        report: &mut Report,
    ) {
        let changes = self.linked_changes(member, link.entity);
        if changes.is_empty() {
            report.counts.unchanged += 1;
            return;
        }
        let op = WriteOp::Update {
            entity: link.entity,
            key: link.key,
            etag: link.etag,
            expected: Some(last_agreed(member, &changes)),
            fields: changes,
        };
        self.plan(plan, i, member, op, report);
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
            let reverses = consent::reverses_opt_out(
                self.vocab(),
                entity,
                &mapped.crm_field,
                base.as_deref(),
                Some(&value),
            );
            if base.as_deref() != Some(value.as_str()) && !reverses {
                changes.insert(mapped.crm_field.clone(), Some(value));
            }
        }
        changes
    }

    /// Queues `op` for member `i` when the CRM's field definitions accept its values;
    /// else parks the member with the reason.
    fn plan(
        &self,
        plan: &mut PagePlan,
        i: usize,
        member: &mut Member,
        op: WriteOp,
        report: &mut Report,
    ) {
        let (entity, fields, create) = match &op {
            WriteOp::Create { entity, fields } => (*entity, fields, true),
            WriteOp::Update { entity, fields, .. } => (*entity, fields, false),
        };
        match check_write(self.defs(entity), fields, create) {
            Ok(()) => {
                let written = fields.clone();
                plan.planned.push(Planned {
                    member: i,
                    op,
                    written,
                });
            }
            Err(e) => {
                match &op {
                    WriteOp::Create { .. } => self.fail(
                        member,
                        None,
                        &format!("not created in the CRM: {e}"),
                        report,
                    ),
                    WriteOp::Update { key, .. } => {
                        self.fail(member, Some(key.as_str()), &e.to_string(), report)
                    }
                }
                plan.touched[i] = true;
            }
        }
    }

    /// Matches unlinked members by email (one batched lookup per entity) and plans what
    /// each needs: an update of the record it matched, a new lead, or nothing.
    async fn match_unlinked(
        &self,
        members: &mut [Member],
        unlinked: &[usize],
        plan: &mut PagePlan,
        report: &mut Report,
    ) -> Result<(), EngineError> {
        let emails: Vec<String> = unlinked.iter().map(|&i| members[i].email.clone()).collect();
        let mut found = self.records_by_email(&emails).await?;
        for &i in unlinked {
            let member = &mut members[i];
            let candidates = found.remove(&member.email).unwrap_or_default();
            match matching::choose(&candidates) {
                Some((record, why)) => {
                    if candidates.len() > 1 {
                        report_choice(&member.email, record, why, report);
                    }
                    self.plan_matched(plan, i, member, record, report);
                }
                None if self.setup.push.add_new => {
                    let fields = self.new_lead_fields(member);
                    let op = WriteOp::Create {
                        entity: EntityKind::Lead,
                        fields,
                    };
                    self.plan(plan, i, member, op, report);
                }
                None => report.counts.skipped += 1,
            }
        }
        Ok(())
    }

    /// The CRM's contacts, then leads, with these emails, by lower-case email.
    async fn records_by_email(
        &self,
        emails: &[String],
    ) -> Result<HashMap<String, Vec<CrmRecord>>, EngineError> {
        let mut found: HashMap<String, Vec<CrmRecord>> = HashMap::new();
        let lookups: Vec<EmailLookup> = [EntityKind::Contact, EntityKind::Lead]
            .into_iter()
            .map(|entity| EmailLookup {
                entity,
                fields: self.fields_of(entity),
            })
            .collect();
        let answers = self.connector.find_by_email_in(&lookups, emails).await?;
        for records in answers {
            for record in records {
                if let Some(email) = self
                    .vocab()
                    .email_of(&record)
                    .map(|e| e.trim().to_lowercase())
                {
                    found.entry(email).or_default().push(record);
                }
            }
        }
        Ok(found)
    }

    /// Links a member to the CRM record its email matched and plans the update of the
    /// fields the list sends it; the record's values become the base of the others.
    fn plan_matched(
        &self,
        plan: &mut PagePlan,
        i: usize,
        member: &mut Member,
        record: &CrmRecord,
        report: &mut Report,
    ) {
        member.crm = Some(link_for(record));
        plan.touched[i] = true;
        let changes = self.matched_changes(member, record);
        if changes.is_empty() {
            report.counts.unchanged += 1;
            return;
        }
        // Just read: a CRM edit before our write is a conflict.
        let expected = changes
            .keys()
            .map(|f| (f.clone(), record.fields.get(f).cloned().flatten()))
            .collect();
        let op = WriteOp::Update {
            entity: record.entity,
            key: record.key.clone(),
            etag: record.etag.clone(),
            expected: Some(expected),
            fields: changes,
        };
        self.plan(plan, i, member, op, report);
    }

    /// The fields a just-matched record takes from the list; every other field the
    /// record has takes the record's value as the member's sync base.
    fn matched_changes(&self, member: &mut Member, record: &CrmRecord) -> FieldValues {
        let mut changes = FieldValues::new();
        let defs = self.defs(record.entity);
        for mapped in &self.map.columns {
            if find_def(defs, &mapped.crm_field).is_none() {
                continue;
            }
            let crm = record.fields.get(&mapped.crm_field).cloned().flatten();
            let list = member.values.get(&mapped.column).cloned().flatten();
            if self.overwrites_matched(
                record.entity,
                &mapped.crm_field,
                crm.as_deref(),
                list.as_deref(),
            ) {
                changes.insert(mapped.crm_field.clone(), list);
            } else {
                member.synced.insert(mapped.crm_field.clone(), crm);
            }
        }
        changes
    }

    /// Whether the list's value goes to a just-matched record: the setup updates existing
    /// records and pushes this field, the list has a value and it differs from the CRM's,
    /// and it would not undo the person's opt-out.
    fn overwrites_matched(
        &self,
        entity: EntityKind,
        field: &str,
        crm: Option<&str>,
        list: Option<&str>,
    ) -> bool {
        self.setup.push.update_existing
            && self.setup.pushes_field(field)
            && list.is_some()
            && list != crm
            && !consent::reverses_opt_out(self.vocab(), entity, field, crm, list)
    }

    /// A new lead's fields: the email and each list value in the lead field it lands in.
    fn new_lead_fields(&self, member: &Member) -> FieldValues {
        let mut fields = FieldValues::new();
        let email = self.vocab().email_field(EntityKind::Lead);
        fields.insert(email.into(), Some(member.email.clone()));
        for mapped in &self.map.columns {
            let Some(v) = member.values.get(&mapped.column).cloned().flatten() else {
                continue;
            };
            if let Some(field) = self.lead_field(&mapped.crm_field) {
                fields.entry(field).or_insert(Some(v));
            }
        }
        fields
    }

    /// Sends the planned writes in chunks of the connector's batch size and applies each
    /// answer to its member.
    async fn send(
        &self,
        members: &mut [Member],
        plan: &mut PagePlan,
        report: &mut Report,
    ) -> Result<(), EngineError> {
        // The connector cuts the writes into its batches and reads back what it wrote
        // once for the whole page.
        let planned = std::mem::take(&mut plan.planned);
        if planned.is_empty() {
            return Ok(());
        }
        let ops: Vec<WriteOp> = planned.iter().map(|p| p.op.clone()).collect();
        let outcomes = self.connector.write_batch(ops).await?;
        for (p, outcome) in planned.into_iter().zip(outcomes) {
            let member = &mut members[p.member];
            plan.touched[p.member] = true;
            self.apply_outcome(member, &p, outcome, report).await?;
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

/// Says which of several CRM records sharing a member's email it was linked to, and why.
fn report_choice(email: &str, record: &CrmRecord, why: MatchReason, report: &mut Report) {
    report.record(
        "matched",
        Subject::member_record(email, record),
        None,
        why.describe(),
        None,
    );
}

/// A dry run reports the writes it would send, each field with its old and new value.
fn report_planned(members: &[Member], planned: &[Planned], report: &mut Report) {
    for p in planned {
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
}
