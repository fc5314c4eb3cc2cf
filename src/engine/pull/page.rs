//! One page of a pull: the CRM records read, applied to the list's members. A record
//! updates the member linked to it, or links the unlinked member with its email, or
//! becomes a new member (when the setup adds new records); anything else is reported.
//! A dry run writes no member: it keeps them as the page would have left them, for its
//! push to plan on.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use listbridge_connector::{CrmRecord, Vocabulary};
use sea_orm::ConnectionTrait;

use super::super::{
    EngineError, RunContext,
    conflicts::{decide_reported, newest_side},
    consent::opted_out,
    field_map::{FieldMap, MappedColumn},
    fields::{FieldAction, FieldPermissions, FieldSides, Side},
    import::{accepted_email, link_for, values_from_record},
    report::{Report, Subject},
    setup::SyncSetup,
};
use crate::{
    domain::email::MemberEmail,
    store::{CrmLink, ListColumn, ListId, Member, MemberRepo, MemberWrites, ScratchRepo},
};

/// What applying a page needs.
pub(super) struct PageContext<'a> {
    /// The run.
    pub(super) ctx: &'a RunContext<'a>,
    /// The list's sync setup.
    pub(super) setup: &'a SyncSetup,
    /// Columns to CRM fields.
    pub(super) map: &'a FieldMap,
    /// The list's columns (those pending a backfill are filled by any pull).
    pub(super) columns: &'a [ListColumn],
    /// The CRM's field names (email, opt-out).
    pub(super) vocab: &'a dyn Vocabulary,
    /// Apply records only to the members linked to them, and pass over every other
    /// record unseen: a read of the other entity (contacts of a lead list) brings the
    /// changes of the records members followed there, never new members.
    pub(super) linked_only: bool,
}

/// The page's members already in the list: by the CRM key they are linked to, and by
/// email for the records no member is linked to.
struct KnownMembers {
    by_key: HashMap<String, Member>,
    by_email: HashMap<String, Member>,
}

impl KnownMembers {
    async fn load<C: ConnectionTrait>(
        db: &C,
        vocab: &dyn Vocabulary,
        list: ListId,
        records: &[CrmRecord],
        linked_only: bool,
    ) -> Result<Self, EngineError> {
        let keys: Vec<String> = records.iter().map(|r| r.key.clone()).collect();
        let by_key: HashMap<String, Member> = MemberRepo
            .by_crm_keys(db, list, &keys)
            .await?
            .into_iter()
            .filter_map(|m| m.crm.as_ref().map(|c| c.key.clone()).map(|k| (k, m)))
            .collect();
        let emails: Vec<String> = records
            .iter()
            .filter(|r| !linked_only && !by_key.contains_key(&r.key))
            .filter_map(|r| MemberEmail::parse(vocab.email_of(r).unwrap_or_default()).ok())
            .map(|e| e.as_str().to_string())
            .collect();
        let by_email = MemberRepo
            .by_emails(db, list, &emails)
            .await?
            .into_iter()
            .map(|m| (m.email.clone(), m))
            .collect();
        Ok(KnownMembers { by_key, by_email })
    }
}

/// The members a page adds, those it updated (indexed once, at the page's end) and
/// (in a dry run) those it would have updated.
struct PageWrites {
    /// When the page is applied: every member it writes is stamped with it.
    now: DateTime<Utc>,
    fresh: Vec<Member>,
    stored: MemberWrites,
    would_be: Vec<Member>,
}

