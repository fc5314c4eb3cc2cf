//! `GET /segments/{id}`: the segment's members, computed from its list now by the
//! same service as `GET /v1/segments/{id}/members`, paged forward by member id.

use serde::Deserialize;

use super::head::{SegmentHead, SegmentPath, SegmentTab};
use crate::console::prelude::*;
use crate::{
    console::list_page::head::fail,
    lists::{manage, segments},
    store::MemberId,
};

/// Members shown per page.
const PAGE: u64 = 50;

/// One member's row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The member page's URL on the list.
    pub href: String,
    /// The member's email.
    pub email: String,
    /// The member's values in column order ("" when blank).
    pub cells: Vec<String>,
}

/// The members page of a segment.
#[derive(Template)]
#[template(path = "console/segment_members.html")]
struct MembersPage {
    layout: Layout,
    segment: SegmentHead,
    notice: &'static str,
    columns: Vec<String>,
    rows: Vec<Row>,
    next: Option<String>,
    first_page: bool,
}

/// What the members page is asked for.
#[derive(Debug, Deserialize)]
pub struct MembersQuery {
    /// Members after this member id (the *Next* cursor).
    after: Option<String>,
    /// The notice to show.
    done: Option<String>,
}

/// `GET /segments/{id}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    SegmentPath(id): SegmentPath,
    Query(query): Query<MembersQuery>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let (segment, detail) =
        SegmentHead::load_detail(&state, account, id, SegmentTab::Members).await?;
    // A cursor that is not a member id starts from the first page.
    let after: Option<MemberId> = query.after.as_deref().and_then(|a| a.parse().ok());
    let page = segments::members(&state, account, id, after, Some(PAGE))
        .await
        .map_err(fail)?;
    let list = manage::detail(&state, account, detail.segment.list_id)
        .await
        .map_err(fail)?;
    let columns: Vec<String> = list.columns.into_iter().map(|(c, _)| c.name).collect();
    let rows = page
        .members
        .iter()
        .map(|m| Row {
            href: format!("/lists/{}/members/{}", m.list_id, m.id),
            email: m.email.clone(),
            cells: columns
                .iter()
                .map(|c| m.values.get(c).cloned().flatten().unwrap_or_default())
                .collect(),
        })
        .collect();
    let notice = match query.done.as_deref() {
        Some("created") => {
            "Segment saved. These are its members now; it follows every change to the list."
        }
        Some("saved") => "Segment saved.",
        _ => "",
    };
    MembersPage {
        layout: Layout::new(&viewer, Section::Lists),
        segment,
        notice,
        columns,
        rows,
        next: page.next.map(|n| n.to_string()),
        first_page: after.is_none(),
    }
    .respond(StatusCode::OK)
}
