//! Push: send list changes to the CRM.
//!
//! For each page of members: linked members send only their changed push-update fields
//! (with the etag they were last seen at); unlinked members are matched by email in
//! batched lookups (contact over lead, then most recent) and then updated, or created as
//! leads when add-new is on. Values are validated against the CRM's field definitions
//! first. Writes go out in `$batch` chunks where the connector supports them. A CRM
//! rejection parks the member with the CRM's words until it or the setup changes.

//!
//! This module walks the members a push must look at and commits page by page;
//! [`pusher`] plans and sends one page; [`outcome`] applies what the CRM answered.

mod outcome;
mod pusher;

use listbridge_connector::EntityKind;
use sea_orm::TransactionTrait;
use sha2::{Digest, Sha256};

use super::{
    Checkpoint, EngineError, PUSH_PAGE, RunContext, field_map::FieldMap, report::Report,
    setup::SyncSetup,
};
use crate::{
    lists::segment_filter::SegmentFilter,
    store::{
        ListRepo, Member, MemberId, MemberRepo, PushPosition, PushScopeRepo, ScratchRepo, Segment,
        StoreError,
    },
};
use pusher::Pusher;

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
