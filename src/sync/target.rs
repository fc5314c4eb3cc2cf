//! What a sync setup or a run belongs to (a list, or a segment of a list) and the
//! lookup of its rows in the account: shared by the setup service here and by Run Now
//! in [`crate::runs`], which both refuse a target that is not in the account.

use crate::{
    AppState,
    store::{AccountId, List, ListId, ListRepo, Segment, SegmentId, SegmentRepo, StoreError},
};

/// What a setup or a run belongs to.
#[derive(Debug, Clone, Copy)]
pub enum SyncTarget {
    /// A list.
    List(ListId),
    /// A segment of a list.
    Segment(SegmentId),
}

/// Why a target's rows could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The list or segment (or a segment's list) is not in the account; names which.
    #[error("{0} was not found")]
    NotFound(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A target's rows: the list, and the segment when the target is one.
#[derive(Debug, Clone)]
pub struct TargetRows {
    /// The list (for a segment: the segment's list).
    pub list: List,
    /// The segment, when the target is a segment.
    pub segment: Option<Segment>,
}

impl TargetRows {
    /// The target's saved setup as stored (the segment's for a segment), if one was saved.
    pub fn saved_setup(&self) -> Option<&str> {
        self.segment
            .as_ref()
            .map_or(self.list.sync_setup.as_deref(), |s| s.sync_setup.as_deref())
    }

    /// The target's name as the marketer gave it (the segment's for a segment).
    pub fn name(&self) -> &str {
        self.segment
            .as_ref()
            .map_or(self.list.name.as_str(), |s| s.name.as_str())
    }
}

/// Reads the rows of `target` in `account`; [`TargetError::NotFound`] when it is not there.
pub async fn resolve_target(
    state: &AppState,
    account: AccountId,
    target: SyncTarget,
) -> Result<TargetRows, TargetError> {
    let db = state.store.conn();
    match target {
        SyncTarget::List(id) => {
            let list = ListRepo
                .get(db, account, id)
                .await?
                .ok_or_else(|| TargetError::NotFound(format!("list {id}")))?;
            Ok(TargetRows {
                list,
                segment: None,
            })
        }
        SyncTarget::Segment(id) => {
            let segment = SegmentRepo
                .get(db, account, id)
                .await?
                .ok_or_else(|| TargetError::NotFound(format!("segment {id}")))?;
            let list = ListRepo
                .get(db, account, segment.list_id)
                .await?
                .ok_or_else(|| TargetError::NotFound(format!("list {}", segment.list_id)))?;
            Ok(TargetRows {
                list,
                segment: Some(segment),
            })
        }
    }
}
