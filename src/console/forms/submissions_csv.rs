//! `GET /forms/{id}/submissions.csv`: every submission of a form (of one status when
//! filtered), newest first, streamed a page at a time: time, email, status, outcome,
//! CRM record, the CRM's words, then one column per declared field.

use axum::{
    body::{Body, Bytes},
    http::{HeaderValue, header},
};
use serde::Deserialize;

use crate::console::csv_download::CsvPiece;
use crate::console::prelude::*;

use super::owned;
use crate::store::{AccountId, FormId, Submission, SubmissionId, SubmissionStatus};

/// Submissions read per page of the download.
const DOWNLOAD_PAGE: u64 = 500;

/// `?status=`.
#[derive(Deserialize)]
pub struct CsvQuery {
    #[serde(default)]
    status: String,
}

/// The CSV rows of `subs` (with the header when `header`), fields in `columns` order.
fn csv_bytes(subs: &[Submission], columns: &[String], header: bool) -> Result<Bytes, csv::Error> {
    let mut piece = CsvPiece::new();
    if header {
        let fixed = [
            "submitted_at",
            "email",
            "status",
            "action",
            "crm_entity",
            "crm_key",
            "error",
        ];
        // The form's own fields are named after it, so its `email` field does not
        // read as a second copy of the submission's email column.
        let own = columns.iter().map(|c| format!("field:{c}"));
        piece.row(fixed.iter().map(|s| s.to_string()).chain(own))?;
    }
    for s in subs {
        let fixed = [
            s.created_at.to_rfc3339(),
            s.email.clone(),
            s.status.as_str().to_string(),
            s.action.map(|a| a.as_str().to_string()).unwrap_or_default(),
            s.crm
                .as_ref()
                .map(|c| c.entity.as_str().to_string())
                .unwrap_or_default(),
            s.crm.as_ref().map(|c| c.key.clone()).unwrap_or_default(),
            s.error.clone().unwrap_or_default(),
        ];
        let own = columns
            .iter()
            .map(|c| s.fields.get(c).cloned().unwrap_or_default());
        piece.row(fixed.into_iter().chain(own))?;
    }
    piece.finish()
}

/// Where the download has come to.
struct Cursor {
    state: AppState,
    account: AccountId,
    form: FormId,
    status: Option<SubmissionStatus>,
    columns: Vec<String>,
    before: Option<SubmissionId>,
    header: bool,
    done: bool,
}

async fn next_page(mut c: Cursor) -> Option<(Result<Bytes, std::io::Error>, Cursor)> {
    if c.done {
        return None;
    }
    let page = crate::forms::list_submissions(
        &c.state,
        c.account,
        c.form,
        c.status,
        c.before,
        DOWNLOAD_PAGE,
    )
    .await;
    match page {
        Ok(subs) => {
            c.done = (subs.len() as u64) < DOWNLOAD_PAGE;
            c.before = subs.last().map(|s| s.id);
            let header = std::mem::replace(&mut c.header, false);
            if subs.is_empty() && !header {
                return None;
            }
            Some((
                csv_bytes(&subs, &c.columns, header).map_err(std::io::Error::other),
                c,
            ))
        }
        Err(e) => {
            tracing::error!(form = %c.form, error = %e, "reading submissions for a download failed");
            c.done = true;
            Some((Err(std::io::Error::other(e.to_string())), c))
        }
    }
}

/// `GET /forms/{id}/submissions.csv`.
pub async fn download(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Query(q): Query<CsvQuery>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let form = owned(&state, account, &raw).await?;
    let cursor = Cursor {
        state,
        account,
        form: form.id,
        status: SubmissionStatus::parse(q.status.trim()),
        columns: form
            .settings
            .fields
            .iter()
            .map(|f| f.name.clone())
            .collect(),
        before: None,
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
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"submissions.csv\""),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn rows_quote_what_needs_it() {
        let mut fields = BTreeMap::new();
        fields.insert("company".to_string(), "Acme, \"Inc\"".to_string());
        let s = Submission::new(
            SubmissionId::from(uuid::Uuid::nil()),
            AccountId(uuid::Uuid::nil()),
            FormId::from(uuid::Uuid::nil()),
            "a@example.com".into(),
            fields,
            chrono::DateTime::UNIX_EPOCH,
        );
        let text = csv_bytes(&[s], &["company".to_string()], true).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        assert!(text.starts_with(
            "submitted_at,email,status,action,crm_entity,crm_key,error,field:company\r\n"
        ));
        assert!(
            text.contains("a@example.com,queued,,,,,\"Acme, \"\"Inc\"\"\""),
            "{text}"
        );
    }
}