impl PageContext<'_> {
    /// Applies one page of CRM records to the list's members, in the page's transaction.
    pub(super) async fn apply<C: ConnectionTrait>(
        &self,
        db: &C,
        records: &[CrmRecord],
        report: &mut Report,
    ) -> Result<(), EngineError> {
        let mut known =
            KnownMembers::load(db, self.vocab, self.ctx.list.id, records, self.linked_only).await?;
        let now = self.ctx.now();
        let mut writes = PageWrites {
            now,
            fresh: Vec::new(),
            stored: MemberWrites::new(now),
            would_be: Vec::new(),
        };
        for record in records {
            if self.linked_only && !known.by_key.contains_key(&record.key) {
                continue;
            }
            report.counts.read += 1;
            if let Some(mut member) = known.by_key.remove(&record.key) {
                if seen_at_this_version(&member, record) {
                    report.counts.unchanged += 1; // the read's overlap
                    continue;
                }
                self.update_linked(db, &mut member, record, report).await?;
                self.keep(db, member, &mut writes).await?;
                continue;
            }
            let Some(email) = accepted_email(self.vocab, record, report) else {
                continue;
            };
            match known.by_email.remove(email.as_str()) {
                Some(member) if live_link(&member).is_some() => {
                    report_shared_email(self.vocab, &member, record, report);
                    known.by_email.insert(member.email.clone(), member);
                }
                Some(mut member) => {
                    self.adopt(&mut member, record, report);
                    self.keep(db, member, &mut writes).await?;
                }
                None => self.add_new(record, &email, &mut writes, report),
            }
        }
        let PageWrites {
            now,
            fresh,
            mut stored,
            would_be,
        } = writes;
        if self.ctx.run.dry_run {
            ScratchRepo.put(db, self.ctx.run.id, &would_be, now).await?;
            return Ok(());
        }
        stored.insert_many(db, &fresh).await?;
        // New and updated members alike: an existing member's number that stopped
        // parsing is reported too.
        let written = stored.finish(db).await?;
        let written: Vec<&Member> = written.iter().collect();
        crate::engine::import::report_phone_problems(db, self.ctx.run.id, &written, report).await?;
        Ok(())
    }

    /// A new version of a linked member's record: merged into the member, whose email
    /// follows the record's.
    async fn update_linked<C: ConnectionTrait>(
        &self,
        db: &C,
        member: &mut Member,
        record: &CrmRecord,
        report: &mut Report,
    ) -> Result<(), EngineError> {
        let mut changed = self.merge(member, record, report);
        changed |= self.follow_email_change(db, member, record, report).await?;
        if changed {
            report.counts.pulled_updated += 1;
        } else {
            report.counts.unchanged += 1;
        }
        Ok(())
    }

    /// An unlinked member (or one whose record was deleted in the CRM) takes the CRM
    /// record with its email.
    fn adopt(&self, member: &mut Member, record: &CrmRecord, report: &mut Report) {
        member.crm = Some(link_for(record));
        self.merge(member, record, report);
        report.counts.pulled_updated += 1;
    }

    /// A record no member has: a new member when the setup adds new records (the first
    /// of a page's records with one email).
    fn add_new(
        &self,
        record: &CrmRecord,
        email: &MemberEmail,
        writes: &mut PageWrites,
        report: &mut Report,
    ) {
        if !self.setup.pull.add_new || writes.fresh.iter().any(|m| m.email == email.as_str()) {
            report.counts.skipped += 1;
            return;
        }
        let columns: Vec<(String, String)> = self
            .map
            .columns
            .iter()
            .map(|c| (c.column.clone(), c.crm_field.clone()))
            .collect();
        let (values, synced) = values_from_record(self.vocab, record, &columns);
        let mut member = Member::new(
            self.ctx.ids().uuid().into(),
            self.ctx.list.id,
            email.as_str().to_string(),
            values,
            writes.now,
        );
        member.synced = synced;
        member.crm = Some(link_for(record));
        member.opted_out = opted_out(self.vocab, record);
        report.counts.pulled_new += 1;
        if self.ctx.run.dry_run {
            report.record(
                "planned_pull_new",
                Subject::record(self.vocab, record),
                None,
                "would be added to the list",
                Some(serde_json::to_value(&member.values).unwrap_or_default()),
            );
        }
        writes.fresh.push(member);
    }

    /// Stores an updated member, or in a dry run keeps it as the page would have left it.
    async fn keep<C: ConnectionTrait>(
        &self,
        db: &C,
        member: Member,
        writes: &mut PageWrites,
    ) -> Result<(), EngineError> {
        if self.ctx.run.dry_run {
            writes.would_be.push(member);
        } else {
            writes.stored.update(db, member).await?;
        }
        Ok(())
    }

    /// A linked record's email changed in the CRM: the member keeps its link and takes the
    /// new address (when Email is a pull field and no other member already has it).
    async fn follow_email_change<C: ConnectionTrait>(
        &self,
        db: &C,
        member: &mut Member,
        record: &CrmRecord,
        report: &mut Report,
    ) -> Result<bool, EngineError> {
        let Ok(email) = MemberEmail::parse(self.vocab.email_of(record).unwrap_or_default()) else {
            return Ok(false);
        };
        let email_field = self.vocab.email_field(record.entity);
        if email.as_str() == member.email || !self.setup.pulls_field(email_field) {
            return Ok(false);
        }
        let subject = Subject::member_record(&member.email, record);
        let taken = !MemberRepo
            .by_emails(db, self.ctx.list.id, &[email.as_str().to_string()])
            .await?
            .is_empty();
        if taken {
            report.counts.duplicates += 1;
            report.record(
                "duplicate",
                subject,
                Some(email_field),
                format!("the CRM changed this email to {email}, which another member already has; the member keeps its old email"),
                None,
            );
            return Ok(false);
        }
        report.record(
            if self.ctx.run.dry_run {
                "planned_email_change"
            } else {
                "email_changed"
            },
            subject,
            Some(email_field),
            format!("the CRM changed the email to {email}; the member stays linked and follows it"),
            None,
        );
        member.email = email.as_str().to_string();
        Ok(true)
    }

    /// Applies a CRM record's changes to a linked member; returns whether the list changed.
    fn merge(&self, member: &mut Member, record: &CrmRecord, report: &mut Report) -> bool {
        let mut changed = false;
        let newest = newest_side(member, record);
        let mut planned = serde_json::Map::new();
        for mapped in &self.map.columns {
            let Some(crm) = record.fields.get(&mapped.crm_field) else {
                continue;
            };
            let list_value = member.values.get(&mapped.column).cloned().flatten();
            let base = member.synced.get(&mapped.crm_field).cloned();
            let outcome = decide_reported(
                FieldSides {
                    base: base.as_ref(),
                    list: &list_value,
                    crm,
                },
                self.permissions(mapped),
                self.setup,
                newest,
                Subject::member_record(&member.email, record),
                &mapped.crm_field,
                report,
            );
            match outcome.action {
                FieldAction::InSync => {
                    member.synced.insert(mapped.crm_field.clone(), crm.clone());
                }
                FieldAction::Pull { from, to } => {
                    planned.insert(
                        mapped.column.clone(),
                        serde_json::json!({ "old": from, "new": to }),
                    );
                    member.values.insert(mapped.column.clone(), to.clone());
                    member.synced.insert(mapped.crm_field.clone(), to);
                    changed = true;
                }
                FieldAction::Hold
                    if outcome
                        .conflict
                        .as_ref()
                        .is_some_and(|c| c.winner == Side::Crm) =>
                {
                    // The CRM won but may not be pulled: accept the divergence rather than
                    // letting the push phase overwrite the winner.
                    member.synced.insert(mapped.crm_field.clone(), list_value);
                }
                FieldAction::Push { .. } | FieldAction::Hold => {}
            }
        }
        if opted_out(self.vocab, record) && !member.opted_out {
            member.opted_out = true;
            changed = true;
        }
        member.crm = Some(link_for(record));
        if changed && self.ctx.run.dry_run {
            report.record(
                "planned_pull_update",
                Subject::member_record(&member.email, record),
                None,
                "would update the member from the CRM",
                Some(serde_json::Value::Object(planned)),
            );
        }
        changed
    }

    /// What the setup lets a sync do with a mapped field; a column still pending its
    /// backfill is filled by any pull.
    fn permissions(&self, mapped: &MappedColumn) -> FieldPermissions {
        let pending = self
            .columns
            .iter()
            .any(|c| c.pending && c.name == mapped.column);
        FieldPermissions {
            pull: self.setup.pulls_field(&mapped.crm_field) || (pending && self.setup.pull.enabled),
            push: self.setup.pushes_field(&mapped.crm_field),
        }
    }
}

/// Whether the member was linked to the record at this very version (the read starts a
/// little before the watermark, so it meets some records again).
fn seen_at_this_version(member: &Member, record: &CrmRecord) -> bool {
    member
        .crm
        .as_ref()
        .and_then(|c| c.etag.as_ref())
        .is_some_and(|e| Some(e) == record.etag.as_ref())
}

/// The member's link to a CRM record that still exists there.
fn live_link(member: &Member) -> Option<&CrmLink> {
    member.crm.as_ref().filter(|l| l.deleted_at.is_none())
}

/// A record with the email of a member linked to another record: the member keeps its
/// link.
fn report_shared_email(
    vocab: &dyn Vocabulary,
    member: &Member,
    record: &CrmRecord,
    report: &mut Report,
) {
    let Some(link) = live_link(member) else {
        return;
    };
    report.counts.duplicates += 1;
    report.record(
        "duplicate",
        Subject::record(vocab, record),
        Some(vocab.email_field(record.entity)),
        format!(
            "the member {} stays linked to {} {}; this record shares its email",
            member.email, link.entity, link.key
        ),
        None,
    );
}
