//! Import: fill a new CRM list with every lead or contact, page by page.
//!
//! Records without a usable email are reported, not added. Records sharing an email
//! become one member: the preferred record (matching rules) wins and the report says
//! which and why. Each page commits its members, report and resume point together.

use std::collections::HashMap;

use listbridge_connector::{CrmRecord, Vocabulary};
use sea_orm::TransactionTrait;

use super::{
    Checkpoint, EngineError, Phase, RunContext,
    consent::opted_out,
    crm_read::CrmRead,
    matching,
    report::{Report, Subject},
};
use crate::{
    domain::{email::MemberEmail, values::Values},
    store::{
        CrmLink, ListRepo, ListStatus, Member, MemberRepo, MemberWrites, RunCounts, RunId, RunRepo,
        StoreError,
    },
};

/// Runs (or resumes) an import; returns the final counts.
pub(super) async fn import(ctx: &RunContext<'_>) -> Result<RunCounts, EngineError> {
    let db = ctx.store().conn();
    let connector = ctx.connector().await?;
    let vocab = connector.vocabulary();
    let columns = ListRepo.columns(db, ctx.list.id).await?;
    let mut fields: Vec<String> = columns.iter().filter_map(|c| c.crm_field.clone()).collect();
    fields.push(vocab.opt_out_field(ctx.entity()).to_string());

    let mut cp = Checkpoint::from_run(ctx.run);
    cp.phase = Phase::Import;
    let read_began = *cp.read_began.get_or_insert_with(|| ctx.now());
    // From the start, records may come in any order (a bulk export): every one is
    // stored before the list is ready, and a read cut short starts over. A resumed
    // read goes on from its cursor, in order.
    let any_order = cp.cursor.is_none();
    // A read starting over reads again what the cut-short one stored: its report starts
    // over too, so each record is counted (and each finding told) once, and the members
    // stored before now count as this import's new members when the first record with
    // their email comes by (whichever it is: a bulk read's order differs between reads).
    let restarted_at = if any_order && cp.counts.read > 0 {
        RunRepo.delete_records(db, ctx.run.id).await?;
        cp.counts = RunCounts::default();
        cp.done = 0;
        cp.total = None;
        Some(ctx.now())
    } else {
        None
    };
    let mut report = Report::resume(cp.counts.clone(), cp.seq);
    let mut read = CrmRead::open(ctx, connector.as_ref(), fields, &cp, any_order);
    let batch = Batch {
        vocab,
        columns: columns_to_fields(&columns),
        restarted_at,
    };
    // CRM pages are small (100 records); committing several together writes each index
    // page once for all of them instead of once per page. Only records are held between
    // commits (at most COMMIT_RECORDS), never a database transaction.
    let mut pending = Pending {
        records: Vec::with_capacity(COMMIT_RECORDS),
        in_order: true,
    };
    let mut pending_since = std::time::Instant::now();
    loop {
        let page = match read.next_page(ctx, &mut cp).await {
            // What was read before the cap is kept: committed, then the run fails.
            Err(limit @ EngineError::Limit(_)) => {
                if !pending.records.is_empty() {
                    commit_records(ctx, &batch, &mut pending, &mut cp, &mut report).await?;
                }
                return Err(limit);
            }
            other => other?,
        };
        let finished = page.is_none();
        if let Some(page) = page {
            if pending.records.is_empty() {
                pending_since = std::time::Instant::now();
            }
            pending.in_order &= page.in_order;
            pending.records.extend(page.records);
        }
        let due =
            pending.records.len() >= COMMIT_RECORDS || pending_since.elapsed() >= COMMIT_EVERY;
        if !pending.records.is_empty() && (finished || due) {
            commit_records(ctx, &batch, &mut pending, &mut cp, &mut report).await?;
        }
        if finished {
            break;
        }
    }
    let tx = db.begin().await.map_err(StoreError::from)?;
    ListRepo
        .mark_watermark_read(&tx, ctx.list.id, read_began)
        .await?;
    ListRepo.recount(&tx, ctx.list.id).await?;
    ListRepo
        .set_status(&tx, ctx.list.id, ListStatus::Ready, ctx.now())
        .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(report.counts)
}

