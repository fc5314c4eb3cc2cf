//! `GET/POST /segments/{id}/delete`: deleting a segment behind a confirmation page.
//! The list, its members and the CRM are untouched; the segment's schedule goes.

use super::head::{SegmentHead, SegmentPath, SegmentTab};
use crate::console::prelude::*;
use crate::{console::list_page::head::fail, lists::segments};

/// The confirmation page.
#[derive(Template)]
#[template(path = "console/segment_delete.html")]
struct ConfirmPage {
    layout: Layout,
    segment: SegmentHead,
}

/// `GET /segments/{id}/delete`: asks to confirm.
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    SegmentPath(id): SegmentPath,
) -> Result<Response, ConsoleError> {
    let segment = SegmentHead::load(&state, viewer.account_id(), id, SegmentTab::Edit).await?;
    ConfirmPage {
        layout: Layout::new(&viewer, Section::Lists),
        segment,
    }
    .respond(StatusCode::OK)
}

/// `POST /segments/{id}/delete`: deletes it and goes back to the list's segments.
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    SegmentPath(id): SegmentPath,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let segment = SegmentHead::load(&state, account, id, SegmentTab::Edit).await?;
    segments::delete(&state, account, id).await.map_err(fail)?;
    Ok(Redirect::to(&format!("/lists/{}/segments?done=deleted", segment.list_id)).into_response())
}
