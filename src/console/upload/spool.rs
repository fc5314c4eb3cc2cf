//! Receiving the upload form: the file part is streamed to a temporary file on disk
//! (never held in memory, capped at [`MAX_UPLOAD_BYTES`]) and the other fields are
//! collected whatever their order, so the upload service can then read the file as a
//! stream. The temporary file is removed when its [`SpooledFile`] is dropped, whatever
//! happened.

use std::path::{Path, PathBuf};

use axum::extract::multipart::{Field, Multipart};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::lists::upload::MAX_UPLOAD_BYTES;

/// The multipart field holding the file.
pub const FILE_FIELD: &str = "file";
/// The longest text field read, in bytes.
const MAX_TEXT_FIELD_BYTES: usize = 64 * 1024;
/// The most fields read (the mapping has two per column).
const MAX_FIELDS: usize = 10_000;

/// The form's fields besides the file, as typed.
#[derive(Debug, Clone, Default)]
pub struct UploadFields {
    /// The new list's name.
    pub name: String,
    /// The chosen email column ("" when none was chosen).
    pub email_column: String,
    /// `map_column` fields in order: the columns of the mapping.
    pub map_columns: Vec<String>,
    /// `map_usage` fields in order: the usage chosen for the column at the same place.
    pub map_usages: Vec<String>,
}

impl UploadFields {
    /// The mapping as chosen: `(column, usage)` in the form's order, "" for not mapped.
    pub fn mapping(&self) -> Vec<(String, String)> {
        self.map_columns
            .iter()
            .cloned()
            .zip(self.map_usages.iter().cloned())
            .collect()
    }
}

/// Why the form could not be received.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The file is larger than the upload accepts.
    #[error("the file is larger than the limit")]
    TooLarge,
    /// The request is not a well-formed upload form (or was cut off).
    #[error("the upload could not be read: {0}")]
    Unreadable(String),
    /// The temporary file could not be written.
    #[error("the upload could not be stored for reading: {0}")]
    Disk(#[from] std::io::Error),
}

/// What was received: the fields read (even when receiving failed later, so the form
/// keeps what was typed), the file if one was chosen, and any failure.
#[derive(Debug, Default)]
pub struct Received {
    /// The text fields.
    pub fields: UploadFields,
    /// The spooled file, when one was chosen.
    pub file: Option<SpooledFile>,
    /// Why receiving stopped early.
    pub error: Option<SpoolError>,
}

/// A temporary copy of an uploaded file; removed from disk when dropped.
#[derive(Debug)]
pub struct SpooledFile {
    path: PathBuf,
    /// Its size in bytes.
    pub len: u64,
}

impl SpooledFile {
    /// Creates an empty temporary file only this process's user can read.
    async fn create() -> Result<(Self, tokio::fs::File), std::io::Error> {
        let path = std::env::temp_dir().join(format!(
            "listbridge-upload-{}.csv",
            uuid::Uuid::new_v4().simple()
        ));
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let file = options.open(&path).await?;
        Ok((SpooledFile { path, len: 0 }, file))
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its first `limit` bytes, and whether they are the whole file.
    pub async fn head(&self, limit: usize) -> Result<(Vec<u8>, bool), std::io::Error> {
        let file = tokio::fs::File::open(&self.path).await?;
        let mut head = Vec::with_capacity(limit.min(usize::try_from(self.len).unwrap_or(limit)));
        file.take(limit as u64).read_to_end(&mut head).await?;
        let whole = head.len() as u64 >= self.len;
        Ok((head, whole))
    }
}

impl Drop for SpooledFile {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.path.display(), error = %e, "removing an upload's temporary file failed");
        }
    }
}

/// Reads the whole form: the file to disk, the rest into [`UploadFields`].
pub async fn receive(mut multipart: Multipart) -> Received {
    let mut received = Received::default();
    let mut count = 0usize;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                received.error = Some(SpoolError::Unreadable(e.body_text()));
                break;
            }
        };
        count += 1;
        if count > MAX_FIELDS {
            received.error = Some(SpoolError::Unreadable(
                "the form has too many fields".into(),
            ));
            break;
        }
        let name = field.name().unwrap_or_default().to_string();
        let step = if name == FILE_FIELD {
            receive_file(field, &mut received).await
        } else {
            read_text(field).await.map(|value| {
                let fields = &mut received.fields;
                match name.as_str() {
                    "name" => fields.name = value,
                    "email_column" => fields.email_column = value,
                    "map_column" => fields.map_columns.push(value),
                    "map_usage" => fields.map_usages.push(value),
                    _ => {}
                }
            })
        };
        if let Err(e) = step {
            received.error = Some(e);
            break;
        }
    }
    received
}

/// Streams the file part to disk. A part with no file name and no bytes is the
/// browser saying no file was chosen.
async fn receive_file(mut field: Field<'_>, received: &mut Received) -> Result<(), SpoolError> {
    if received.file.is_some() {
        return Err(SpoolError::Unreadable("choose one file at a time".into()));
    }
    let named = field.file_name().is_some_and(|n| !n.is_empty());
    let (mut spooled, mut out) = SpooledFile::create().await?;
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| SpoolError::Unreadable(e.body_text()))?
    {
        spooled.len += chunk.len() as u64;
        if spooled.len > MAX_UPLOAD_BYTES {
            return Err(SpoolError::TooLarge);
        }
        out.write_all(&chunk).await?;
    }
    out.flush().await?;
    drop(out);
    if named || spooled.len > 0 {
        received.file = Some(spooled);
    }
    Ok(())
}

/// A text field's value, refusing one longer than [`MAX_TEXT_FIELD_BYTES`].
async fn read_text(mut field: Field<'_>) -> Result<String, SpoolError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| SpoolError::Unreadable(e.body_text()))?
    {
        if bytes.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
            return Err(SpoolError::Unreadable(format!(
                "a form field is longer than {} KiB",
                MAX_TEXT_FIELD_BYTES / 1024
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_spooled_file_is_removed_when_dropped() {
        let (mut spooled, mut out) = SpooledFile::create().await.unwrap();
        out.write_all(b"Email\na@x.com\n").await.unwrap();
        out.flush().await.unwrap();
        spooled.len = 14;
        let path = spooled.path().to_path_buf();
        assert_eq!(spooled.head(5).await.unwrap(), (b"Email".to_vec(), false));
        assert!(spooled.head(64).await.unwrap().1);
        drop(spooled);
        assert!(!path.exists());
    }
}
