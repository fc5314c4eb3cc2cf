//! Pull: bring CRM changes since the list's watermark into the list.
//!
//! The read starts a little before the saved watermark (overlap) and skips records the
//! list already holds at the same etag, so records sharing one modify date are neither
//! missed nor looped over. The overlap is for records the CRM commits late; once the
//! watermark was older than the overlap (plus a clock margin) when the last complete read
//! began, nothing can still commit behind it, and the read starts right after it: an
//! idle sync then reads one empty page instead of the whole last bulk update. Each page
//! commits its member writes, report, resume point and the advanced watermark together:
//! the watermark never runs ahead of what is stored.
//!
//! This module runs the phase; [`page`] applies one page of records to the members, and
//! [`followed`] reads the other entity for the members linked there (a lead list's
//! members that followed their converted leads to contacts).

mod followed;
mod page;

pub(super) use followed::note_links;

use chrono::{DateTime, Utc};
use listbridge_connector::{CrmRecord, Watermark};
use sea_orm::TransactionTrait;

use super::{
    CLOCK_MARGIN, Checkpoint, EngineError, PULL_OVERLAP, Phase, RunContext, crm_read::CrmRead,
    report::Report, setup::SyncSetup,
};
use crate::store::{ListRepo, StoreError};
use page::PageContext;

/// Runs the pull phase, resuming from the checkpoint.
pub(super) async fn pull(
    ctx: &RunContext<'_>,
    setup: &SyncSetup,
    cp: &mut Checkpoint,
) -> Result<(), EngineError> {
    let db = ctx.store().conn();
    let connector = ctx.connector().await?;
    let vocab = connector.vocabulary();
    let (columns, map) = ctx.field_map(vocab).await?;
    let mut fields: Vec<String> = map.crm_fields().map(String::from).collect();
    fields.push(vocab.opt_out_field(ctx.entity()).into());

    if cp.phase != Phase::Pull {
        cp.phase = Phase::Pull;
        cp.cursor = ctx
            .list
            .watermark
            .clone()
            .map(|w| pull_start(w, ctx.list.watermark_read_at));
        cp.read_began = None;
    }
    let read_began = *cp.read_began.get_or_insert_with(|| ctx.now());
    let mut report = Report::resume(cp.counts.clone(), cp.seq);
    let page_ctx = PageContext {
        ctx,
        setup,
        map: &map,
        columns: &columns,
        vocab,
        linked_only: false,
    };
    let mut read = CrmRead::open(ctx, connector.as_ref(), fields, cp, false);
    while let Some(page) = read.next_page(ctx, cp).await? {
        let Some(last) = page.records.iter().rev().find_map(CrmRecord::watermark) else {
            continue;
        };
        let now = ctx.now();
        let tx = db.begin().await.map_err(StoreError::from)?;
        page_ctx.apply(&tx, &page.records, &mut report).await?;
        cp.cursor = Some(last.clone());
        cp.save_page(&tx, ctx, &mut report, page.records.len(), now)
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
    let followed = PageContext {
        linked_only: true,
        ..page_ctx
    };
    followed::pull_followed(&followed, connector.as_ref(), cp, &mut report).await?;
    cp.phase = Phase::Push;
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
