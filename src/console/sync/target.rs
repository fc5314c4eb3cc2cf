//! The list or segment a sync page is about: its rows, its header (the list's tabs or
//! the segment's), its addresses, and why Run Now cannot start yet, in words.

use crate::{
    app::AppState,
    console::{
        error::ConsoleError,
        list_page::head::{ListHead, Tab},
        segments::{SegmentHead, SegmentTab},
    },
    store::{AccountId, ListKind, ListStatus},
    sync::{SyncTarget, TargetError, TargetRows, resolve_target},
};

/// A sync page's list or segment, loaded.
pub struct Loaded {
    /// What the setup and the runs belong to.
    pub target: SyncTarget,
    /// Its rows (the list; the segment too for a segment).
    pub rows: TargetRows,
    /// The list's header, for a list.
    pub list_head: Option<ListHead>,
    /// The segment's header, for a segment.
    pub segment_head: Option<SegmentHead>,
}

impl Loaded {
    /// Reads `target` of `account` and its header; another account's or a missing list
    /// or segment is the 404 page.
    pub async fn load(
        state: &AppState,
        account: AccountId,
        target: SyncTarget,
    ) -> Result<Self, ConsoleError> {
        let rows = resolve_target(state, account, target)
            .await
            .map_err(|e| match e {
                TargetError::NotFound(_) => ConsoleError::NotFound(
                    "There is no such list or segment in your account.".into(),
                ),
                TargetError::Store(e) => ConsoleError::internal(&e),
            })?;
        let (list_head, segment_head) = match target {
            SyncTarget::List(_) => (
                Some(ListHead::load(state, account, &rows.list, Tab::Sync).await?),
                None,
            ),
            SyncTarget::Segment(id) => (
                None,
                Some(SegmentHead::load(state, account, id, SegmentTab::Sync).await?),
            ),
        };
        Ok(Loaded {
            target,
            rows,
            list_head,
            segment_head,
        })
    }

    /// The page's own address without `/sync`: `/lists/{id}` or `/segments/{id}`.
    pub fn base_url(&self) -> String {
        base_url(self.target)
    }

    /// Whether the target may pull: a CRM-linked list (not an uploaded list, not a
    /// segment), as the setup check decides.
    pub fn can_pull(&self) -> bool {
        self.rows.segment.is_none() && self.rows.list.kind != ListKind::Uploaded
    }

    /// Why pull is not offered, in words; "" when it is.
    pub fn why_no_pull(&self) -> &'static str {
        if self.rows.segment.is_some() {
            "A segment can only push its members to the CRM. Its list pulls from the CRM: set that up on the list's Sync tab."
        } else if self.rows.list.kind == ListKind::Uploaded {
            "This list was uploaded, so the CRM has no list to pull it from: it can only push. To pull, import the list from the CRM with Import Leads or Import Contacts."
        } else {
            ""
        }
    }

    /// Why Run Now and Preview cannot start yet, in words; "" when they can.
    pub fn run_blocked(&self) -> &'static str {
        match self.rows.list.status {
            ListStatus::Importing => {
                "This list is still importing: run it when the import has finished."
            }
            ListStatus::Failed => {
                "This list's import failed, so there is nothing to sync: import it again."
            }
            ListStatus::Ready if self.rows.saved_setup().is_none() => {
                "Save the sync setup first: Run Now and Preview run the saved setup."
            }
            ListStatus::Ready => "",
        }
    }

    /// The Standard Field Names tab of the target's list.
    pub fn fields_url(&self) -> String {
        format!("/lists/{}/fields", self.rows.list.id)
    }
}

/// `/lists/{id}` or `/segments/{id}`.
pub fn base_url(target: SyncTarget) -> String {
    match target {
        SyncTarget::List(id) => format!("/lists/{id}"),
        SyncTarget::Segment(id) => format!("/segments/{id}"),
    }
}
