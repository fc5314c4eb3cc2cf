//! Push: send list changes to the CRM.
//!
//! For each page of members: linked members send only their changed push-update fields
//! (with the etag they were last seen at); unlinked members are matched by email in
//! batched lookups (contact over lead, then most recent) and then updated, or created as
//! leads when add-new is on. Values are validated against the CRM's field definitions
//! first. Writes go out in `$batch` chunks where the connector supports them. A CRM
//! rejection parks the member with the CRM's words until it or the setup changes.
//!
//! This module runs the phase and commits page by page; [`scope`] says which members a
//! push looks at; [`pusher`] plans and sends one page; [`outcome`] applies what the CRM
//! answered.

mod outcome;
mod pusher;
mod scope;

use std::{sync::Arc, time::Instant};

use listbridge_connector::{CrmConnector, EntityKind, FieldDef};
use sea_orm::TransactionTrait;

use super::{
    Checkpoint, EngineError, Phase, PushStage, RunContext, field_map::FieldMap, pull,
    report::Report, setup::SyncSetup,
};
use crate::{
    domain::segment_filter::SegmentFilter,
    store::{Member, MemberRepo, PushPosition, PushScopeRepo, Segment, SegmentId, StoreError},
};
use pusher::Pusher;

/// How long a push may go without saving its progress while pages change nothing.
const QUIET_SAVE_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Marks a member the next run must look at again (a change number is assigned when
/// the page is saved).
const RETRY: i64 = -1;

/// Runs the push phase, resuming from the checkpoint.
///
/// A push looks only at the members that may need it (see [`scope`]). Members that hold
/// what the CRM sent (change number 0) have nothing to push, so an idle push of a large
/// list reads nothing.
pub(super) async fn push(
    ctx: &RunContext<'_>,
    setup: &SyncSetup,
    segment: Option<&Segment>,
    cp: &mut Checkpoint,
) -> Result<(), EngineError> {
    let inputs = PushInputs::load(ctx, setup, segment).await?;
    let segment_id = segment.map(|s| s.id);
    if cp.phase != Phase::Push || cp.push_stage == PushStage::Unscoped {
        scope::begin(ctx, segment_id, &inputs.basis, cp).await?;
    }
    let mut report = Report::resume(cp.counts.clone(), cp.seq);
    let pusher = inputs.pusher(ctx, setup);
    let mut unsaved = Unsaved::new();
    let size = pusher.page_size();
    while let Some(page) = scope::next_page(ctx, inputs.filter.as_ref(), cp, size).await? {
        ctx.begin_page(cp)?;
        unsaved.members += page.members.len();
        let outcome = pusher.push_page(page.members, &mut report).await?;
        cp.push_after = Some(page.last.1.as_db());
        cp.push_after_seq = Some(page.last.0);
        // A page that changed and reported nothing needs no transaction of its own: its
        // progress is saved with the next page that does (or after QUIET_SAVE_EVERY), and
        // a resume merely looks at it again. An idle push of a large list is mostly these.
        if outcome.changed.is_empty() && !report.has_pending() && unsaved.is_recent() {
            continue;
        }
        commit_page(ctx, outcome, cp, &mut report, unsaved.members).await?;
        unsaved = Unsaved::new();
    }
    finish(
        ctx,
        segment_id,
        inputs.basis,
        cp,
        &mut report,
        unsaved.members,
    )
    .await
}

/// What a push works from, read once when it starts.
struct PushInputs {
    /// The CRM.
    connector: Arc<dyn CrmConnector>,
    /// Columns to CRM fields.
    map: FieldMap,
    /// The CRM's lead fields.
    lead_defs: Vec<FieldDef>,
    /// The CRM's contact fields.
    contact_defs: Vec<FieldDef>,
    /// A segment's filter: its push looks only at its members.
    filter: Option<SegmentFilter>,
    /// The setup and mapping, mixed into parked members' fingerprints.
    salt: String,
    /// The fingerprint of what decides what this push sends (see [`scope::push_basis`]).
    basis: String,
}

impl PushInputs {
    async fn load(
        ctx: &RunContext<'_>,
        setup: &SyncSetup,
        segment: Option<&Segment>,
    ) -> Result<Self, EngineError> {
        let connector = ctx.push_connector().await?;
        let (_, map) = ctx.field_map(connector.vocabulary()).await?;
        let lead_defs = connector.describe(EntityKind::Lead).await?;
        let contact_defs = connector.describe(EntityKind::Contact).await?;
        let filter = segment
            .map(|s| serde_json::from_str(&s.filter))
            .transpose()
            .map_err(|e| EngineError::Setup(format!("the segment's filter cannot be read: {e}")))?;
        let salt = serde_json::json!({ "setup": setup, "map": map.columns.iter().map(|c| (&c.column, &c.crm_field)).collect::<Vec<_>>() }).to_string();
        let basis = scope::push_basis(&salt, segment);
        Ok(PushInputs {
            connector,
            map,
            lead_defs,
            contact_defs,
            filter,
            salt,
            basis,
        })
    }

    fn pusher<'a>(&'a self, ctx: &'a RunContext<'a>, setup: &'a SyncSetup) -> Pusher<'a> {
        Pusher {
            ctx,
            setup,
            map: &self.map,
            connector: Arc::clone(&self.connector),
            lead_defs: &self.lead_defs,
            contact_defs: &self.contact_defs,
            salt: &self.salt,
        }
    }
}

/// Members looked at since the last saved page, and when that was.
struct Unsaved {
    members: usize,
    since: Instant,
}

impl Unsaved {
    fn new() -> Self {
        Unsaved {
            members: 0,
            since: Instant::now(),
        }
    }

    /// Whether the last save is recent enough for a quiet page to wait for the next.
    fn is_recent(&self) -> bool {
        self.since.elapsed() < QUIET_SAVE_EVERY
    }
}

/// What a push page did.
struct PageOutcome {
    /// Members whose stored state changed.
    changed: Vec<Member>,
    /// Whether any of them must be looked at again next run (marked [`RETRY`]).
    again: bool,
}

/// Saves a page in one transaction: the members it changed (unless dry), the report,
/// the progress (`looked_at` more members) and the resume point.
async fn commit_page(
    ctx: &RunContext<'_>,
    outcome: PageOutcome,
    cp: &mut Checkpoint,
    report: &mut Report,
    looked_at: usize,
) -> Result<(), EngineError> {
    let PageOutcome { mut changed, again } = outcome;
    let now = ctx.now();
    let tx = ctx.store().conn().begin().await.map_err(StoreError::from)?;
    if !ctx.run.dry_run {
        if again {
            // Members to look at again next run get a new change number.
            let seq = PushScopeRepo.next_change_seq(&tx, ctx.list.id).await?;
            for member in changed.iter_mut().filter(|m| m.change_seq == RETRY) {
                member.change_seq = seq;
            }
        }
        MemberRepo.update_many(&tx, &changed, now).await?;
        pull::note_links(&tx, ctx, &changed).await?;
    }
    cp.save_page(&tx, ctx, report, looked_at, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Ends the push: saves the progress of the quiet pages not saved yet and (unless dry)
/// the change number this push covered with the basis it covered it under, where the
/// next push starts.
async fn finish(
    ctx: &RunContext<'_>,
    segment_id: Option<SegmentId>,
    basis: String,
    cp: &mut Checkpoint,
    report: &mut Report,
    unsaved: usize,
) -> Result<(), EngineError> {
    let now = ctx.now();
    let tx = ctx.store().conn().begin().await.map_err(StoreError::from)?;
    if unsaved > 0 {
        cp.save_page(&tx, ctx, report, unsaved, now).await?;
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
    cp.phase = Phase::Done;
    Ok(())
}
