//! What every page of one segment shares: the segment's header (its name, its list
//! linked) and the tabs *Members*, *Sync*, *Schedule* and *Runs*, plus the turning of
//! a segment id in a URL into the segment, scoped to the viewer's account. The sync
//! and run pages of a segment include the same header
//! (`{% include "console/segment_header.html" %}` with `segment: SegmentHead`).

use std::collections::HashMap;

use axum::{
    extract::{FromRequestParts, Path},
    http::request::Parts,
};

use crate::{
    app::AppState,
    console::error::ConsoleError,
    lists::{manage, segments, segments::SegmentDetail},
    store::{AccountId, SegmentId},
};

/// The tab of a segment's pages being shown, to mark it in the tab bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentTab {
    /// The segment's members (`/segments/{id}`).
    Members,
    /// Its push sync setup (`/segments/{id}/sync`).
    Sync,
    /// Its schedule (`/segments/{id}/schedule`).
    Schedule,
    /// Its runs (`/segments/{id}/runs`).
    Runs,
    /// The builder (`/segments/{id}/edit`) or the delete confirmation: no tab marked.
    Edit,
}

impl SegmentTab {
    fn name(self) -> &'static str {
        match self {
            SegmentTab::Members => "members",
            SegmentTab::Sync => "sync",
            SegmentTab::Schedule => "schedule",
            SegmentTab::Runs => "runs",
            SegmentTab::Edit => "edit",
        }
    }
}

/// The header above every page of one segment.
#[derive(Debug, Clone)]
pub struct SegmentHead {
    /// The segment id, for links and form actions.
    pub id: String,
    /// The segment's name (marketer-given text: escaped by the template).
    pub name: String,
    /// The id of the list it filters, for the link back to it.
    pub list_id: String,
    /// The name of that list.
    pub list_name: String,
    /// The tab shown.
    pub active_tab: SegmentTab,
}

impl SegmentHead {
    /// The header of segment `id` of `account`; another account's segment, or a missing
    /// one, is the 404 page.
    pub async fn load(
        state: &AppState,
        account: AccountId,
        id: SegmentId,
        tab: SegmentTab,
    ) -> Result<Self, ConsoleError> {
        Ok(Self::load_detail(state, account, id, tab).await?.0)
    }

    /// As [`SegmentHead::load`], also answering the segment with its parsed filter, for
    /// the pages that need more than the header.
    pub async fn load_detail(
        state: &AppState,
        account: AccountId,
        id: SegmentId,
        tab: SegmentTab,
    ) -> Result<(Self, SegmentDetail), ConsoleError> {
        let detail = segments::get(state, account, id)
            .await
            .map_err(ConsoleError::service)?;
        let list = manage::require_list(state, account, detail.segment.list_id)
            .await
            .map_err(ConsoleError::service)?;
        let head = SegmentHead {
            id: detail.segment.id.to_string(),
            name: detail.segment.name.clone(),
            list_id: list.id.to_string(),
            list_name: list.name,
            active_tab: tab,
        };
        Ok((head, detail))
    }

    /// The `aria-current` value of the tab link named `name` (`members`, `sync`,
    /// `schedule`, `runs`).
    pub fn current(&self, name: &str) -> &'static str {
        if self.active_tab.name() == name {
            "page"
        } else {
            "false"
        }
    }
}

/// The segment a segment page's URL names (`/segments/{id}/…`). Taking it in a
/// handler answers the 404 page for anything that is not a segment id, as for another
/// account's segment.
#[derive(Debug, Clone, Copy)]
pub struct SegmentPath(pub SegmentId);

impl<S: Send + Sync> FromRequestParts<S> for SegmentPath {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ConsoleError> {
        let params = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Path(params)| params)
            .map_err(|_| ConsoleError::NotFound("There is no such page.".into()))?;
        let raw = params.get("id").map_or("", String::as_str);
        Ok(SegmentPath(segment_id(raw)?))
    }
}

/// The segment id of a URL; anything that is not an id is a missing segment (404 page).
pub fn segment_id(raw: &str) -> Result<SegmentId, ConsoleError> {
    raw.parse()
        .map_err(|_| ConsoleError::NotFound("There is no such segment in your account.".into()))
}
