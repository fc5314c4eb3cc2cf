//! The members tab, `GET /lists/{id}`: the list's header, a search by email and the
//! members table (email and the list's columns) paged by the same email cursor as
//! `GET /v1/lists/{id}/members`, so a page of a 100,000-member list costs one indexed
//! range read, never an OFFSET or a COUNT. An htmx request (the search box, the pager)
//! gets the table alone; the same URL without htmx gets the whole page.

use axum::{
    http::{HeaderMap, HeaderValue, header},
    response::Html,
};
use serde::Deserialize;

use super::head::{ListHead, ListPath, Tab, fail, notice};
use crate::console::prelude::*;
use crate::{
    console::error::urlencode,
    lists::manage::{self, MemberPage},
    store::{ListColumn, Member},
};

/// What the members tab is asked for.
#[derive(Debug, Deserialize)]
pub struct MembersQuery {
    /// Only members whose email contains this text.
    search: Option<String>,
    /// Members after this email (the *Next* cursor).
    after: Option<String>,
    /// Members before this email (the *Previous* cursor).
    before: Option<String>,
    /// Members per page (the service's default when absent or not a number).
    limit: Option<String>,
    /// The notice to show.
    done: Option<String>,
}

/// A column heading of the table.
#[derive(Debug, Clone)]
pub struct ColumnHead {
    /// The column's name.
    pub name: String,
    /// Added but not filled until the next sync.
    pub pending: bool,
}

/// One member's row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The member page's URL.
    pub href: String,
    /// The member's email.
    pub email: String,
    /// The member's values, in column order ("" when blank).
    pub cells: Vec<String>,
    /// Opted out of email.
    pub opted_out: bool,
    /// The CRM rejected the member's last push.
    pub parked: bool,
}

/// The members table with its pager: the part an htmx request replaces.
#[derive(Debug, Clone)]
pub struct MembersTable {
    /// Column headings after Email.
    pub columns: Vec<ColumnHead>,
    /// This page's members.
    pub rows: Vec<Row>,
    /// What the table shows, in words.
    pub summary: String,
    /// The *Previous* page's URL.
    pub previous: Option<String>,
    /// The *Next* page's URL.
    pub next: Option<String>,
}

#[derive(Template)]
#[template(path = "console/list_page.html")]
struct MembersPage {
    layout: Layout,
    head: ListHead,
    notice: String,
    search: String,
    limit: Option<u64>,
    table: MembersTable,
}

#[derive(Template)]
#[template(path = "console/list_page_members.html")]
struct MembersFragment {
    table: MembersTable,
}

/// `GET /lists/{id}`: the list page, or its members table for htmx.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
    Query(query): Query<MembersQuery>,
    headers: HeaderMap,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let detail = manage::detail(&state, account, id).await.map_err(fail)?;
    let search = query.search.as_deref().map(str::trim).unwrap_or_default();
    let search_opt = Some(search).filter(|s| !s.is_empty());
    let limit = query
        .limit
        .as_deref()
        .and_then(|l| l.trim().parse::<u64>().ok());
    let page = load_page(&state, &viewer, id, search_opt, &query, limit).await?;

    let columns: Vec<ListColumn> = detail.columns.iter().map(|(c, _)| c.clone()).collect();
    let table = table(&id.to_string(), &columns, page, search_opt, limit);
    let fragment_only = is_htmx(&headers);
    let mut response = if fragment_only {
        Html(MembersFragment { table }.render()?).into_response()
    } else {
        let page = MembersPage {
            head: ListHead::load(&state, account, &detail.list, Tab::Members).await?,
            notice: notice(query.done.as_deref(), &detail.list),
            layout: Layout::new(&viewer, Section::Lists),
            search: search.to_string(),
            limit,
            table,
        };
        Html(page.render()?).into_response()
    };
    // The same URL answers with a fragment or a page: caches must tell them apart.
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("HX-Request"));
    Ok(response)
}

/// A page of members and where the pager leads, from the query's cursor.
struct Paged {
    members: Vec<Member>,
    /// The *Previous* cursor (`before`), or `Some("")` for the first page.
    previous: Option<String>,
    /// The *Next* cursor (`after`).
    next: Option<String>,
}

