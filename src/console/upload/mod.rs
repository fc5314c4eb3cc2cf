//! *Upload CSV*: choose a file, see its first rows and the delimiter found, pick the
//! email column and map columns to Standard Field Names, upload, then read the result.
//!
//! - `GET /lists/upload`: the form. Choosing a file makes `console.js` post its first
//!   64 KiB to `POST /lists/upload/preview` ([`preview`]), which fills in the rows and
//!   the pickers.
//! - `POST /lists/upload?csrf=…`: the form as `multipart/form-data`; the browser
//!   streams the file from disk, the server streams it to a temporary file
//!   ([`spool`]) and from there into the same upload service as the JSON API
//!   ([`crate::lists::upload::upload`]). Errors come back beside their field with what
//!   was typed kept; success redirects to the result ([`result`]).

mod preview;
mod result;
mod spool;

use std::collections::BTreeMap;

use axum::{
    Router,
    extract::{DefaultBodyLimit, Multipart, multipart::MultipartRejection},
    routing::{get, post},
};
use tokio_util::io::ReaderStream;

use super::error::urlencode;
use crate::console::prelude::*;
use crate::{
    error::ApiError,
    field_usages,
    lists::{
        ListError,
        upload::{self, MAX_UPLOAD_BYTES, UploadRequest, parse::UploadError},
    },
    store::StoreError,
};
use preview::{Chosen, PreviewView};
use spool::{Received, SpoolError, UploadFields};

/// Bytes read from the temporary file at a time while uploading.
const READ_CHUNK: usize = 64 * 1024;

/// `GET/POST /lists/upload`, `POST /lists/upload/preview`, and the result pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/lists/upload",
            get(show)
                .post(receive)
                // The file is streamed to disk under its own cap (MAX_UPLOAD_BYTES).
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/lists/upload/preview", post(preview::show))
        .merge(result::routes())
}

/// The upload form.
#[derive(Template)]
#[template(path = "console/upload.html")]
struct UploadPage {
    layout: Layout,
    /// The form's action, carrying the CSRF token (multipart bodies are not read ahead).
    action: String,
    name: String,
    errors: FieldErrors,
    /// The preview of the file sent, when the form comes back after an error.
    preview_view: Option<PreviewView>,
    /// The size limit in MiB, for the hint.
    limit_mib: u64,
}

impl UploadPage {
    fn new(viewer: &Viewer) -> Self {
        let layout = Layout::new(viewer, Section::Lists);
        UploadPage {
            action: format!("/lists/upload?csrf={}", urlencode(&layout.csrf)),
            layout,
            name: String::new(),
            errors: FieldErrors::none(),
            preview_view: None,
            limit_mib: MAX_UPLOAD_BYTES / (1024 * 1024),
        }
    }
}

/// `GET /lists/upload`.
async fn show(viewer: Viewer) -> Result<Response, ConsoleError> {
    UploadPage::new(&viewer).respond(StatusCode::OK)
}

/// The control an upload failure is about.
fn field_of(err: &ListError) -> &'static str {
    match err {
        ListError::Invalid { field: "name", .. }
        | ListError::Store(StoreError::Duplicate { .. }) => "name",
        ListError::Invalid {
            field: "mapping", ..
        }
        | ListError::FieldUsage(_) => "mapping",
        ListError::Upload(UploadError::NoEmailColumn { .. }) => "email_column",
        _ => "file",
    }
}

/// `POST /lists/upload?csrf=…`.
async fn receive(
    State(state): State<AppState>,
    viewer: Viewer,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ConsoleError> {
    let received = match multipart {
        Ok(multipart) => spool::receive(multipart).await,
        Err(rejection) => Received {
            error: Some(SpoolError::Unreadable(rejection.body_text())),
            ..Received::default()
        },
    };
    let Received {
        fields,
        file,
        error,
    } = received;
    if let Some(error) = error {
        let (status, message) = match error {
            SpoolError::TooLarge => {
                let api: ApiError = ListError::TooLarge {
                    limit_mib: MAX_UPLOAD_BYTES / (1024 * 1024),
                }
                .into();
                (api.status(), api.message().to_string())
            }
            SpoolError::Disk(e) => return Err(ConsoleError::internal(&e)),
            unreadable @ SpoolError::Unreadable(_) => {
                (StatusCode::BAD_REQUEST, unreadable.to_string())
            }
        };
        return again(
            &state,
            &viewer,
            fields,
            None,
            FieldErrors::on("file", message),
            status,
        )
        .await;
    }
    let Some(file) = file else {
        return again(
            &state,
            &viewer,
            fields,
            None,
            FieldErrors::on("file", "Choose a CSV file to upload."),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let email_column = fields.email_column.trim().to_string();
    let mapping: BTreeMap<String, String> = fields
        .mapping()
        .into_iter()
        .filter(|(column, usage)| {
            !usage.trim().is_empty() && !column.trim().eq_ignore_ascii_case(&email_column)
        })
        .collect();
    let request = UploadRequest {
        name: fields.name.clone(),
        email_column: (!email_column.is_empty()).then(|| email_column.clone()),
        mapping,
    };
    let opened = tokio::fs::File::open(file.path())
        .await
        .map_err(|e| ConsoleError::internal(&e))?;
    let body = ReaderStream::with_capacity(opened, READ_CHUNK);
    match upload::upload(&state, viewer.account_id(), request, body).await {
        Ok(outcome) => {
            Ok(Redirect::to(&format!("/lists/{}/upload-result", outcome.list.id)).into_response())
        }
        Err(err) => {
            let field = field_of(&err);
            let api: ApiError = err.into();
            if api.status().is_server_error() {
                return Err(api.into());
            }
            let errors = FieldErrors::on(field, api.message());
            again(&state, &viewer, fields, Some(&file), errors, api.status()).await
        }
    }
    // `file` is dropped here, which removes the temporary file.
}

/// The form again with what was typed, the message(s), and the preview of the file
/// sent with the choices made (the person must choose the file again: browsers never
/// refill a file input).
async fn again(
    state: &AppState,
    viewer: &Viewer,
    fields: UploadFields,
    file: Option<&spool::SpooledFile>,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let mut page = UploadPage::new(viewer);
    if let Some(file) = file {
        let saved = field_usages::all(state, viewer.account_id())
            .await
            .map_err(ConsoleError::service)?;
        let (head, whole) = file
            .head(preview::PREVIEW_BYTES)
            .await
            .map_err(|e| ConsoleError::internal(&e))?;
        let chosen = Chosen {
            email_column: fields.email_column.clone(),
            mapping: fields.mapping(),
        };
        let view = preview::build(&head, whole, &saved, Some(&chosen));
        // A header problem is already beside the file input.
        if view.problem.is_empty() {
            page.preview_view = Some(view);
        }
    }
    if errors.get("email_column").len() + errors.get("mapping").len() > 0
        && page.preview_view.is_none()
    {
        // No pickers to show the message beside: put it beside the file.
        let message = format!("{}{}", errors.get("email_column"), errors.get("mapping"));
        page.errors = FieldErrors::on("file", message);
    } else {
        page.errors = errors;
    }
    page.name = fields.name;
    page.respond(status)
}
