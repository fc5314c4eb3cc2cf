//! Pull: bring CRM changes since the list's watermark into the list.
//!
//! The read starts a little before the saved watermark (overlap) and skips records the
//! list already holds at the same etag, so records sharing one modify date are neither
//! missed nor looped over. The overlap is for records the CRM commits late; once the
//! watermark was older than the overlap (plus a clock margin) when the last complete read
//! began, nothing can still commit behind it, and the read starts right after it: an
//! idle sync then reads one empty page instead of the whole last bulk update. Each page commits its member writes, report, resume point and
//! the advanced watermark together: the watermark never runs ahead of what is stored.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use listbridge_connector::{CrmRecord, ReadQuery, Watermark};
use sea_orm::{ConnectionTrait, TransactionTrait};

use super::{
    CLOCK_MARGIN, Checkpoint, EngineError, PULL_OVERLAP, RunContext,
    conflicts::{newest_side, report_conflict},
    consent::{OPT_OUT_FIELD, opted_out},
    email::MemberEmail,
    field_map::FieldMap,
    fields::{FieldAction, FieldPermissions, FieldSides, Side, decide_field},
    import::link_for,
    read_ahead::{READ_AHEAD_PAGES, read_ahead},
    report::{Report, Subject},
    setup::SyncSetup,
};
use crate::store::{ListColumn, ListRepo, Member, MemberRepo, ScratchRepo, StoreError};

/// Runs the pull phase, resuming from the checkpoint.
pub(super) async fn pull(
    ctx: &RunContext<'_>,
    setup: &SyncSetup,
    cp: &mut Checkpoint,
) -> Result<(), EngineError> {
    let db = ctx.store().conn();
    let connector = ctx.connector().await?;
    let columns = ListRepo.columns(db, ctx.list.id).await?;
    let usages = ListRepo.usages(db, ctx.run.account_id).await?;
    let map = FieldMap::build(&columns, &usages);
    let mut fields: Vec<String> = map.crm_fields().map(String::from).collect();
    fields.push(OPT_OUT_FIELD.into());

    if cp.phase != "pull" {
        cp.phase = "pull".into();
        cp.cursor = ctx
            .list
            .watermark
            .clone()
            .map(|w| pull_start(w, ctx.list.watermark_read_at));
        cp.read_began = None;
    }
    let read_began = *cp.read_began.get_or_insert_with(|| ctx.now());
    let mut report = Report::resume(cp.counts.clone(), cp.seq);
    let mut stream = read_ahead(
        connector.read(
            ctx.entity(),
            ReadQuery {
                fields,
                since: cp.cursor.clone(),
                page_size: None,
                ..ReadQuery::default()
            },
        ),
        READ_AHEAD_PAGES,
    );
    let mut first = true;
    while let Some(page) = stream.try_next().await? {
        if first {
            cp.total = page
                .total_results
                .map(|t| cp.done + i64::try_from(t).unwrap_or(i64::MAX));
            first = false;
        }
        let Some(last) = page.records.iter().rev().find_map(CrmRecord::watermark) else {
            continue;
        };
        let now = ctx.now();
        let tx = db.begin().await.map_err(StoreError::from)?;
        let page_ctx = PageContext {
            ctx,
            setup,
            map: &map,
            columns: &columns,
        };
        page_ctx.apply(&tx, &page.records, &mut report).await?;
        cp.cursor = Some(last.clone());
        cp.save_page(&tx, ctx.run.id, &mut report, page.records.len(), now)
            .await?;
        if !ctx.run.dry_run {
            ListRepo.advance_watermark(&tx, ctx.list.id, &last).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
    }
    if !ctx.run.dry_run {
        ListRepo
            .mark_watermark_read(db, ctx.list.id, read_began)
            .await?;
    }
    cp.phase = "push".into();
    cp.cursor = None;
    Ok(())
}

/// Where a pull starts: right after the watermark when it is settled (it was older than
/// the overlap and the clock margin when the last complete read began, so every record
/// up to it had committed and was seen), else the overlap before it.
fn pull_start(watermark: Watermark, read_at: Option<DateTime<Utc>>) -> Watermark {
    let settled = read_at.is_some_and(|r| watermark.modified + PULL_OVERLAP + CLOCK_MARGIN < r);
    if settled {
        watermark
    } else {
        Watermark {
            modified: watermark.modified - PULL_OVERLAP,
            key: String::new(),
        }
    }
}

struct PageContext<'a> {
    ctx: &'a RunContext<'a>,
    setup: &'a SyncSetup,
    map: &'a FieldMap,
    columns: &'a [ListColumn],
}

