//! What every tab of the list page shares: the list's header (name, kind, member
//! count, status, the run in progress), the tabs, the `?done=` notices, and the
//! turning of ids and service errors into pages.

use std::collections::HashMap;

use axum::{
    extract::{FromRequestParts, Path},
    http::{StatusCode, request::Parts},
};
use serde::Deserialize;

use crate::{
    app::AppState,
    console::error::ConsoleError,
    error::ApiError,
    lists::ListError,
    runs,
    store::{AccountId, List, ListId, ListKind, ListStatus, MemberId},
};

/// The tab of the list page being shown, to mark it in the tab bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Members, search and paging.
    Members,
    /// *Add List Columns*.
    Columns,
    /// *Standard Field Names* and *Optimize for Infor CRM*.
    Fields,
    /// Rename and delete.
    Settings,
    /// The sync setup, *Run Now* and *Preview* (`/lists/{id}/sync`).
    Sync,
    /// The run history (`/lists/{id}/runs`).
    Runs,
    /// The schedule (`/lists/{id}/schedule`).
    Schedule,
    /// The list's segments (`/lists/{id}/segments`).
    Segments,
}

impl Tab {
    fn name(self) -> &'static str {
        match self {
            Tab::Members => "members",
            Tab::Columns => "columns",
            Tab::Fields => "fields",
            Tab::Settings => "settings",
            Tab::Sync => "sync",
            Tab::Runs => "runs",
            Tab::Schedule => "schedule",
            Tab::Segments => "segments",
        }
    }
}

/// The header above every tab of one list.
#[derive(Debug, Clone)]
pub struct ListHead {
    /// The list id, for links and form actions.
    pub id: String,
    /// The list's name (a CRM or CSV-given text: escaped by the template).
    pub name: String,
    /// The kind, in words.
    pub kind: &'static str,
    /// Whether it is linked to the CRM (CRM lead or contact list).
    pub is_crm: bool,
    /// `importing`, `ready` or `failed`.
    pub status: &'static str,
    /// The badge class of the status.
    pub status_class: &'static str,
    /// "1 member" / "12,345 members", from the count the list stores.
    pub members: String,
    /// When the list last synced, or "".
    pub last_synced: String,
    /// The queued or running whole-list run, whose progress fragment is embedded.
    pub run_id: Option<String>,
    /// The tab shown.
    pub tab: Tab,
}

impl ListHead {
    /// The header of `list`, with its run in progress (one indexed lookup).
    pub async fn load(
        state: &AppState,
        account: AccountId,
        list: &List,
        tab: Tab,
    ) -> Result<Self, ConsoleError> {
        let run = runs::active_run_of_list(state, account, list.id)
            .await
            .map_err(|e| ConsoleError::internal(&e))?;
        Ok(ListHead {
            id: list.id.to_string(),
            name: list.name.clone(),
            kind: crate::console::words::list_kind(list.kind),
            is_crm: is_crm(list),
            status: match list.status {
                ListStatus::Importing => "importing",
                ListStatus::Ready => "ready",
                ListStatus::Failed => "import failed",
            },
            status_class: match list.status {
                ListStatus::Importing => "warn",
                ListStatus::Ready => "ok",
                ListStatus::Failed => "bad",
            },
            members: crate::console::words::count(list.member_count, "member", "members"),
            last_synced: list
                .last_synced_at
                .map(crate::console::words::when)
                .unwrap_or_default(),
            run_id: run.map(|r| r.id.to_string()),
            tab,
        })
    }

    /// The `aria-current` value of the tab link named `name`.
    pub fn current(&self, name: &str) -> &'static str {
        if self.tab.name() == name {
            "page"
        } else {
            "false"
        }
    }
}

/// Whether a list is linked to the CRM.
pub fn is_crm(list: &List) -> bool {
    matches!(list.kind, ListKind::CrmLead | ListKind::CrmContact)
}

/// The list a list page's URL names (`/lists/{id}/…`). Taking it in a handler answers
/// the 404 page for anything that is not a list id, as for another account's list.
#[derive(Debug, Clone, Copy)]
pub struct ListPath(pub ListId);

/// The member a member page's URL names (`/lists/{id}/members/{member_id}…`), with
/// its list; anything that is not an id is the 404 page.
#[derive(Debug, Clone, Copy)]
pub struct MemberPath(pub ListId, pub MemberId);

/// The named parameters of a request's path.
async fn path_params<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
) -> Result<HashMap<String, String>, ConsoleError> {
    Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map(|Path(params)| params)
        .map_err(|_| ConsoleError::NotFound("There is no such page.".into()))
}

impl<S: Send + Sync> FromRequestParts<S> for ListPath {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ConsoleError> {
        let params = path_params(parts, state).await?;
        let raw = params.get("id").map_or("", String::as_str);
        Ok(ListPath(list_id(raw)?))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MemberPath {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ConsoleError> {
        let params = path_params(parts, state).await?;
        let raw = |name: &str| params.get(name).map_or("", String::as_str);
        Ok(MemberPath(
            list_id(raw("id"))?,
            member_id(raw("member_id"))?,
        ))
    }
}

/// The list id of a URL; anything that is not an id is a missing list (404 page).
pub fn list_id(raw: &str) -> Result<ListId, ConsoleError> {
    raw.parse()
        .map_err(|_| ConsoleError::NotFound("There is no such list in your account.".into()))
}

/// The member id of a URL; anything that is not an id is a missing member (404 page).
pub fn member_id(raw: &str) -> Result<MemberId, ConsoleError> {
    raw.parse()
        .map_err(|_| ConsoleError::NotFound("There is no such member in this list.".into()))
}

/// A service error shown as a page (missing list or member: 404; others as the API
/// answers them).
pub fn fail(err: ListError) -> ConsoleError {
    ApiError::from(err).into()
}

/// A service error about a submitted form: `Ok` with the API's error to show beside a
/// field, or `Err` with the page to show instead when the form itself cannot be (the
/// list or member is gone, or something broke).
pub fn form_error(err: impl Into<ApiError>) -> Result<ApiError, ConsoleError> {
    let api: ApiError = err.into();
    if api.status() == StatusCode::NOT_FOUND || api.status() == StatusCode::INTERNAL_SERVER_ERROR {
        Err(api.into())
    } else {
        Ok(api)
    }
}

/// The `?done=` of a page reached after a change (Post/Redirect/Get).
#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    /// What was done, as a code [`notice`] turns into a sentence.
    pub done: Option<String>,
}

/// The notice sentence of a `?done=` code; "" for none or an unknown code.
pub fn notice(done: Option<&str>, list: &List) -> String {
    let crm = is_crm(list);
    match done.unwrap_or_default() {
        "member_added" => "Member added.".into(),
        "member_saved" => "Member saved. The next push sends the changed values.".into(),
        "member_removed" => "Member removed from this list. Nothing was deleted in the CRM.".into(),
        "columns_added" if crm => {
            "Columns added. They are filled from the CRM on the next sync.".into()
        }
        "columns_added" => "Columns added.".into(),
        "usage_saved" => "Standard Field Name saved.".into(),
        "usage_removed" => "Standard Field Name removed.".into(),
        "usage_unchanged" => "Nothing to change: that column has no Standard Field Name.".into(),
        "renamed" => "List renamed.".into(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_ids_are_not_found() {
        assert!(matches!(list_id("nope"), Err(ConsoleError::NotFound(_))));
        assert!(member_id("3f2b").is_err());
    }
}
