//! Members follow CRM records that became records of another entity: when the CRM
//! converts a lead into a contact and says which (Salesforce), the member linked to the
//! lead is linked to the contact, so pushes and notes reach the record people work on
//! instead of a lead the CRM no longer lets anyone change.
//!
//! Each sync of a CRM list (and of an uploaded list that pushes: its pushes link its
//! members) asks the connector for the records moved since the list's
//! last sweep ([`listbridge_connector::CrmConnector::moved`]; a CRM without such a
//! signal answers nothing and costs no request). The sweep has its own mark
//! (`lists.moves_since`): a push-only list never pulls, and a lead read leaves converted
//! leads out, so the pull watermark can pass a conversion it never saw. Relinking is
//! idempotent (a member already moved is no longer linked to the old key), so a sweep
//! cut short by a crash is simply read again. A dry run plans on the links as they are.

use std::collections::{HashMap, HashSet};

use futures::TryStreamExt;
use listbridge_connector::{Moved, Watermark};
use sea_orm::{ConnectionTrait, TransactionTrait};

use super::{
    CLOCK_MARGIN, Checkpoint, EngineError, PULL_OVERLAP, RunContext, pull,
    report::{Report, Subject},
};
use crate::store::{CrmLink, ListRepo, Member, MemberRepo, MemberWrites, StoreError};

/// Sweeps the CRM for records the list's members are linked to that moved, and links
/// those members to the records they became, one transaction per page of moves.
pub(super) async fn follow(ctx: &RunContext<'_>, cp: &mut Checkpoint) -> Result<(), EngineError> {
    let db = ctx.store().conn();
    // The list's own CRM, or the one an uploaded list pushes to.
    let connector = ctx.push_connector().await?;
    let began = ctx.now();
    // Conversions may be stamped a little behind this clock (the CRM's clock, late
    // commits): the sweep starts that far before the last one ended.
    let from = ctx
        .list
        .moves_since
        .unwrap_or(ctx.list.created_at - CLOCK_MARGIN - PULL_OVERLAP);
    let since = Watermark {
        modified: from,
        key: String::new(),
    };
    let mut report = Report::resume(cp.counts.clone(), cp.seq);
    let mut pages = connector.moved(ctx.entity(), since);
    while let Some(moves) = pages.try_next().await? {
        if moves.is_empty() {
            continue;
        }
        let now = ctx.now();
        let tx = db.begin().await.map_err(StoreError::from)?;
        relink(&tx, ctx, &moves, &mut report).await?;
        cp.save_page(&tx, ctx, &mut report, 0, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
    }
    ListRepo
        .mark_moves_read(db, ctx.list.id, began - CLOCK_MARGIN - PULL_OVERLAP)
        .await?;
    Ok(())
}

/// Links the list's members that follow one of `moves`' old records to the new ones.
async fn relink<C: ConnectionTrait>(
    db: &C,
    ctx: &RunContext<'_>,
    moves: &[Moved],
    report: &mut Report,
) -> Result<(), EngineError> {
    let list = ctx.list.id;
    let by_old: HashMap<&str, &Moved> = moves.iter().map(|m| (m.key.as_str(), m)).collect();
    let old_keys: Vec<String> = moves.iter().map(|m| m.key.clone()).collect();
    let new_keys: Vec<String> = moves.iter().map(|m| m.to_key.clone()).collect();
    // A member already linked to the new record (a contact in the list beside the lead).
    let mut followed: HashMap<String, String> = MemberRepo
        .by_crm_keys(db, list, &new_keys)
        .await?
        .into_iter()
        .filter_map(|m| m.crm.as_ref().map(|c| (c.key.clone(), m.email.clone())))
        .collect();
    // In the order the CRM moved them: when two records became one, the first to move
    // is the one its member follows.
    let order: HashMap<&str, usize> = moves
        .iter()
        .enumerate()
        .map(|(i, m)| (m.key.as_str(), i))
        .collect();
    let mut members = MemberRepo.by_crm_keys(db, list, &old_keys).await?;
    members.sort_by_key(|m| {
        m.crm
            .as_ref()
            .and_then(|c| order.get(c.key.as_str()).copied())
            .unwrap_or(usize::MAX)
    });
    let mut writes = MemberWrites::new(ctx.now());
    let mut moved_members: HashSet<String> = HashSet::new();
    for mut member in members {
        let Some(mv) = member
            .crm
            .as_ref()
            .filter(|c| c.deleted_at.is_none())
            .and_then(|c| by_old.get(c.key.as_str()).filter(|m| m.entity == c.entity))
            .copied()
        else {
            continue;
        };
        if !moved_members.insert(member.email.clone()) {
            continue;
        }
        match followed.get(&mv.to_key) {
            Some(other) => stay_behind(ctx, &mut member, mv, other, report),
            None => {
                follow_one(&mut member, mv, report);
                followed.insert(mv.to_key.clone(), member.email.clone());
            }
        }
        writes.update(db, member).await?;
    }
    let written = writes.finish(db).await?;
    pull::note_links(db, ctx, &written).await?;
    Ok(())
}

/// Links `member` to the record `mv` became.
fn follow_one(member: &mut Member, mv: &Moved, report: &mut Report) {
    member.crm = Some(CrmLink {
        entity: mv.to_entity,
        key: mv.to_key.clone(),
        etag: None,
        modify_date: None,
        deleted_at: None,
    });
    member.parked = None;
    report.counts.followed += 1;
    report.record(
        "converted",
        Subject {
            email: Some(&member.email),
            entity: Some(mv.to_entity),
            key: Some(&mv.to_key),
        },
        None,
        format!(
            "{} {} was converted into {} {}; the member now follows the {}",
            mv.entity, mv.key, mv.to_entity, mv.to_key, mv.to_entity
        ),
        Some(serde_json::json!({ "from_entity": mv.entity, "from_key": mv.key })),
    );
}

/// The record `mv` became is already another member's (`other`): `member` keeps its
/// data and its old link, marked as gone, so no sync writes to the converted record.
fn stay_behind(
    ctx: &RunContext<'_>,
    member: &mut Member,
    mv: &Moved,
    other: &str,
    report: &mut Report,
) {
    if let Some(link) = member.crm.as_mut() {
        link.deleted_at = Some(ctx.now());
    }
    report.counts.skipped += 1;
    report.record(
        "converted",
        Subject {
            email: Some(&member.email),
            entity: Some(mv.entity),
            key: Some(&mv.key),
        },
        None,
        format!(
            "{} {} was converted into {} {}, which member {other} already follows; this member stays in the list and a sync leaves it alone",
            mv.entity, mv.key, mv.to_entity, mv.to_key
        ),
        Some(serde_json::json!({ "to_entity": mv.to_entity, "to_key": mv.to_key })),
    );
}
