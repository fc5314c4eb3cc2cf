//! Segments: saved filters over a list. Filters are checked against the list's columns
//! when saved; members are computed by streaming the list's members page by page through
//! the filter, never copied, so a segment is always current.

use super::{
    ListError,
    manage::{page_limit, require_list},
};
use crate::{
    AppState,
    domain::segment_filter::SegmentFilter,
    store::{
        AccountId, ListId, ListRepo, Member, MemberId, MemberRepo, NewSegment, ScheduleRepo,
        Segment, SegmentId, SegmentRepo, StoreError,
    },
};

/// Members read from the list per step while computing a segment.
const SCAN_PAGE: u64 = 500;

/// A segment with its filter parsed.
#[derive(Debug, Clone)]
pub struct SegmentDetail {
    /// The stored segment.
    pub segment: Segment,
    /// Its filter.
    pub filter: SegmentFilter,
}

/// One page of a segment's members.
#[derive(Debug, Clone)]
pub struct SegmentMembers {
    /// Matching members, in member-id order.
    pub members: Vec<Member>,
    /// Pass as `after` for the next page; `None` when the list has been read to its end.
    pub next: Option<MemberId>,
}

fn detail(segment: Segment) -> Result<SegmentDetail, ListError> {
    let filter = serde_json::from_str(&segment.filter).map_err(|e| {
        ListError::Store(StoreError::Corrupt {
            table: "segments",
            id: segment.id.as_db(),
            message: format!("filter: {e}"),
        })
    })?;
    Ok(SegmentDetail { segment, filter })
}

fn filter_json(filter: &SegmentFilter) -> Result<String, ListError> {
    serde_json::to_string(filter).map_err(|e| ListError::Invalid {
        field: "filter",
        message: e.to_string(),
    })
}

fn check_name(name: &str) -> Result<&str, ListError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ListError::Invalid {
            field: "name",
            message: "must not be empty".into(),
        });
    }
    Ok(name)
}

/// Checks a filter against the columns of its list.
async fn validate(state: &AppState, list: ListId, filter: &SegmentFilter) -> Result<(), ListError> {
    let columns = ListRepo.columns(state.store.conn(), list).await?;
    filter.validate(columns.iter().map(|c| c.name.as_str()))?;
    Ok(())
}

/// Saves a new segment of a list.
pub async fn create(
    state: &AppState,
    account: AccountId,
    list: ListId,
    name: &str,
    filter: &SegmentFilter,
) -> Result<SegmentDetail, ListError> {
    let name = check_name(name)?;
    require_list(state, account, list).await?;
    validate(state, list, filter).await?;
    let segment = SegmentRepo
        .create(
            state.store.conn(),
            NewSegment {
                id: state.random.uuid().into(),
                account_id: account,
                list_id: list,
                name: name.to_string(),
                filter: filter_json(filter)?,
            },
            state.clock.now(),
        )
        .await?;
    detail(segment)
}

/// The segments of a list.
pub async fn for_list(
    state: &AppState,
    account: AccountId,
    list: ListId,
) -> Result<Vec<SegmentDetail>, ListError> {
    require_list(state, account, list).await?;
    SegmentRepo
        .for_list(state.store.conn(), account, list)
        .await?
        .into_iter()
        .map(detail)
        .collect()
}

/// One segment.
pub async fn get(
    state: &AppState,
    account: AccountId,
    id: SegmentId,
) -> Result<SegmentDetail, ListError> {
    SegmentRepo
        .get(state.store.conn(), account, id)
        .await?
        .ok_or(ListError::SegmentNotFound(id))
        .and_then(detail)
}

/// Replaces a segment's name and filter.
pub async fn update(
    state: &AppState,
    account: AccountId,
    id: SegmentId,
    name: &str,
    filter: &SegmentFilter,
) -> Result<SegmentDetail, ListError> {
    let name = check_name(name)?;
    let current = get(state, account, id).await?;
    validate(state, current.segment.list_id, filter).await?;
    if !SegmentRepo
        .update(
            state.store.conn(),
            account,
            id,
            name,
            &filter_json(filter)?,
            state.clock.now(),
        )
        .await?
    {
        return Err(ListError::SegmentNotFound(id));
    }
    get(state, account, id).await
}

