//! Push: send list changes to the CRM.
//!
//! For each page of members: linked members send only their changed push-update fields
//! (with the etag they were last seen at); unlinked members are matched by email in
//! batched lookups (contact over lead, then most recent) and then updated, or created as
//! leads when add-new is on. Values are validated against the CRM's field definitions
//! first. Writes go out in `$batch` chunks where the connector supports them. A CRM
//! rejection parks the member with the CRM's words until it or the setup changes.

use std::{collections::HashMap, sync::Arc};

use listbridge_connector::{
    ConnectorError, CrmConnector, CrmRecord, EntityKind, FieldDef, FieldValues, WriteOp,
};
use sea_orm::TransactionTrait;
use sha2::{Digest, Sha256};

use super::{
    Checkpoint, EngineError, PUSH_PAGE, RunContext, conflicts, consent,
    field_map::FieldMap,
    import::link_for,
    matching,
    report::{Report, Subject},
    setup::SyncSetup,
    validate::{ValueError, check_value, find_def},
};
use crate::{
    lists::segment_filter::SegmentFilter,
    store::{
        ListRepo, Member, MemberId, MemberRepo, Parked, PushPosition, PushScopeRepo, ScratchRepo,
        Segment, StoreError,
    },
};

/// Contact fields whose lead counterpart has another name, for members of a contact
/// list pushed as new leads.
const CONTACT_TO_LEAD: [(&str, &str); 1] = [("AccountName", "Company")];

