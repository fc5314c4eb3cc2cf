//! Run history: a list's runs (imports and syncs) or one segment's pushes, newest first,
//! and the latest ended run of every list for the lists table.

use super::RunError;
use crate::{
    AppState,
    store::{AccountId, ListRepo, Run, RunRepo, SegmentRepo, StoreError},
    sync::SyncTarget,
};

/// Runs shown when the caller does not say how many.
const DEFAULT_HISTORY: u64 = 50;
/// Most runs one request may ask for.
const MAX_HISTORY: u64 = 500;

/// The runs of `target`, newest first: at most `limit` (default 50, at most 500). A
/// list's history is read by its id alone, and only an empty one asks whether the list
/// is the account's (a deleted or unknown list is not found, rather than runless); a
/// segment must be in the account, since its list is found through it.
pub async fn history(
    state: &AppState,
    account: AccountId,
    target: SyncTarget,
    limit: Option<u64>,
) -> Result<Vec<Run>, RunError> {
    let db = state.store.conn();
    let (list, segment) = match target {
        SyncTarget::List(id) => (id, None),
        SyncTarget::Segment(id) => {
            let segment = SegmentRepo
                .get(db, account, id)
                .await?
                .ok_or_else(|| RunError::NotFound(format!("segment {id}")))?;
            (segment.list_id, Some(id))
        }
    };
    let limit = limit.unwrap_or(DEFAULT_HISTORY).clamp(1, MAX_HISTORY);
    let runs = RunRepo
        .history(db, account, list, segment, limit, state.clock.now())
        .await?;
    if runs.is_empty() && ListRepo.get(db, account, list).await?.is_none() {
        return Err(RunError::NotFound(format!("list {list}")));
    }
    Ok(runs)
}

/// The latest ended run (import or sync, not a dry run, not a segment push) of each of
/// the account's lists, in one statement, for the lists table.
pub async fn latest_ended_per_list(
    state: &AppState,
    account: AccountId,
) -> Result<Vec<Run>, StoreError> {
    RunRepo
        .latest_ended_per_list(state.store.conn(), account, state.clock.now())
        .await
}
