//! `POST /lists/upload/preview`: the first 64 KiB of the chosen file (sent by
//! `console.js`, never the whole file) → the first rows, the delimiter found, the email
//! column picker and the Standard Field Names mapping, as an HTML fragment placed into
//! the upload form. Read with the upload's own reader
//! ([`crate::lists::upload::parse::preview`]), so what is shown is what the upload does.

use axum::{body::Body, http::HeaderMap};
use futures::StreamExt;

use crate::console::prelude::*;
use crate::{
    domain::field_usage::{FieldUsage, SystemUsage},
    error::ApiError,
    field_usages,
    lists::{ListError, upload::parse},
};

/// How much of the file the preview reads (what `console.js` sends).
pub const PREVIEW_BYTES: usize = 64 * 1024;
/// Data rows shown.
const PREVIEW_ROWS: usize = 5;
/// The longest cell shown, in characters (the rest is cut with an ellipsis).
const MAX_CELL_CHARS: usize = 200;
/// The header `console.js` sends with the whole file's size.
const FILE_SIZE_HEADER: &str = "x-file-size";

/// One Standard Field Name a column can be mapped to.
#[derive(Debug, Clone)]
pub struct UsageOption {
    /// The stored name (the option's value), e.g. `business_city`.
    pub value: &'static str,
    /// Its name as the product shows it, e.g. "Business City".
    pub label: &'static str,
}

/// One column of the mapping and the usage selected for it ("" for none).
#[derive(Debug, Clone)]
pub struct MappingRow {
    /// The column as in the file.
    pub column: String,
    /// The selected usage's value.
    pub usage: String,
}

/// One data row shown.
#[derive(Debug, Clone)]
pub struct ShownRow {
    /// The line it starts at in the file.
    pub line: u64,
    /// Its cells, cut to a readable length.
    pub cells: Vec<String>,
}

/// What the preview shows: either the header's problem or the rows and pickers.
#[derive(Debug, Clone, Default)]
pub struct PreviewView {
    /// Why the file cannot be uploaded as it is ("" when the header is fine), in the
    /// words the upload would use.
    pub problem: String,
    /// The delimiter in words: comma, semicolon or tab.
    pub delimiter: &'static str,
    /// The columns as in the file.
    pub columns: Vec<String>,
    /// The first rows.
    pub rows: Vec<ShownRow>,
    /// The email column selected ("" when none was found or chosen).
    pub email_column: String,
    /// The mapping of the other columns.
    pub mapping: Vec<MappingRow>,
    /// Every Standard Field Name, in the product's order.
    pub usages: Vec<UsageOption>,
}

/// Choices already made (when the form comes back after a failed upload).
#[derive(Debug, Clone, Default)]
pub struct Chosen {
    /// The email column chosen ("" for none).
    pub email_column: String,
    /// `(column, usage)` as chosen ("" for not mapped).
    pub mapping: Vec<(String, String)>,
}

/// The fragment `console.js` places into the form.
#[derive(Template)]
#[template(path = "console/upload_preview.html")]
struct PreviewFragment {
    preview: PreviewView,
    errors: FieldErrors,
}

/// The delimiter in words.
fn delimiter_name(delimiter: u8) -> &'static str {
    match delimiter {
        b';' => "semicolon",
        b'\t' => "tab",
        _ => "comma",
    }
}

/// Every Standard Field Name with its label.
pub fn usage_options() -> Vec<UsageOption> {
    SystemUsage::names()
        .into_iter()
        .filter_map(|value| {
            SystemUsage::parse(value).map(|u| UsageOption {
                value,
                label: u.standard_column(),
            })
        })
        .collect()
}