/// How long a push may go without saving its progress while pages change nothing.
const QUIET_SAVE_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Runs the push phase, resuming from the checkpoint.
///
/// A push looks only at the members that may need it: those changed on the list side
/// after the change number its last complete push covered (all changed ones when the
/// setup, mapping or segment filter changed since), then the unlinked ones, which are
/// matched by email every run. Members that hold what the CRM sent (change number 0)
/// have nothing to push, so an idle push of a large list reads nothing.
pub(super) async fn push(
    ctx: &RunContext<'_>,
    setup: &SyncSetup,
    segment: Option<&Segment>,
    cp: &mut Checkpoint,
) -> Result<(), EngineError> {
    let db = ctx.store().conn();
    let connector = ctx.push_connector().await?;
    let columns = ListRepo.columns(db, ctx.list.id).await?;
    let usages = ListRepo.usages(db, ctx.run.account_id).await?;
    let map = FieldMap::build(&columns, &usages);
    let lead_defs = connector.describe(EntityKind::Lead).await?;
    let contact_defs = connector.describe(EntityKind::Contact).await?;
    let filter: Option<SegmentFilter> = segment
        .map(|s| serde_json::from_str(&s.filter))
        .transpose()
        .map_err(|e| EngineError::Setup(format!("the segment's filter cannot be read: {e}")))?;
    let fingerprint_salt = serde_json::json!({ "setup": setup, "map": map.columns.iter().map(|c| (&c.column, &c.crm_field)).collect::<Vec<_>>() }).to_string();
    let basis = push_basis(&fingerprint_salt, segment);
    let segment_id = segment.map(|s| s.id);

    if cp.phase != "push" || cp.push_stage.is_empty() {
        let position = PushScopeRepo.position(db, ctx.list.id, segment_id).await?;
        cp.phase = "push".into();
        cp.push_stage = STAGE_CHANGED.into();
        cp.push_after = None;
        cp.push_after_seq = None;
        cp.push_since = if position.basis.as_deref() == Some(basis.as_str()) {
            position.seq
        } else {
            0
        };
        cp.push_upto = PushScopeRepo.change_seq(db, ctx.list.id).await?;
        let scope = MemberRepo
            .count_push_scope(db, ctx.list.id, cp.push_since, cp.push_upto)
            .await?;
        cp.total = Some(cp.done + i64::try_from(scope).unwrap_or(i64::MAX));
    }
    let mut report = Report::resume(cp.counts.clone(), cp.seq);
    let pusher = Pusher {
        ctx,
        setup,
        map: &map,
        connector,
        lead_defs: &lead_defs,
        contact_defs: &contact_defs,
        salt: &fingerprint_salt,
    };
    // Members looked at since the last saved page, and when that was.
    let mut unsaved = 0;
    let mut saved_at = std::time::Instant::now();
    loop {
        let after = cp.push_after.as_deref().and_then(MemberId::from_db);
        let page = if cp.push_stage == STAGE_CHANGED {
            MemberRepo
                .page_changed(
                    db,
                    ctx.list.id,
                    cp.push_since,
                    cp.push_upto,
                    cp.push_after_seq.zip(after),
                    PUSH_PAGE,
                )
                .await?
        } else {
            MemberRepo
                .page_unlinked(db, ctx.list.id, cp.push_since, after, PUSH_PAGE)
                .await?
        };
        let Some(last) = page.last().map(|m| (m.change_seq, m.id)) else {
            if cp.push_stage == STAGE_CHANGED {
                cp.push_stage = STAGE_UNLINKED.into();
                cp.push_after = None;
                cp.push_after_seq = None;
                continue;
            }
            break;
        };
        let page = if ctx.run.dry_run {
            overlay_dry_run(ctx, page).await?
        } else {
            page
        };
        let members: Vec<Member> = match &filter {
            Some(f) => page.into_iter().filter(|m| segment_matches(f, m)).collect(),
            None => page,
        };
        unsaved += members.len();
        let PageOutcome { mut changed, again } = pusher.push_page(members, &mut report).await?;
        cp.push_after = Some(last.1.as_db());
        cp.push_after_seq = Some(last.0);
        // A page that changed and reported nothing needs no transaction of its own: its
        // progress is saved with the next page that does (or after QUIET_SAVE_EVERY), and
        // a resume merely looks at it again. An idle push of a large list is mostly these.
        if changed.is_empty() && !report.has_pending() && saved_at.elapsed() < QUIET_SAVE_EVERY {
            continue;
        }
        let now = ctx.now();
        let tx = db.begin().await.map_err(StoreError::from)?;
        if !ctx.run.dry_run {
            if again {
                // Members to look at again next run get a new change number.
                let seq = PushScopeRepo.next_change_seq(&tx, ctx.list.id).await?;
                for member in changed.iter_mut().filter(|m| m.change_seq == RETRY) {
                    member.change_seq = seq;
                }
            }
            for member in &changed {
                MemberRepo.update(&tx, member, now).await?;
            }
        }
        cp.save_page(
            &tx,
            ctx.run.id,
            &mut report,
            std::mem::take(&mut unsaved),
            now,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        saved_at = std::time::Instant::now();
    }
    let now = ctx.now();
    let tx = db.begin().await.map_err(StoreError::from)?;
    if unsaved > 0 {
        cp.save_page(&tx, ctx.run.id, &mut report, unsaved, now)
            .await?;
    }
    if !ctx.run.dry_run {
        let covered = PushPosition {
            seq: cp.push_upto,
            basis: Some(basis),
        };
        PushScopeRepo
            .save_position(&tx, ctx.list.id, segment_id, &covered)
            .await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    cp.phase = "done".into();
    Ok(())
}

/// The push scan over members changed since the last complete push.
const STAGE_CHANGED: &str = "changed";
/// The push scan over unlinked members not changed since.
const STAGE_UNLINKED: &str = "unlinked";
/// Marks a member the next run must look at again (a change number is assigned when
/// the page is saved).
const RETRY: i64 = -1;

/// A fingerprint of everything that decides what a push sends: when it changes, members
/// changed before the last complete push may need sending too.
fn push_basis(salt: &str, segment: Option<&Segment>) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    if let Some(segment) = segment {
        h.update(segment.filter.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A dry run's push sees members as its pull would have left them.
async fn overlay_dry_run(
    ctx: &RunContext<'_>,
    page: Vec<Member>,
) -> Result<Vec<Member>, EngineError> {
    let ids: Vec<MemberId> = page.iter().map(|m| m.id).collect();
    let mut pulled = ScratchRepo
        .get(ctx.store().conn(), ctx.run.id, &ids)
        .await?;
    Ok(page
        .into_iter()
        .map(|m| pulled.remove(&m.id).unwrap_or(m))
        .collect())
}

/// What a push page did.
struct PageOutcome {
    /// Members whose stored state changed.
    changed: Vec<Member>,
    /// Whether any of them must be looked at again next run (marked [`RETRY`]).
    again: bool,
}

fn segment_matches(filter: &SegmentFilter, member: &Member) -> bool {
    filter.matches(|column| {
        if column.eq_ignore_ascii_case("email") {
            Some(member.email.as_str())
        } else {
            member
                .values
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(column))
                .and_then(|(_, v)| v.as_deref())
        }
    })
}

/// A write planned for one member.
struct Planned {
    member: usize,
    op: WriteOp,
    /// The fields written, for the sync base after success.
    written: FieldValues,
}

struct Pusher<'a> {
    ctx: &'a RunContext<'a>,
    setup: &'a SyncSetup,
    map: &'a FieldMap,
    connector: Arc<dyn CrmConnector>,
    lead_defs: &'a [FieldDef],
    contact_defs: &'a [FieldDef],
    salt: &'a str,
}

impl Pusher<'_> {
    fn fingerprint(&self, member: &Member) -> String {
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

    fn defs(&self, entity: EntityKind) -> &[FieldDef] {
        match entity {
            EntityKind::Lead => self.lead_defs,
            EntityKind::Contact => self.contact_defs,
        }
    }

    /// Plans and applies one page; returns the members that changed.
    async fn push_page(
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
        let defs = self.defs(entity);
        for (name, value) in fields {
            let def = find_def(defs, name).ok_or_else(|| ValueError::UnknownField {
                field: name.clone(),
            })?;
            check_value(def, value.as_deref())?;
        }
        if create {
            for def in defs.iter().filter(|d| d.required && !d.read_only) {
                if fields
                    .get(&def.name)
                    .and_then(|v| v.as_deref())
                    .is_none_or(|v| v.trim().is_empty())
                {
                    return Err(ValueError::MissingRequired {
                        field: def.name.clone(),
                    });
                }
            }
        }
        Ok(())
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

    async fn apply_outcome(
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
                    if !field.eq_ignore_ascii_case("Email") {
                        member.synced.insert(field.clone(), value.clone());
                    }
                }
                member.parked = None;
                Ok(())
            }
            Err(e) if e.is_transient() => Err(EngineError::Connector(e)),
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
            Err(e) if e.is_transient() => Err(EngineError::Connector(e)),
            Err(e) => {
                self.fail(member, Some(current.key.as_str()), &e.to_string(), report);
                Ok(())
            }
        }
    }

    /// Reports a member that cannot be sent and parks it until it or the setup changes.
    fn fail(&self, member: &mut Member, key: Option<&str>, reason: &str, report: &mut Report) {
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

fn op_entity(op: &WriteOp) -> EntityKind {
    match op {
        WriteOp::Create { entity, .. } | WriteOp::Update { entity, .. } => *entity,
    }
}
