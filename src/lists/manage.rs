//! Managing the account's lists once they exist (made by import or upload): all lists,
//! one list with its columns and their Standard Field Names, rename, delete, and the
//! members paged by email. The other list services find their list through
//! [`require_list`] here, so "not this account's list" is answered one way.

use super::ListError;
use crate::{
    AppState,
    domain::field_usage::FieldUsage,
    store::{
        AccountId, FieldUsageRepo, List, ListColumn, ListId, ListRepo, Member, MemberRepo,
        ScheduleRepo,
    },
};

/// The most members one page may hold.
pub const MAX_PAGE: u64 = 1_000;
/// Members per page when the caller does not say.
pub const DEFAULT_PAGE: u64 = 100;

/// A list with its columns and the usage each column has in the account.
#[derive(Debug, Clone)]
pub struct ListDetail {
    /// The list (with its member count and status).
    pub list: List,
    /// Its columns in order, each with its Standard Field Name when it has one.
    pub columns: Vec<(ListColumn, Option<String>)>,
}

/// One page of members and the cursor of the next.
#[derive(Debug, Clone)]
pub struct MemberPage {
    /// Members in email order.
    pub members: Vec<Member>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

/// The account's list `id`, or [`ListError::NotFound`].
pub async fn require_list(
    state: &AppState,
    account: AccountId,
    id: ListId,
) -> Result<List, ListError> {
    ListRepo
        .get(state.store.conn(), account, id)
        .await?
        .ok_or(ListError::NotFound(id))
}

/// Every list of the account, newest first, with member counts.
pub async fn all(state: &AppState, account: AccountId) -> Result<Vec<List>, ListError> {
    Ok(ListRepo.all(state.store.conn(), account).await?)
}

/// One list with its columns and their usages.
pub async fn detail(
    state: &AppState,
    account: AccountId,
    id: ListId,
) -> Result<ListDetail, ListError> {
    let list = require_list(state, account, id).await?;
    let columns = ListRepo.columns(state.store.conn(), id).await?;
    detail_of(state, account, list, columns).await
}

/// The detail of a list as already read: a list just created is answered as it was
/// created (`importing`, no members), even when a fast import has finished before the
/// answer is written.
pub async fn detail_of(
    state: &AppState,
    account: AccountId,
    list: List,
    columns: Vec<ListColumn>,
) -> Result<ListDetail, ListError> {
    let usages = FieldUsageRepo.all(state.store.conn(), account).await?;
    Ok(ListDetail {
        list,
        columns: with_usages(columns, &usages),
    })
}

/// Pairs each column with its account-wide usage (column names match case-insensitively).
pub fn with_usages(
    columns: Vec<ListColumn>,
    usages: &[FieldUsage],
) -> Vec<(ListColumn, Option<String>)> {
    columns
        .into_iter()
        .map(|c| {
            let usage = FieldUsage::of(usages, &c.name).map(|u| u.usage.clone());
            (c, usage)
        })
        .collect()
}

/// Renames a list; a name another list has is refused.
pub async fn rename(
    state: &AppState,
    account: AccountId,
    id: ListId,
    name: &str,
) -> Result<List, ListError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ListError::Invalid {
            field: "name",
            message: "must not be empty".into(),
        });
    }
    let db = state.store.conn();
    if !ListRepo
        .rename(db, account, id, name, state.clock.now())
        .await?
    {
        return Err(ListError::NotFound(id));
    }
    require_list(state, account, id).await
}

/// Deletes a list with its members, columns, segments and runs.
pub async fn delete(state: &AppState, account: AccountId, id: ListId) -> Result<(), ListError> {
    let db = state.store.conn();
    if ListRepo.delete(db, account, id).await? {
        // Its (and its segments') schedules go too, freeing their places.
        ScheduleRepo.remove_orphans(db, account).await?;
        tracing::info!(list = %id, "list deleted");
        Ok(())
    } else {
        Err(ListError::NotFound(id))
    }
}

/// A page of members in email order after `after`, optionally only emails containing
/// `search`.
pub async fn members(
    state: &AppState,
    account: AccountId,
    id: ListId,
    search: Option<&str>,
    after: Option<&str>,
    limit: Option<u64>,
) -> Result<MemberPage, ListError> {
    require_list(state, account, id).await?;
    let limit = page_limit(limit)?;
    let search = search.map(str::trim).filter(|s| !s.is_empty());
    let mut members = MemberRepo
        .page_by_email(state.store.conn(), id, search, after, limit + 1)
        .await?;
    let next = if members.len() as u64 > limit {
        members.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        members.last().map(|m| m.email.clone())
    } else {
        None
    };
    Ok(MemberPage { members, next })
}

/// The page of members just before `before` in email order (what a *Previous* link
/// shows, over the same email cursor as [`members`]), optionally only emails containing
/// `search`.
#[derive(Debug, Clone)]
pub struct MemberPageBefore {
    /// Members in email order.
    pub members: Vec<Member>,
    /// Whether more members come before the first of this page.
    pub more_before: bool,
}

/// The members just before `before` in email order, at most `limit`, optionally only
/// emails containing `search`.
pub async fn members_before(
    state: &AppState,
    account: AccountId,
    id: ListId,
    search: Option<&str>,
    before: &str,
    limit: Option<u64>,
) -> Result<MemberPageBefore, ListError> {
    require_list(state, account, id).await?;
    let limit = page_limit(limit)?;
    let search = search.map(str::trim).filter(|s| !s.is_empty());
    let mut members = MemberRepo
        .page_before_email(state.store.conn(), id, search, before, limit + 1)
        .await?;
    let more_before = members.len() as u64 > limit;
    if more_before {
        members.remove(0);
    }
    Ok(MemberPageBefore {
        members,
        more_before,
    })
}

/// Checks a requested page size.
pub fn page_limit(limit: Option<u64>) -> Result<u64, ListError> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(ListError::Invalid {
            field: "limit",
            message: format!("{n} is out of range: use 1 to {MAX_PAGE}"),
        }),
    }
}
