//! After an upload: `GET /lists/{id}/upload-result` (how many rows became members, the
//! rejected rows by line and reason) and `GET /lists/{id}/rejected.csv` (every
//! rejected row as CSV, `line,reason`). Both read the report the upload service kept
//! ([`crate::lists::upload::report`]), so they work any time after the upload.

use crate::console::csv_download::CsvPiece;
use crate::console::prelude::*;
use axum::{
    Router,
    body::{Body, Bytes},
    http::{HeaderValue, header},
    routing::get,
};

use crate::{
    error::ApiError,
    lists::{
        ListError,
        upload::{self, parse::RejectedRow},
    },
    store::{AccountId, ListId},
};

/// Rejected rows read from the database per piece of the download.
const DOWNLOAD_PAGE: u64 = 5_000;

/// The result routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lists/{id}/upload-result", get(show))
        .route("/lists/{id}/rejected.csv", get(download))
}

/// The result page.
#[derive(Template)]
#[template(path = "console/upload_result.html")]
struct ResultPage {
    layout: Layout,
    list_id: String,
    list_name: String,
    accepted: u64,
    rejected: Vec<RejectedRow>,
    rejected_total: u64,
    /// Rejected rows the download holds (all, up to the stored cap).
    downloadable: u64,
}

/// The list id of a console URL; anything else is a page that does not exist.
fn list_id(raw: &str) -> Result<ListId, ConsoleError> {
    ListId::from_db(raw).ok_or_else(|| ConsoleError::NotFound(format!("list {raw}")))
}

fn console_error(err: ListError) -> ConsoleError {
    ApiError::from(err).into()
}

/// `GET /lists/{id}/upload-result`.
async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Response, ConsoleError> {
    let id = list_id(&raw)?;
    let report = upload::report::report(&state, viewer.account_id(), id)
        .await
        .map_err(console_error)?;
    let page = ResultPage {
        layout: Layout::new(&viewer, Section::Lists),
        list_id: report.list.id.to_string(),
        list_name: report.list.name,
        accepted: report.accepted,
        downloadable: report.rejected_total.min(upload::MAX_STORED_REJECTS),
        rejected: report.rejected,
        rejected_total: report.rejected_total,
    };
    page.respond(StatusCode::OK)
}

/// Rejected rows as CSV (RFC 4180: CRLF, quoted where needed), with the header when
/// `header` is set.
fn csv_bytes(rows: &[RejectedRow], header: bool) -> Result<Bytes, csv::Error> {
    let mut piece = CsvPiece::new();
    if header {
        piece.row(["line", "reason"])?;
    }
    for row in rows {
        piece.row([row.line.to_string().as_str(), row.reason.as_str()])?;
    }
    piece.finish()
}

/// A file name made of the list's name: letters, digits, `-` and `_` only.
fn file_name(list_name: &str) -> String {
    let base: String = list_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    let base = base.trim_matches('-');
    if base.is_empty() {
        "rejected-rows.csv".to_string()
    } else {
        format!("{base}-rejected-rows.csv")
    }
}

/// Where the download has come to.
struct Cursor {
    state: AppState,
    account: AccountId,
    id: ListId,
    after: u64,
    done: bool,
}

/// The rest of the rejected rows after the first page, a page at a time.
async fn next_page(mut cursor: Cursor) -> Option<(Result<Bytes, std::io::Error>, Cursor)> {
    if cursor.done {
        return None;
    }
    let page = upload::report::rejected_rows(
        &cursor.state,
        cursor.account,
        cursor.id,
        cursor.after,
        DOWNLOAD_PAGE,
    )
    .await;
    match page {
        Ok(rows) if rows.is_empty() => None,
        Ok(rows) => {
            cursor.done = (rows.len() as u64) < DOWNLOAD_PAGE;
            cursor.after = rows.last().map_or(cursor.after, |r| r.line);
            Some((
                csv_bytes(&rows, false).map_err(std::io::Error::other),
                cursor,
            ))
        }
        Err(e) => {
            tracing::error!(list = %cursor.id, error = %e, "reading rejected rows failed");
            cursor.done = true;
            Some((Err(std::io::Error::other(e.to_string())), cursor))
        }
    }
}

/// `GET /lists/{id}/rejected.csv`: every rejected row, streamed page by page.
async fn download(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Response, ConsoleError> {
    let id = list_id(&raw)?;
    let account = viewer.account_id();
    let report = upload::report::report(&state, account, id)
        .await
        .map_err(console_error)?;
    let first = csv_bytes(&report.rejected, true).map_err(|e| ConsoleError::internal(&e))?;
    let listed_all = report.rejected.len() as u64 >= report.rejected_total;
    let cursor = Cursor {
        state,
        account,
        id,
        after: report.rejected.last().map_or(0, |r| r.line),
        done: listed_all,
    };
    let rest = futures::stream::unfold(cursor, next_page);
    let stream = futures::StreamExt::chain(
        futures::stream::once(async move { Ok::<Bytes, std::io::Error>(first) }),
        rest,
    );
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}\"",
        file_name(&report.list.name)
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_rows_are_quoted_as_rfc_4180_says() {
        let rows = [RejectedRow {
            line: 7,
            reason: "'a,\"b' is not a valid email address".into(),
        }];
        let text = String::from_utf8(csv_bytes(&rows, true).unwrap().to_vec()).unwrap();
        assert_eq!(
            text,
            "line,reason\r\n7,\"'a,\"\"b' is not a valid email address\"\r\n"
        );
    }

    #[test]
    fn file_names_are_plain() {
        assert_eq!(
            file_name("Trade show: 2026"),
            "Trade-show--2026-rejected-rows.csv"
        );
        assert_eq!(file_name("\"<>\""), "rejected-rows.csv");
    }
}
