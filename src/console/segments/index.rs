//! `GET /lists/{id}/segments`: a list's segments with how many members each selects
//! now (the list read once for all of them), and *New segment*.

use serde::Deserialize;

use super::builder::list_head;
use crate::console::prelude::*;
use crate::{
    console::list_page::head::{ListHead, ListPath, fail},
    lists::segments,
};

/// One segment's row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The segment id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// "12 members".
    pub members: String,
    /// How many conditions, combined how, in words.
    pub conditions: String,
}

/// The segments tab.
#[derive(Template)]
#[template(path = "console/segments.html")]
struct SegmentsPage {
    layout: Layout,
    head: ListHead,
    notice: String,
    rows: Vec<Row>,
}

/// `?done=` after deleting a segment.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /lists/{id}/segments`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(list): ListPath,
    Query(done): Query<Done>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let head = list_head(&state, account, list).await?;
    let rows = segments::for_list_with_counts(&state, account, list)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|(detail, n)| Row {
            id: detail.segment.id.to_string(),
            name: detail.segment.name,
            members: words::count(i64::try_from(n).unwrap_or(i64::MAX), "member", "members"),
            conditions: match detail.filter.conditions.len() {
                0 => "every member".to_string(),
                1 => "1 condition".to_string(),
                n => format!(
                    "{n} conditions, {}",
                    match detail.filter.combine {
                        crate::domain::segment_filter::Combine::All => "all must match",
                        crate::domain::segment_filter::Combine::Any => "any may match",
                    }
                ),
            },
        })
        .collect();
    let notice = match done.done.as_deref() {
        Some("deleted") => "Segment deleted. The list and its members are unchanged.",
        _ => "",
    };
    SegmentsPage {
        layout: Layout::new(&viewer, Section::Lists),
        head,
        notice: notice.to_string(),
        rows,
    }
    .respond(StatusCode::OK)
}
