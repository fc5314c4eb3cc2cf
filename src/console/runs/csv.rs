//! `GET /runs/{id}/records.csv`: every record of a run's report (of one outcome with
//! `?outcome=`, as the page's filter), in the order they happened, streamed a page at a
//! time: number, outcome, email, CRM record, field, what happened in the CRM's words,
//! and the values (old → new, a conflict's two sides). Cells a spreadsheet would run
//! as formulas are defused (a CRM's words or a member's value are not ours to trust).

use axum::{
    body::{Body, Bytes},
    http::{HeaderValue, header},
};
use serde::Deserialize;

use super::{record::RecordRow, report::run_id};
use crate::console::csv_download::CsvPiece;
use crate::console::prelude::*;
use crate::{
    runs::{self, RecordsQuery, RunError},
    store::{AccountId, RunId},
};

/// Records read per page of the download (the service's largest page).
const DOWNLOAD_PAGE: u64 = 1000;

/// `?outcome=`.
#[derive(Debug, Deserialize)]
pub struct CsvQuery {
    outcome: Option<String>,
}

/// The CSV rows of `rows` (with the header when `header`).
fn csv_bytes(rows: &[RecordRow], header: bool) -> Result<Bytes, csv::Error> {
    let mut piece = CsvPiece::new();
    if header {
        piece.row([
            "seq",
            "outcome",
            "email",
            "crm_record",
            "field",
            "detail",
            "values",
        ])?;
    }
    for r in rows {
        piece.row([
            r.seq.to_string(),
            r.outcome.clone(),
            r.email.clone(),
            r.crm.clone(),
            r.field.clone(),
            r.detail.clone(),
            r.values_line(),
        ])?;
    }
    piece.finish()
}

/// Where the download has come to.
struct Cursor {
    state: AppState,
    account: AccountId,
    run: RunId,
    outcome: Option<String>,
    after: Option<i64>,
    header: bool,
    done: bool,
}

async fn next_page(mut c: Cursor) -> Option<(Result<Bytes, std::io::Error>, Cursor)> {
    if c.done {
        return None;
    }
    let query = RecordsQuery {
        outcome: c.outcome.clone(),
        after: c.after,
        limit: Some(DOWNLOAD_PAGE),
    };
    match runs::records(&c.state, c.account, c.run, &query).await {
        Ok(page) => {
            c.done = page.next.is_none();
            c.after = page.next;
            let header = std::mem::replace(&mut c.header, false);
            if page.records.is_empty() && !header {
                return None;
            }
            let rows: Vec<RecordRow> = page.records.iter().map(RecordRow::new).collect();
            Some((csv_bytes(&rows, header).map_err(std::io::Error::other), c))
        }
        Err(e) => {
            tracing::error!(run = %c.run, error = %e, "reading run records for a download failed");
            c.done = true;
            Some((Err(std::io::Error::other(e.to_string())), c))
        }
    }
}

/// `GET /runs/{id}/records.csv`.
pub async fn download(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Query(q): Query<CsvQuery>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let id = run_id(&raw)?;
    // Another account's run is the 404 page before any byte is sent.
    match runs::report(&state, account, id).await {
        Ok(_) => {}
        Err(RunError::NotFound(_)) => {
            return Err(ConsoleError::NotFound(
                "This run was not found in your account.".into(),
            ));
        }
        Err(e) => return Err(ConsoleError::service(e)),
    }
    let outcome = q
        .outcome
        .filter(|o| !o.is_empty() && o.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    let filename = match &outcome {
        Some(o) => format!("attachment; filename=\"run-{id}-{o}.csv\""),
        None => format!("attachment; filename=\"run-{id}.csv\""),
    };
    let cursor = Cursor {
        state,
        account,
        run: id,
        outcome,
        after: None,
        header: true,
        done: false,
    };
    let mut response =
        Body::from_stream(futures::stream::unfold(cursor, next_page)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&filename) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::RunRecord;

    #[test]
    fn rows_carry_the_crm_words_and_defuse_formulas() {
        let record = RunRecord {
            seq: 3,
            outcome: "failed".into(),
            email: Some("ann@example.com".into()),
            crm_entity: Some("lead".into()),
            crm_key: Some("Q1".into()),
            field: None,
            detail: "=HYPERLINK(\"x\") refused".into(),
            data: Some(json!({ "Title": { "old": "CEO", "new": "CTO" } })),
        };
        let bytes = csv_bytes(&[RecordRow::new(&record)], true).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("seq,outcome,email,crm_record,field,detail,values\r\n"));
        assert!(
            text.contains("3,failed,ann@example.com,lead Q1,,\"'=HYPERLINK(\"\"x\"\") refused\",Title: CEO → CTO\r\n"),
            "{text}"
        );
    }
}