/// Records committed together at most. Larger commits write fewer WAL pages per record
/// (4,000 measured 15% faster), but hold SQLite's one write lock long enough, in a
/// loaded debug build, for lease renewals to time out and runs to be taken over.
const COMMIT_RECORDS: usize = 1_000;
/// How long read records may wait for their commit (a slow CRM still shows progress).
const COMMIT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Records read and not committed yet.
struct Pending {
    records: Vec<CrmRecord>,
    /// Every page they came in was in order: the last one is where a resumed read goes on.
    in_order: bool,
}

/// What storing each batch of an import's records needs.
struct Batch<'a> {
    /// The CRM's field names (email, opt-out).
    vocab: &'a dyn Vocabulary,
    /// `(column, crm_field)` pairs of the list.
    columns: Vec<(String, String)>,
    /// When a read that started over began: members stored before it were stored by
    /// this import's cut-short read.
    restarted_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Stores the pending records as members, with the report, the watermark and (for
/// records read in order) the resume point, in one transaction; empties `pending`.
async fn commit_records(
    ctx: &RunContext<'_>,
    batch: &Batch<'_>,
    pending: &mut Pending,
    cp: &mut Checkpoint,
    report: &mut Report,
) -> Result<(), EngineError> {
    let records = std::mem::take(&mut pending.records);
    let in_order = std::mem::replace(&mut pending.in_order, true);
    // In order, the last record is the newest; out of order, the newest is looked for.
    let Some(newest) = records.iter().filter_map(CrmRecord::watermark).max() else {
        return Ok(());
    };
    let now = ctx.now();
    let tx = ctx.store().conn().begin().await.map_err(StoreError::from)?;
    apply_page(&tx, ctx, batch, &records, report, now).await?;
    if in_order {
        cp.cursor = Some(newest.clone());
    }
    cp.save_page(&tx, ctx, report, records.len(), now).await?;
    ListRepo
        .advance_watermark(&tx, ctx.list.id, &newest)
        .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// `(column, crm_field)` pairs of a CRM list.
fn columns_to_fields(columns: &[crate::store::ListColumn]) -> Vec<(String, String)> {
    columns
        .iter()
        .filter_map(|c| c.crm_field.clone().map(|f| (c.name.clone(), f)))
        .collect()
}

/// A member's column values and sync base from a CRM record (the email is the member
/// itself, not a value).
pub(crate) fn values_from_record(
    vocab: &dyn Vocabulary,
    record: &CrmRecord,
    columns: &[(String, String)],
) -> (Values, Values) {
    let mut values = Values::new();
    let mut synced = Values::new();
    for (column, field) in columns {
        if vocab.is_email_field(record.entity, field) {
            continue;
        }
        let value = record.fields.get(field).cloned().flatten();
        values.insert(column.clone(), value.clone());
        synced.insert(field.clone(), value);
    }
    (values, synced)
}

/// The member link for a CRM record.
pub(crate) fn link_for(record: &CrmRecord) -> CrmLink {
    CrmLink {
        entity: record.entity,
        key: record.key.clone(),
        etag: record.etag.clone(),
        modify_date: record.modify_date,
        deleted_at: None,
    }
}

/// The record a member is linked to, as a matching candidate.
fn as_candidate(link: &CrmLink) -> CrmRecord {
    CrmRecord {
        entity: link.entity,
        key: link.key.clone(),
        etag: None,
        modify_date: link.modify_date,
        fields: Default::default(),
    }
}

async fn apply_page<C: sea_orm::ConnectionTrait>(
    db: &C,
    ctx: &RunContext<'_>,
    batch: &Batch<'_>,
    records: &[CrmRecord],
    report: &mut Report,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), EngineError> {
    let (vocab, columns) = (batch.vocab, batch.columns.as_slice());
    let mut valid: Vec<(MemberEmail, &CrmRecord)> = Vec::with_capacity(records.len());
    for record in records {
        report.counts.read += 1;
        if let Some(email) = accepted_email(vocab, record, report) {
            valid.push((email, record));
        }
    }
    let emails: Vec<String> = valid.iter().map(|(e, _)| e.as_str().to_string()).collect();
    let mut existing: HashMap<String, Member> = MemberRepo
        .by_emails(db, ctx.list.id, &emails)
        .await?
        .into_iter()
        .map(|m| (m.email.clone(), m))
        .collect();
    let mut fresh: Vec<Member> = Vec::new();
    let mut fresh_index: HashMap<String, usize> = HashMap::new();
    let mut changed: HashMap<String, Member> = HashMap::new();

    for (email, record) in valid {
        let (values, synced) = values_from_record(vocab, record, columns);
        let key = email.as_str().to_string();
        if let Some(&i) = fresh_index.get(&key) {
            merge_into(vocab, &mut fresh[i], record, values, synced, report);
        } else if let Some(member) = changed.get_mut(&key) {
            merge_into(vocab, member, record, values, synced, report);
        } else if let Some(mut member) = existing.remove(&key) {
            if stored_before_restart(batch, &member) {
                // Stored by the cut-short read, and the first record with its email
                // this read: new to the list all the same, whichever of the email's
                // records comes first (a bulk read's order differs between reads).
                report.counts.pulled_new += 1;
                take_record(vocab, &mut member, record, values, synced);
                changed.insert(key, member);
                continue;
            }
            // Unchanged (its record kept over this one), it stays the email's member
            // for the rest of the batch: another record with the email is folded into
            // it too, never added beside it.
            if merge_into(vocab, &mut member, record, values, synced, report) {
                changed.insert(key, member);
            } else {
                existing.insert(key, member);
            }
        } else {
            let id = ctx.ids().uuid().into();
            let mut member = Member::new(id, ctx.list.id, key.clone(), values, now);
            member.synced = synced;
            member.crm = Some(link_for(record));
            member.opted_out = opted_out(vocab, record);
            report.counts.pulled_new += 1;
            fresh_index.insert(key, fresh.len());
            fresh.push(member);
        }
    }
    let mut writes = MemberWrites::new(now);
    writes.insert_many(db, &fresh).await?;
    for member in changed.values() {
        writes.update(db, member.clone()).await?;
    }
    let written = writes.finish(db).await?;
    let written: Vec<&Member> = written.iter().collect();
    report_phone_problems(db, ctx.run.id, &written, report).await
}

/// The run record outcome of a phone value that is not a number.
pub(super) const PHONE_NOT_PARSED: &str = "phone_not_parsed";

/// Reports, per record, the phone values of just-written members (new and updated
/// alike) that are not numbers (kept in the phone index with the reason, never dropped
/// silently): once per record and column in a run, naming the text. A value fixed since
/// is no longer in the index, so no longer reported.
pub(super) async fn report_phone_problems<C: sea_orm::ConnectionTrait>(
    db: &C,
    run: RunId,
    written: &[&Member],
    report: &mut Report,
) -> Result<(), EngineError> {
    let ids: Vec<crate::store::MemberId> = written.iter().map(|m| m.id).collect();
    let problems = crate::store::PhoneIndexRepo.problems(db, &ids).await?;
    if problems.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = problems.iter().map(|p| p.key.clone()).collect();
    let mut told = RunRepo
        .recorded_fields(db, run, PHONE_NOT_PARSED, &keys)
        .await?;
    for problem in problems {
        let Some(member) = written.iter().find(|m| m.id == problem.member_id) else {
            continue;
        };
        if !told.insert((problem.key.clone(), problem.column.clone())) {
            continue;
        }
        let text = member
            .values
            .get(&problem.column)
            .cloned()
            .flatten()
            .unwrap_or_default();
        report.record(
            PHONE_NOT_PARSED,
            Subject {
                email: Some(&member.email),
                entity: member.crm.as_ref().map(|c| c.entity),
                key: Some(&problem.key),
            },
            Some(&problem.column),
            format!(
                "the {} value \"{text}\" is not usable for caller lookups: {}",
                problem.column, problem.reason
            ),
            Some(serde_json::json!({ "value": text })),
        );
    }
    Ok(())
}

/// The record's email as a member's, or `None` with the record reported as invalid.
pub(super) fn accepted_email(
    vocab: &dyn Vocabulary,
    record: &CrmRecord,
    report: &mut Report,
) -> Option<MemberEmail> {
    match MemberEmail::parse(vocab.email_of(record).unwrap_or_default()) {
        Ok(email) => Some(email),
        Err(e) => {
            report.counts.invalid += 1;
            report.record(
                "invalid",
                Subject::record(vocab, record),
                Some(vocab.email_field(record.entity)),
                format!("not added: {e}"),
                None,
            );
            None
        }
    }
}

/// Folds a record into the member that already holds its email; returns whether the
/// member changed. A different record with the same email is a duplicate: the preferred
/// one (contact over lead, then most recently modified) is kept and the report says why.
fn merge_into(
    vocab: &dyn Vocabulary,
    member: &mut Member,
    record: &CrmRecord,
    values: Values,
    synced: Values,
    report: &mut Report,
) -> bool {
    let same_record = member.crm.as_ref().is_some_and(|l| l.key == record.key);
    if let Some(link) = member.crm.as_ref().filter(|_| !same_record) {
        let candidates = [as_candidate(link), record.clone()];
        let Some((best, why)) = matching::choose(&candidates) else {
            return false;
        };
        let loser = if best.key == record.key {
            &candidates[0]
        } else {
            &candidates[1]
        };
        report.counts.duplicates += 1;
        report.record(
            "duplicate",
            Subject::member_record(&member.email, loser),
            Some(vocab.email_field(record.entity)),
            format!(
                "{} {} also has this email; {} {} was kept: {}",
                loser.entity,
                loser.key,
                best.entity,
                best.key,
                why.describe()
            ),
            Some(serde_json::json!({ "kept": best.key, "dropped": loser.key })),
        );
        if best.key != record.key {
            // The address is one person's: an opt-out on any record with it counts.
            let opt_out = opted_out(vocab, record) && !member.opted_out;
            member.opted_out |= opt_out;
            return opt_out;
        }
    } else if same_record {
        report.counts.unchanged += 1;
    }
    take_record(vocab, member, record, values, synced);
    true
}

/// Whether `member` was last written before this import's read started over: stored by
/// the cut-short read, and not come by since. (Every member of the list is this import's;
/// the first record with its email makes it new again, later ones are folded into it.)
fn stored_before_restart(batch: &Batch<'_>, member: &Member) -> bool {
    batch.restarted_at.is_some_and(|at| member.updated_at < at)
}

/// Links `member` to `record` and takes its values; an opt-out on either stays.
fn take_record(
    vocab: &dyn Vocabulary,
    member: &mut Member,
    record: &CrmRecord,
    values: Values,
    synced: Values,
) {
    member.values = values;
    member.synced = synced;
    member.crm = Some(link_for(record));
    member.opted_out = member.opted_out || opted_out(vocab, record);
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use listbridge_connector::EntityKind;

    use super::*;
    use crate::engine::test_vocabulary::TestVocabulary;
    use crate::store::{ListId, MemberId};

    fn record(key: &str, day: u32, opted_out: bool) -> CrmRecord {
        let v = TestVocabulary;
        let mut fields = listbridge_connector::FieldValues::new();
        fields.insert(
            v.email_field(EntityKind::Lead).into(),
            Some("twin@x.example".into()),
        );
        fields.insert(
            v.opt_out_field(EntityKind::Lead).into(),
            Some(opted_out.to_string()),
        );
        CrmRecord {
            entity: EntityKind::Lead,
            key: key.into(),
            etag: None,
            modify_date: Some(Utc.with_ymd_and_hms(2024, 1, day, 0, 0, 0).unwrap()),
            fields,
        }
    }

    fn member_of(r: &CrmRecord) -> Member {
        let mut m = Member::new(
            MemberId::from(uuid::Uuid::nil()),
            ListId::from(uuid::Uuid::nil()),
            "twin@x.example".into(),
            Values::new(),
            Utc::now(),
        );
        m.crm = Some(link_for(r));
        m.opted_out = opted_out(&TestVocabulary, r);
        m
    }

    #[test]
    fn the_newer_twin_wins_and_an_opt_out_on_either_sticks() {
        let older = record("L1", 1, true);
        let newer = record("L2", 5, false);
        let mut report = Report::default();
        let mut member = member_of(&older);
        assert!(merge_into(
            &TestVocabulary,
            &mut member,
            &newer,
            Values::new(),
            Values::new(),
            &mut report
        ));
        assert_eq!(member.crm.as_ref().map(|c| c.key.as_str()), Some("L2"));
        assert!(member.opted_out, "the older record's opt-out is kept");
        assert_eq!(report.counts.duplicates, 1);

        let mut report = Report::default();
        let mut member = member_of(&newer);
        assert!(
            merge_into(
                &TestVocabulary,
                &mut member,
                &older,
                Values::new(),
                Values::new(),
                &mut report
            ),
            "the loser's opt-out changes the member"
        );
        assert_eq!(
            member.crm.as_ref().map(|c| c.key.as_str()),
            Some("L2"),
            "the newer record stays linked"
        );
        assert!(member.opted_out);
        let detail = &report.take_pending()[0].detail;
        assert!(
            detail.contains("lead L1 also has this email; lead L2 was kept"),
            "{detail}"
        );
    }
}
