//! *Add List Columns*: CRM fields added to a CRM list are filled on the next sync. A pull
//! reads only records changed since its watermark, so it would never fill a new column
//! for members whose CRM record did not change. The backfill reads every record of the
//! list's entity once, asking only for the new fields, and fills them in for the linked
//! members (as their base too, so the value is not pushed back). It streams page by page
//! and commits each page with its resume point, like a pull; the columns stop being
//! pending in the transaction that commits the last page.

use listbridge_connector::CrmRecord;
use sea_orm::TransactionTrait;

use super::{Checkpoint, EngineError, Phase, RunContext, crm_read::CrmRead, report::Report};
use crate::store::{ListColumn, ListRepo, MemberRepo, MemberWrites, StoreError};

/// Fills the list's pending CRM columns, if it has any; resumes from the checkpoint.
pub(super) async fn backfill(ctx: &RunContext<'_>, cp: &mut Checkpoint) -> Result<(), EngineError> {
    let db = ctx.store().conn();
    let pending: Vec<ListColumn> = ListRepo
        .columns(db, ctx.list.id)
        .await?
        .into_iter()
        .filter(|c| c.pending && c.crm_field.is_some())
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    let connector = ctx.connector().await?;
    if cp.phase != Phase::Backfill {
        cp.phase = Phase::Backfill;
        cp.cursor = None;
    }
    let fields: Vec<String> = pending.iter().filter_map(|c| c.crm_field.clone()).collect();
    let mut report = Report::resume(cp.counts.clone(), cp.seq);
    let mut read = CrmRead::open(ctx, connector.as_ref(), fields, cp, false);
    while let Some(page) = read.next_page(ctx, cp).await? {
        let Some(last) = page.records.iter().rev().find_map(CrmRecord::watermark) else {
            continue;
        };
        let keys: Vec<String> = page.records.iter().map(|r| r.key.clone()).collect();
        let by_key: std::collections::HashMap<&str, &CrmRecord> =
            page.records.iter().map(|r| (r.key.as_str(), r)).collect();
        let now = ctx.now();
        let tx = db.begin().await.map_err(StoreError::from)?;
        let mut writes = MemberWrites::new(now);
        for mut member in MemberRepo.by_crm_keys(&tx, ctx.list.id, &keys).await? {
            let Some(record) = member
                .crm
                .as_ref()
                .and_then(|link| by_key.get(link.key.as_str()).copied())
            else {
                continue;
            };
            let mut filled = false;
            for column in &pending {
                let Some(field) = column.crm_field.as_deref() else {
                    continue;
                };
                let Some(value) = record.fields.get(field).cloned() else {
                    continue;
                };
                if member.values.get(&column.name).cloned().flatten().is_none() {
                    member.values.insert(column.name.clone(), value.clone());
                    member.synced.insert(field.to_string(), value);
                    filled = true;
                }
            }
            if filled {
                report.counts.filled += 1;
                writes.update(&tx, member).await?;
            }
        }
        // A filled phone column's values that are not numbers are reported like a pull's.
        let written = writes.finish(&tx).await?;
        let written: Vec<&crate::store::Member> = written.iter().collect();
        super::import::report_phone_problems(&tx, ctx.run.id, &written, &mut report).await?;
        cp.cursor = Some(last);
        cp.save_page(&tx, ctx, &mut report, page.records.len(), now)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
    }
    let names: Vec<String> = pending.into_iter().map(|c| c.name).collect();
    ListRepo.clear_pending(db, ctx.list.id, &names).await?;
    cp.phase = Phase::NotStarted;
    cp.cursor = None;
    cp.total = None;
    Ok(())
}
