//! The records a CRM list's members followed into the other entity. A lead list's
//! member ends up linked to a contact when Salesforce converts its lead (see
//! [`crate::engine::moved`]) or a push matches its email to a contact; the pull's read of
//! leads never sees that contact again, so without this read its CRM changes would never
//! reach the list while the list's changes still went to it.
//!
//! When any member was linked to the other entity (the list's mark, set by
//! [`note_links`] where the engine links one), the pull also reads that entity's
//! records changed since the list's mark (`lists.followed_since`) and applies those its
//! members are linked to, by the same rules as its own records; every other record is
//! passed over (it is nobody in this list) and never becomes a member. Only the list's
//! fields the other entity has are read, as a push only writes those. The mark moves
//! after every complete pull, read or not, to its start less the overlap, so a member
//! linked later is read from before it was linked. Applying a record twice changes
//! nothing, so a read cut short by a crash is simply read again.

use futures::{StreamExt, TryStreamExt};
use listbridge_connector::{CrmConnector, ReadQuery, Watermark};
use sea_orm::{ConnectionTrait, TransactionTrait};

use super::super::{
    CLOCK_MARGIN, Checkpoint, EngineError, PULL_OVERLAP, RunContext, report::Report,
    validate::find_def,
};
use super::page::PageContext;
use crate::store::{ListRepo, Member, StoreError};

/// Marks the list when any of `written` (members about to be saved on `db`) is linked to
/// a record of the other entity, so that its pulls read that entity from now on. Called
/// in the transaction that saves them, wherever the engine links members to what the
/// CRM answered (a push's match or write, a converted lead's contact).
pub(in crate::engine) async fn note_links<'m, C: ConnectionTrait>(
    db: &C,
    ctx: &RunContext<'_>,
    written: impl IntoIterator<Item = &'m Member>,
) -> Result<(), StoreError> {
    let other = ctx.entity().other();
    let linked_there = written
        .into_iter()
        .any(|m| m.crm.as_ref().is_some_and(|c| c.entity == other));
    if linked_there {
        ListRepo.mark_links_other_entity(db, ctx.list.id).await?;
    }
    Ok(())
}

/// Reads the other entity's records changed since the list's mark and applies those
/// linked to members, one transaction per page; then moves the mark.
pub(super) async fn pull_followed(
    followed: &PageContext<'_>,
    connector: &dyn CrmConnector,
    cp: &mut Checkpoint,
    report: &mut Report,
) -> Result<(), EngineError> {
    let ctx = followed.ctx;
    let db = ctx.store().conn();
    let other = ctx.entity().other();
    let began = ctx.now();
    // A committed mark is all it needs: read beside the writer.
    if ListRepo
        .links_other_entity(ctx.store().reads(), ctx.list.id)
        .await?
    {
        let defs = connector.describe(other).await?;
        let mut fields: Vec<String> = followed
            .map
            .crm_fields()
            .filter(|f| find_def(&defs, f).is_some())
            .map(String::from)
            .collect();
        fields.push(followed.vocab.opt_out_field(other).into());
        let from = ctx
            .list
            .followed_since
            .unwrap_or(ctx.list.created_at - CLOCK_MARGIN - PULL_OVERLAP);
        let query = ReadQuery {
            fields,
            since: Some(Watermark {
                modified: from,
                key: String::new(),
            }),
            ..ReadQuery::default()
        };
        let worth = usize::try_from(ctx.pages_worth_reading(cp)).unwrap_or(usize::MAX);
        let mut pages = connector.read(other, query).take(worth);
        while let Some(page) = pages.try_next().await? {
            ctx.begin_page(cp)?;
            if page.records.is_empty() {
                continue;
            }
            let now = ctx.now();
            let tx = db.begin().await.map_err(StoreError::from)?;
            followed.apply(&tx, &page.records, report).await?;
            // Progress counts the list's own records; these come on top.
            cp.save_page(&tx, ctx, report, 0, now).await?;
            tx.commit().await.map_err(StoreError::from)?;
        }
    }
    if !ctx.run.dry_run {
        ListRepo
            .mark_followed_read(db, ctx.list.id, began - CLOCK_MARGIN - PULL_OVERLAP)
            .await?;
    }
    Ok(())
}