impl PageContext<'_> {
    async fn apply<C: ConnectionTrait>(
        &self,
        db: &C,
        records: &[CrmRecord],
        report: &mut Report,
    ) -> Result<(), EngineError> {
        let list = self.ctx.list.id;
        let now = self.ctx.now();
        let dry = self.ctx.run.dry_run;
        let keys: Vec<String> = records.iter().map(|r| r.key.clone()).collect();
        let mut by_key: HashMap<String, Member> = MemberRepo
            .by_crm_keys(db, list, &keys)
            .await?
            .into_iter()
            .filter_map(|m| m.crm.as_ref().map(|c| c.key.clone()).map(|k| (k, m)))
            .collect();
        let emails: Vec<String> = records
            .iter()
            .filter(|r| !by_key.contains_key(&r.key))
            .filter_map(|r| MemberEmail::parse(r.email().unwrap_or_default()).ok())
            .map(|e| e.as_str().to_string())
            .collect();
        let mut by_email: HashMap<String, Member> = MemberRepo
            .by_emails(db, list, &emails)
            .await?
            .into_iter()
            .map(|m| (m.email.clone(), m))
            .collect();
        let mut fresh: Vec<Member> = Vec::new();
        // A dry run's members as this page would have left them, for its push to plan on.
        let mut would_be: Vec<Member> = Vec::new();

        for record in records {
            report.counts.read += 1;
            let subject = Subject {
                email: record.email(),
                entity: Some(record.entity),
                key: Some(&record.key),
            };
            if let Some(mut member) = by_key.remove(&record.key) {
                if member
                    .crm
                    .as_ref()
                    .and_then(|c| c.etag.as_ref())
                    .is_some_and(|e| Some(e) == record.etag.as_ref())
                {
                    report.counts.unchanged += 1; // seen at this version already (overlap)
                    continue;
                }
                let mut changed = self.merge(&mut member, record, report);
                changed |= self
                    .follow_email_change(db, &mut member, record, report)
                    .await?;
                if changed {
                    report.counts.pulled_updated += 1;
                } else {
                    report.counts.unchanged += 1;
                }
                if dry {
                    would_be.push(member);
                } else {
                    MemberRepo.update(db, &member, now).await?;
                }
                continue;
            }
            let email = match MemberEmail::parse(record.email().unwrap_or_default()) {
                Ok(e) => e,
                Err(e) => {
                    report.counts.invalid += 1;
                    report.record(
                        "invalid",
                        subject,
                        Some("Email"),
                        format!("not added: {e}"),
                        None,
                    );
                    continue;
                }
            };
            if let Some(mut member) = by_email.remove(email.as_str()) {
                if let Some(link) = member.crm.as_ref().filter(|l| l.deleted_at.is_none()) {
                    report.counts.duplicates += 1;
                    report.record(
                        "duplicate",
                        subject,
                        Some("Email"),
                        format!(
                            "the member {} stays linked to {} {}; this record shares its email",
                            member.email, link.entity, link.key
                        ),
                        None,
                    );
                    by_email.insert(member.email.clone(), member);
                    continue;
                }
                // An unlinked member (or one whose record was deleted in the CRM) takes
                // the CRM record with its email.
                member.crm = Some(link_for(record));
                self.merge(&mut member, record, report);
                report.counts.pulled_updated += 1;
                if dry {
                    would_be.push(member);
                } else {
                    MemberRepo.update(db, &member, now).await?;
                }
                continue;
            }
            if !self.setup.pull.add_new || fresh.iter().any(|m| m.email == email.as_str()) {
                report.counts.skipped += 1;
                continue;
            }
            let columns: Vec<(String, String)> = self
                .map
                .columns
                .iter()
                .map(|c| (c.column.clone(), c.crm_field.clone()))
                .collect();
            let (values, synced) = super::import::values_from_record(record, &columns);
            let mut member = Member::new(list, email.as_str().to_string(), values, now);
            member.synced = synced;
            member.crm = Some(link_for(record));
            member.opted_out = opted_out(record);
            report.counts.pulled_new += 1;
            if dry {
                report.record(
                    "planned_pull_new",
                    subject,
                    None,
                    "would be added to the list",
                    Some(serde_json::to_value(&member.values).unwrap_or_default()),
                );
            }
            fresh.push(member);
        }
        if dry {
            ScratchRepo.put(db, self.ctx.run.id, &would_be, now).await?;
        } else {
            MemberRepo.insert_many(db, &fresh, now).await?;
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
        let Ok(email) = MemberEmail::parse(record.email().unwrap_or_default()) else {
            return Ok(false);
        };
        if email.as_str() == member.email || !self.setup.pulls_field("Email") {
            return Ok(false);
        }
        let subject = Subject {
            email: Some(&member.email),
            entity: Some(record.entity),
            key: Some(&record.key),
        };
        let taken = !MemberRepo
            .by_emails(db, self.ctx.list.id, &[email.as_str().to_string()])
            .await?
            .is_empty();
        if taken {
            report.counts.duplicates += 1;
            report.record(
                "duplicate",
                subject,
                Some("Email"),
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
            Some("Email"),
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
            let pending = self
                .columns
                .iter()
                .any(|c| c.pending && c.name == mapped.column);
            let perms = FieldPermissions {
                pull: self.setup.pulls_field(&mapped.crm_field)
                    || (pending && self.setup.pull.enabled),
                push: self.setup.pushes_field(&mapped.crm_field),
            };
            let list_value = member.values.get(&mapped.column).cloned().flatten();
            let base = member.synced.get(&mapped.crm_field).cloned();
            let outcome = decide_field(
                FieldSides {
                    base: base.as_ref(),
                    list: &list_value,
                    crm,
                },
                perms,
                self.setup.conflict_rule,
                newest,
            );
            if let Some(conflict) = &outcome.conflict {
                report_conflict(
                    report,
                    Subject {
                        email: Some(&member.email),
                        entity: Some(record.entity),
                        key: Some(&record.key),
                    },
                    &mapped.crm_field,
                    conflict,
                );
            }
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
        if opted_out(record) && !member.opted_out {
            member.opted_out = true;
            changed = true;
        }
        member.crm = Some(link_for(record));
        if changed && self.ctx.run.dry_run {
            report.record(
                "planned_pull_update",
                Subject {
                    email: Some(&member.email),
                    entity: Some(record.entity),
                    key: Some(&record.key),
                },
                None,
                "would update the member from the CRM",
                Some(serde_json::Value::Object(planned)),
            );
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0)
            .single()
            .unwrap_or_default()
    }

    fn mark(secs: i64) -> Watermark {
        Watermark {
            modified: at(secs),
            key: "QKEY".into(),
        }
    }

    #[test]
    fn a_settled_watermark_is_resumed_exactly() {
        let margin = (PULL_OVERLAP + CLOCK_MARGIN).num_seconds();
        assert_eq!(pull_start(mark(0), Some(at(margin + 1))), mark(0));
    }

    #[test]
    fn a_recent_or_unread_watermark_gets_the_overlap() {
        let margin = (PULL_OVERLAP + CLOCK_MARGIN).num_seconds();
        let overlapped = Watermark {
            modified: at(0) - PULL_OVERLAP,
            key: String::new(),
        };
        assert_eq!(pull_start(mark(0), Some(at(margin))), overlapped);
        assert_eq!(pull_start(mark(0), Some(at(1))), overlapped);
        assert_eq!(pull_start(mark(0), None), overlapped);
    }
}