async fn load_page(
    state: &AppState,
    viewer: &Viewer,
    id: crate::store::ListId,
    search: Option<&str>,
    query: &MembersQuery,
    limit: Option<u64>,
) -> Result<Paged, ConsoleError> {
    let account = viewer.account_id();
    let before = query.before.as_deref().filter(|b| !b.is_empty());
    let after = query.after.as_deref().filter(|a| !a.is_empty());
    if let Some(before) = before {
        let back = manage::members_before(state, account, id, search, before, limit)
            .await
            .map_err(fail)?;
        if back.more_before {
            let previous = back.members.first().map(|m| m.email.clone());
            let next = back.members.last().map(|m| m.email.clone());
            return Ok(Paged {
                members: back.members,
                previous,
                next,
            });
        }
        // Back at the start: the first page, full.
        let first = manage::members(state, account, id, search, None, limit)
            .await
            .map_err(fail)?;
        return Ok(forward(first, false));
    }
    let page = manage::members(state, account, id, search, after, limit)
        .await
        .map_err(fail)?;
    Ok(forward(page, after.is_some()))
}

/// A page read forward; it has a *Previous* page when it did not start at the start.
fn forward(page: MemberPage, has_previous: bool) -> Paged {
    let previous = has_previous.then(|| {
        page.members
            .first()
            .map(|m| m.email.clone())
            // Past the end: back to the first page.
            .unwrap_or_default()
    });
    Paged {
        members: page.members,
        previous,
        next: page.next,
    }
}

fn table(
    list: &str,
    columns: &[ListColumn],
    page: Paged,
    search: Option<&str>,
    limit: Option<u64>,
) -> MembersTable {
    let rows: Vec<Row> = page
        .members
        .iter()
        .map(|m| Row {
            href: format!("/lists/{list}/members/{}", m.id),
            email: m.email.clone(),
            cells: columns
                .iter()
                .map(|c| m.values.get(&c.name).cloned().flatten().unwrap_or_default())
                .collect(),
            opted_out: m.opted_out,
            parked: m.parked.is_some(),
        })
        .collect();
    let summary = match (search, rows.len()) {
        (Some(s), 0) => format!("No member has an email containing “{s}”."),
        (None, 0) if page.previous.is_none() => "This list has no members yet.".to_string(),
        (None, 0) => "No more members.".to_string(),
        (Some(s), n) => format!(
            "Members whose email contains “{s}”: {} on this page, in email order.",
            n
        ),
        (None, n) => format!("{n} on this page, in email order."),
    };
    MembersTable {
        columns: columns
            .iter()
            .map(|c| ColumnHead {
                name: c.name.clone(),
                pending: c.pending,
            })
            .collect(),
        rows,
        summary,
        previous: page
            .previous
            .map(|before| page_url(list, search, "before", &before, limit)),
        next: page
            .next
            .map(|after| page_url(list, search, "after", &after, limit)),
    }
}

/// The URL of a page of members: the search, the cursor (none when empty) and the size.
fn page_url(
    list: &str,
    search: Option<&str>,
    cursor: &str,
    at: &str,
    limit: Option<u64>,
) -> String {
    let mut params = Vec::new();
    if let Some(search) = search {
        params.push(format!("search={}", urlencode(search)));
    }
    if !at.is_empty() {
        params.push(format!("{cursor}={}", urlencode(at)));
    }
    if let Some(limit) = limit {
        params.push(format!("limit={limit}"));
    }
    if params.is_empty() {
        format!("/lists/{list}")
    } else {
        format!("/lists/{list}?{}", params.join("&"))
    }
}

/// Whether htmx asked for a fragment (not a history restore, which wants the page).
fn is_htmx(headers: &HeaderMap) -> bool {
    let flag = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    };
    flag("hx-request") && !flag("hx-history-restore-request")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_carry_search_cursor_and_size() {
        assert_eq!(
            page_url("L", Some("a b&c"), "after", "x+y@z.com", Some(5)),
            "/lists/L?search=a+b%26c&after=x%2By%40z.com&limit=5"
        );
        assert_eq!(page_url("L", None, "before", "", None), "/lists/L");
    }

    #[test]
    fn history_restores_get_the_page() {
        let mut headers = HeaderMap::new();
        headers.insert("hx-request", HeaderValue::from_static("true"));
        assert!(is_htmx(&headers));
        headers.insert(
            "hx-history-restore-request",
            HeaderValue::from_static("true"),
        );
        assert!(!is_htmx(&headers));
    }
}
