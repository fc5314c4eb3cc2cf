//! Which members a push looks at, page by page: first those changed on the list side
//! after the change number the last complete push covered (all changed ones when what
//! decides a push changed since), then the unlinked ones, which are matched by email
//! every run. The checkpoint says where the scan resumes.

use sha2::{Digest, Sha256};

use super::super::{Checkpoint, EngineError, Phase, PushStage, RunContext};
use crate::{
    domain::segment_filter::SegmentFilter,
    store::{Member, MemberId, MemberRepo, PushScopeRepo, ScratchRepo, Segment, SegmentId},
};

/// A page of members to push.
pub(super) struct ScopePage {
    /// The members, as the push should see them (only the segment's, for a segment).
    pub(super) members: Vec<Member>,
    /// The change number and id of the last member read: where the next page starts.
    pub(super) last: (i64, MemberId),
}

/// Starts the push's scan: the changed members come first, after the change number the
/// last complete push covered under the same `basis`; the run expects them all.
pub(super) async fn begin(
    ctx: &RunContext<'_>,
    segment_id: Option<SegmentId>,
    basis: &str,
    cp: &mut Checkpoint,
) -> Result<(), EngineError> {
    let db = ctx.store().conn();
    let position = PushScopeRepo.position(db, ctx.list.id, segment_id).await?;
    cp.phase = Phase::Push;
    cp.push_stage = PushStage::Changed;
    cp.push_after = None;
    cp.push_after_seq = None;
    cp.push_since = if position.basis.as_deref() == Some(basis) {
        position.seq
    } else {
        0
    };
    cp.push_upto = PushScopeRepo.change_seq(db, ctx.list.id).await?;
    let scope = MemberRepo
        .count_push_scope(db, ctx.list.id, cp.push_since, cp.push_upto)
        .await?;
    cp.total = Some(cp.done + i64::try_from(scope).unwrap_or(i64::MAX));
    Ok(())
}

/// The next page (of at most `size` members) of the scan after the checkpoint's
/// position, moving on from the changed members to the unlinked ones when the first run
/// out; `None` when both have.
pub(super) async fn next_page(
    ctx: &RunContext<'_>,
    filter: Option<&SegmentFilter>,
    cp: &mut Checkpoint,
    size: u64,
) -> Result<Option<ScopePage>, EngineError> {
    let (page, last) = loop {
        let page = read_page(ctx, cp, size).await?;
        if let Some(last) = page.last().map(|m| (m.change_seq, m.id)) {
            break (page, last);
        }
        if cp.push_stage != PushStage::Changed {
            return Ok(None);
        }
        cp.push_stage = PushStage::Unlinked;
        cp.push_after = None;
        cp.push_after_seq = None;
    };
    let page = if ctx.run.dry_run {
        overlay_dry_run(ctx, page).await?
    } else {
        page
    };
    let members = match filter {
        Some(f) => page.into_iter().filter(|m| segment_matches(f, m)).collect(),
        None => page,
    };
    Ok(Some(ScopePage { members, last }))
}

/// The members after the checkpoint's position in the scan it is in.
async fn read_page(
    ctx: &RunContext<'_>,
    cp: &Checkpoint,
    size: u64,
) -> Result<Vec<Member>, EngineError> {
    let db = ctx.store().conn();
    let after = cp.push_after.as_deref().and_then(MemberId::from_db);
    let page = match cp.push_stage {
        PushStage::Changed => {
            MemberRepo
                .page_changed(
                    db,
                    ctx.list.id,
                    cp.push_since,
                    cp.push_upto,
                    cp.push_after_seq.zip(after),
                    size,
                )
                .await?
        }
        PushStage::Unscoped | PushStage::Unlinked => {
            MemberRepo
                .page_unlinked(db, ctx.list.id, cp.push_since, after, size)
                .await?
        }
    };
    Ok(page)
}

/// A fingerprint of everything that decides what a push sends: when it changes, members
/// changed before the last complete push may need sending too.
pub(super) fn push_basis(salt: &str, segment: Option<&Segment>) -> String {
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

/// Whether a member belongs to the segment (its email or one of its columns).
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
