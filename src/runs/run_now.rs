//! *Run Now*: a marketer starts the saved sync of a list or segment by hand. Refused
//! while the list is still importing or before a setup was saved; a second request
//! while a run is active gets that run back instead of a new one.

use super::{RunError, queue::queue_run};
use crate::{
    AppState,
    store::{AccountId, ListStatus, NewRun, Queued, RunKind, RunTrigger},
    sync::{SyncTarget, resolve_target},
};

/// A Run Now request.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunRequest {
    /// Plan only.
    pub dry_run: bool,
}

/// Queues a sync run of `target`, or returns the run already active for it.
pub async fn run_now(
    state: &AppState,
    account: AccountId,
    target: SyncTarget,
    request: RunRequest,
) -> Result<Queued, RunError> {
    let rows = resolve_target(state, account, target).await?;
    if rows.list.status != ListStatus::Ready {
        return Err(RunError::NotReady(format!(
            "list '{}' is still importing; run it when the import has finished",
            rows.list.name
        )));
    }
    if rows.saved_setup().is_none() {
        return Err(RunError::NotReady(
            "save a sync setup (PUT …/sync) before running".into(),
        ));
    }
    let new = NewRun {
        account_id: account,
        list_id: rows.list.id,
        segment_id: rows.segment.map(|s| s.id),
        kind: RunKind::Sync,
        trigger: RunTrigger::Manual,
        dry_run: request.dry_run,
    };
    Ok(queue_run(state, new).await?)
}