/// `text` cut to at most `max` characters, marked with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// Builds the preview of `head` (the start of the file; `whole` when it is all of
/// it): the email column as the upload would pick it (or as `chosen`), and each other
/// column's usage from the account's Standard Field Names `saved` (or as `chosen`).
pub fn build(
    head: &[u8],
    whole: bool,
    saved: &[FieldUsage],
    chosen: Option<&Chosen>,
) -> PreviewView {
    let found = match parse::preview(head, whole, PREVIEW_ROWS) {
        Ok(found) => found,
        Err(e) => {
            let api: ApiError = ListError::Upload(e).into();
            return PreviewView {
                problem: api.message().to_string(),
                ..PreviewView::default()
            };
        }
    };
    let named = |name: &str| {
        found
            .columns
            .iter()
            .find(|c| c.eq_ignore_ascii_case(name.trim()))
            .cloned()
    };
    let email_column = match chosen {
        Some(chosen) if !chosen.email_column.trim().is_empty() => named(&chosen.email_column),
        Some(_) => None,
        None => found
            .email_index
            .and_then(|i| found.columns.get(i).cloned()),
    }
    .unwrap_or_default();
    let mapping = found
        .columns
        .iter()
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case(&email_column))
        .map(|column| {
            let usage = match chosen {
                Some(chosen) => chosen
                    .mapping
                    .iter()
                    .find(|(c, _)| c.eq_ignore_ascii_case(column))
                    .map(|(_, u)| u.clone())
                    .unwrap_or_default(),
                None => saved
                    .iter()
                    .find(|u| u.column.eq_ignore_ascii_case(column))
                    .map(|u| u.usage.clone())
                    .unwrap_or_default(),
            };
            MappingRow {
                column: column.clone(),
                usage,
            }
        })
        .collect();
    let width = found.columns.len();
    let rows = found
        .rows
        .into_iter()
        .map(|row| {
            let mut cells: Vec<String> =
                row.cells.iter().map(|c| clip(c, MAX_CELL_CHARS)).collect();
            if cells.len() < width {
                cells.resize(width, String::new());
            }
            ShownRow {
                line: row.line,
                cells,
            }
        })
        .collect();
    PreviewView {
        problem: String::new(),
        delimiter: delimiter_name(found.delimiter),
        columns: found.columns,
        rows,
        email_column,
        mapping,
        usages: usage_options(),
    }
}

/// Reads at most `limit` bytes of a body; says whether more followed.
async fn read_head(body: Body, limit: usize) -> Result<(Vec<u8>, bool), axum::Error> {
    let mut stream = body.into_data_stream();
    let mut head = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        let room = limit - head.len();
        if chunk.len() > room {
            head.extend_from_slice(&chunk[..room]);
            return Ok((head, true));
        }
        head.extend_from_slice(&chunk);
    }
    Ok((head, false))
}

/// `POST /lists/upload/preview`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ConsoleError> {
    let saved = field_usages::all(&state, viewer.account_id())
        .await
        .map_err(ConsoleError::service)?;
    let preview = match read_head(body, PREVIEW_BYTES).await {
        Ok((head, more)) => {
            let size = headers
                .get(FILE_SIZE_HEADER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let whole =
                !more && size.map_or(head.len() < PREVIEW_BYTES, |size| size <= head.len() as u64);
            build(&head, whole, &saved, None)
        }
        Err(_) => PreviewView {
            problem: "The start of the file could not be read; you can still upload it.".into(),
            ..PreviewView::default()
        },
    };
    let fragment = PreviewFragment {
        preview,
        errors: FieldErrors::none(),
    };
    fragment.respond(StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_names_are_preselected_and_the_email_column_is_left_out_of_the_mapping() {
        let saved = vec![FieldUsage {
            column: "town".into(),
            usage: "business_city".into(),
        }];
        let view = build(b"Name,Email,Town\nAnn,a@x.com,Paris\n", true, &saved, None);
        assert_eq!(view.delimiter, "comma");
        assert_eq!(view.email_column, "Email");
        let mapped: Vec<(&str, &str)> = view
            .mapping
            .iter()
            .map(|m| (m.column.as_str(), m.usage.as_str()))
            .collect();
        assert_eq!(mapped, [("Name", ""), ("Town", "business_city")]);
        assert_eq!(view.rows[0].cells, ["Ann", "a@x.com", "Paris"]);
        assert!(view.usages.iter().any(|u| u.label == "Business City"));
    }

    #[test]
    fn choices_made_win_over_saved_names() {
        let chosen = Chosen {
            email_column: "mail".into(),
            mapping: vec![("Town".into(), String::new())],
        };
        let saved = vec![FieldUsage {
            column: "Town".into(),
            usage: "business_city".into(),
        }];
        let view = build(b"Mail;Town\n", true, &saved, Some(&chosen));
        assert_eq!(view.email_column, "Mail");
        assert_eq!(view.mapping[0].usage, "");
    }

    #[test]
    fn a_bad_header_gives_the_uploads_message() {
        let view = build(b"Email,EMAIL\n", true, &[], None);
        assert_eq!(view.problem, "the header names the column 'EMAIL' twice");
    }
}