/// Deletes a segment.
pub async fn delete(state: &AppState, account: AccountId, id: SegmentId) -> Result<(), ListError> {
    let db = state.store.conn();
    if SegmentRepo.delete(db, account, id).await? {
        ScheduleRepo.remove_orphans(db, account).await?;
        Ok(())
    } else {
        Err(ListError::SegmentNotFound(id))
    }
}

/// A page of the segment's members after `after`, computed from the list.
pub async fn members(
    state: &AppState,
    account: AccountId,
    id: SegmentId,
    after: Option<MemberId>,
    limit: Option<u64>,
) -> Result<SegmentMembers, ListError> {
    let limit = usize::try_from(page_limit(limit)?).unwrap_or(usize::MAX);
    let SegmentDetail { segment, filter } = get(state, account, id).await?;
    let mut members = Vec::new();
    let next = scan(state, segment.list_id, after, |member| {
        if filter.matches(|column| lookup(member, column)) {
            members.push(member.clone());
        }
        members.len() < limit
    })
    .await?;
    Ok(SegmentMembers { members, next })
}

/// How many members of `list` a filter selects, as [`members`] would list them; the
/// filter is checked against the list's columns first, as when it is saved. For the
/// live count of a segment being built, before it is saved.
pub async fn count(
    state: &AppState,
    account: AccountId,
    list: ListId,
    filter: &SegmentFilter,
) -> Result<u64, ListError> {
    require_list(state, account, list).await?;
    validate(state, list, filter).await?;
    let mut matching = 0;
    scan(state, list, None, |member| {
        if filter.matches(|column| lookup(member, column)) {
            matching += 1;
        }
        true
    })
    .await?;
    Ok(matching)
}

/// The segments of a list with how many members each selects now, reading the list's
/// members once for all of them.
pub async fn for_list_with_counts(
    state: &AppState,
    account: AccountId,
    list: ListId,
) -> Result<Vec<(SegmentDetail, u64)>, ListError> {
    let all = for_list(state, account, list).await?;
    let mut counts = vec![0_u64; all.len()];
    if !all.is_empty() {
        scan(state, list, None, |member| {
            for (detail, n) in all.iter().zip(counts.iter_mut()) {
                if detail.filter.matches(|column| lookup(member, column)) {
                    *n += 1;
                }
            }
            true
        })
        .await?;
    }
    Ok(all.into_iter().zip(counts).collect())
}

/// Reads `list`'s members after `after` in member-id order, handing each to `visit`
/// until it answers `false`. Answers the id of the last member visited when stopped,
/// `None` when the list was read to its end.
async fn scan(
    state: &AppState,
    list: ListId,
    after: Option<MemberId>,
    mut visit: impl FnMut(&Member) -> bool,
) -> Result<Option<MemberId>, ListError> {
    let db = state.store.conn();
    let mut cursor = after;
    loop {
        let page = MemberRepo.page_by_id(db, list, cursor, SCAN_PAGE).await?;
        let exhausted = (page.len() as u64) < SCAN_PAGE;
        for member in &page {
            cursor = Some(member.id);
            if !visit(member) {
                return Ok(cursor);
            }
        }
        if exhausted {
            return Ok(None);
        }
    }
}

/// A member's value for a filter column: `email` is the member email, other names match
/// columns case-insensitively.
fn lookup<'m>(member: &'m Member, column: &str) -> Option<&'m str> {
    if column.eq_ignore_ascii_case("email") {
        return Some(member.email.as_str());
    }
    member
        .values
        .get(column)
        .or_else(|| {
            member
                .values
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(column))
                .map(|(_, v)| v)
        })
        .and_then(|v| v.as_deref())
}
