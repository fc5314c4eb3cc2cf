//! Reading an uploaded CSV file row by row, never holding the file in memory.
//!
//! Accepts UTF-8 with or without a byte-order mark, comma, semicolon or tab delimiters
//! (sniffed from the header line), and quoted fields with embedded delimiters, quotes
//! and newlines. Each data row either becomes an [`UploadRow`] or a [`RejectedRow`] that
//! names its line and the reason; a bad row never stops the rest of the file.

use std::{
    cell::{Cell, RefCell},
    collections::{HashSet, VecDeque},
    io::{BufRead, BufReader, Read},
    rc::Rc,
};

use crate::domain::email::MemberEmail;

/// One accepted row: its email and the values of the other columns, in header order.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadRow {
    /// 1-based line where the row starts in the file.
    pub line: u64,
    /// The row's normalised email.
    pub email: MemberEmail,
    /// `(column, value)` for the non-email columns that have a value, trimmed, in
    /// header order. Blank cells and the columns a short row lacks are left out: a
    /// member stores only what it has, so a wide, sparse file costs its values, not
    /// its rows times its columns.
    pub values: Vec<(String, String)>,
}

/// A row that was not accepted, as the upload report shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RejectedRow {
    /// 1-based line where the row starts in the file.
    pub line: u64,
    /// Why it was rejected.
    pub reason: String,
}

/// The outcome of one data row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOutcome {
    /// Usable row.
    Accepted(UploadRow),
    /// Rejected row.
    Rejected(RejectedRow),
}

/// The header as understood: column names and which one holds the email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvLayout {
    /// Column names as in the file (trimmed).
    pub columns: Vec<String>,
    /// Index of the email column.
    pub email_index: usize,
    /// The delimiter found.
    pub delimiter: u8,
}

/// Problems with the file as a whole (row problems are [`RejectedRow`]s).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Nothing to read.
    #[error("the file is empty: the first line must name the columns")]
    Empty,
    /// No email column.
    #[error("no email column: expected a column named {expected}; the header has {found}")]
    NoEmailColumn {
        /// What was looked for.
        expected: String,
        /// The header's columns.
        found: String,
    },
    /// Two columns share a name.
    #[error("the header names the column '{0}' twice")]
    DuplicateColumn(String),
    /// The header has more columns than a list may have: every column is a list column,
    /// so a wide header would make every member and every page of the list costly.
    #[error(
        "the file has {found} columns; at most {limit} are accepted (remove the columns you do not need)"
    )]
    TooManyColumns {
        /// The most columns accepted, [`MAX_COLUMNS`].
        limit: usize,
        /// How many the header has.
        found: usize,
    },
    /// The header is not text.
    #[error("the header line is not valid UTF-8 text")]
    HeaderNotUtf8,
    /// A row that never ends within the limit: almost always a quote opened and never
    /// closed, which would make the rest of the file one field.
    #[error(
        "the row starting at line {line} is longer than {} MiB; is a quote (\") opened there and never closed? The rows before it were read",
        MAX_ROW_BYTES / (1024 * 1024)
    )]
    RowTooLong {
        /// 1-based line where the row starts.
        line: u64,
    },
    /// Reading the body failed.
    #[error("reading the upload failed: {0}")]
    Io(#[from] std::io::Error),
    /// The consumer of rows failed (e.g. the database).
    #[error("{0}")]
    Sink(String),
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The most columns a file may have, the email column included; refused before any row
/// is read.
pub const MAX_COLUMNS: usize = 500;

/// The longest row read: beyond it the upload stops instead of holding the row (and,
/// after an unclosed quote, the rest of the file) in memory.
pub const MAX_ROW_BYTES: u64 = 1024 * 1024;

/// Marks the read error raised when a row passes [`MAX_ROW_BYTES`].
#[derive(Debug)]
struct RowTooLongMarker;

impl std::fmt::Display for RowTooLongMarker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("row too long")
    }
}

impl std::error::Error for RowTooLongMarker {}

/// Counts the bytes the CSV parser pulls since the last complete row and refuses to
/// read more once a row has passed [`MAX_ROW_BYTES`]. The parser buffers a little ahead,
/// so the count runs at most a buffer past the row itself. Also shows every byte to
/// [`LineStarts`].
struct RowBudget<R> {
    inner: R,
    since_row: Rc<Cell<u64>>,
    lines: Rc<RefCell<LineStarts>>,
}

impl<R: Read> Read for RowBudget<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.since_row.get() > MAX_ROW_BYTES {
            return Err(std::io::Error::other(RowTooLongMarker));
        }
        let n = self.inner.read(buf)?;
        self.since_row.set(self.since_row.get() + n as u64);
        self.lines.borrow_mut().feed(&buf[..n]);
        Ok(n)
    }
}

/// The file's line numbers, which the CSV parser's own positions do not give: a row's
/// position there starts before the blank lines it skipped and, in a CRLF file, before
/// the previous row's `\n`. This keeps, for the bytes read ahead of the rows handed
/// out, where each run of line breaks ends and how many line breaks came before it,
/// so a row that starts at byte `s` is on the line of the first run end at or after `s`.
#[derive(Debug, Default)]
struct LineStarts {
    /// `(offset of the first byte after a run of line breaks, line breaks before it)`, in order.
    starts: VecDeque<(u64, u64)>,
    /// Bytes seen.
    offset: u64,
    /// Line breaks seen: `\n`, `\r\n` and a lone `\r` (which the CSV parser also
    /// ends a row with) each count once.
    newlines: u64,
    /// Whether the last byte seen was `\r` or `\n`.
    in_break: bool,
    /// Whether the last byte seen was `\r` (a `\n` right after it ends the same line).
    after_cr: bool,
}

impl LineStarts {
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let is_break = b == b'\n' || b == b'\r';
            if self.in_break && !is_break {
                self.starts.push_back((self.offset, self.newlines));
            }
            self.in_break = is_break;
            if b == b'\r' || (b == b'\n' && !self.after_cr) {
                self.newlines += 1;
            }
            self.after_cr = b == b'\r';
            self.offset += 1;
        }
    }

    /// The 1-based line of a row whose parsing starts at byte `start`, if it was seen;
    /// forgets the line breaks before it.
    fn line_of_row_at(&mut self, start: u64) -> Option<u64> {
        while self.starts.front().is_some_and(|&(at, _)| at < start) {
            self.starts.pop_front();
        }
        self.starts.front().map(|&(_, before)| before + 1)
    }
}
const EMAIL_NAMES: [&str; 4] = ["email", "e-mail", "email address", "e-mail address"];

/// Picks the delimiter that occurs most often outside quotes in the header line.
fn sniff_delimiter(header: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in header {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for c in counts.iter_mut() {
                if c.0 == b {
                    c.1 += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|c| c.1)
        .map(|c| c.0)
        .filter(|_| counts.iter().any(|c| c.1 > 0))
        .unwrap_or(b',')
}

/// Skips a byte-order mark and sniffs the delimiter from the header line.
fn open<R: Read>(reader: R) -> Result<(BufReader<R>, u8), UploadError> {
    let mut buffered = BufReader::with_capacity(64 * 1024, reader);
    if buffered.fill_buf()?.starts_with(BOM) {
        buffered.consume(BOM.len());
    }
    let delimiter = sniff_delimiter(
        buffered
            .fill_buf()?
            .split(|&b| b == b'\n')
            .next()
            .unwrap_or_default(),
    );
    Ok((buffered, delimiter))
}

/// The CSV parser every reading of an upload uses, over a reader that counts the bytes
/// of the current row and the file's lines.
fn csv_reader<R: Read>(reader: R, delimiter: u8) -> Tracked<R> {
    let since_row = Rc::new(Cell::new(0));
    let lines = Rc::new(RefCell::new(LineStarts::default()));
    let csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(RowBudget {
            inner: reader,
            since_row: since_row.clone(),
            lines: lines.clone(),
        });
    Tracked {
        csv,
        since_row,
        lines,
    }
}

/// A CSV parser with the byte count of its current row and the file's line numbers.
struct Tracked<R> {
    csv: csv::Reader<RowBudget<R>>,
    since_row: Rc<Cell<u64>>,
    lines: Rc<RefCell<LineStarts>>,
}

impl<R: Read> Tracked<R> {
    /// Reads the next row into `record`; returns the line it starts at (meaningful when
    /// a row was read, or for the error of a row).
    fn next_row(&mut self, record: &mut csv::ByteRecord) -> (u64, Result<bool, csv::Error>) {
        let start = self.csv.position().clone();
        let read = self.csv.read_byte_record(record);
        let line = self
            .lines
            .borrow_mut()
            .line_of_row_at(start.byte())
            .unwrap_or(start.line());
        (line, read)
    }
}

/// Reads the header line: the column names (trimmed), refusing an empty header, one
/// that is not text, one with more than [`MAX_COLUMNS`] columns and one that names a
/// column twice (in any ASCII case).
fn read_header<R: Read>(
    csv: &mut Tracked<R>,
    record: &mut csv::ByteRecord,
) -> Result<Vec<String>, UploadError> {
    let read = csv.csv.read_byte_record(record);
    csv.since_row.set(0);
    if !read.map_err(|e| csv_io(e, 1))? {
        return Err(UploadError::Empty);
    }
    if record.len() > MAX_COLUMNS {
        return Err(UploadError::TooManyColumns {
            limit: MAX_COLUMNS,
            found: record.len(),
        });
    }
    let columns = record
        .iter()
        .map(|f| std::str::from_utf8(f).map(|s| s.trim().to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| UploadError::HeaderNotUtf8)?;
    if columns.iter().all(String::is_empty) {
        return Err(UploadError::Empty);
    }
    let mut seen = HashSet::with_capacity(columns.len());
    for c in &columns {
        if !seen.insert(c.to_ascii_lowercase()) {
            return Err(UploadError::DuplicateColumn(c.clone()));
        }
    }
    Ok(columns)
}

/// The index of the email column among `columns`: the one named `email_column` (any
/// case), or when `None` the one called Email, E-mail or Email Address (any case).
fn find_email_column(columns: &[String], email_column: Option<&str>) -> Result<usize, UploadError> {
    match email_column {
        Some(name) => columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name.trim())),
        None => columns
            .iter()
            .position(|c| EMAIL_NAMES.contains(&c.to_lowercase().as_str())),
    }
    .ok_or_else(|| UploadError::NoEmailColumn {
        expected: email_column.map_or_else(
            || "Email (or E-mail, Email Address)".to_string(),
            |n| format!("'{n}'"),
        ),
        found: columns
            .iter()
            .map(|c| format!("'{c}'"))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The start of a file as an upload would read it, for showing before uploading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvPreview {
    /// Column names as in the file (trimmed).
    pub columns: Vec<String>,
    /// The delimiter found.
    pub delimiter: u8,
    /// The column an upload that names none would take as the email, if any.
    pub email_index: Option<usize>,
    /// The first data rows (blank lines skipped), cells as text.
    pub rows: Vec<PreviewRow>,
}

/// One data row of a [`CsvPreview`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    /// 1-based line where the row starts in the file.
    pub line: u64,
    /// Its cells as read (invalid UTF-8 shown with replacement characters).
    pub cells: Vec<String>,
}

/// Reads the header and up to `max_rows` rows of `head`, the start of a file, with the
/// upload's own reader (byte-order mark, delimiter, header checks), so what is shown
/// is what an upload would do. When `head` is not the `whole` file, a row that runs to
/// its end may be cut and is left out. A bad header gives the upload's error.
pub fn preview(head: &[u8], whole: bool, max_rows: usize) -> Result<CsvPreview, UploadError> {
    let (buffered, delimiter) = open(head)?;
    let bom = if head.starts_with(BOM) { BOM.len() } else { 0 };
    let remaining = (head.len() - bom) as u64;
    let mut csv = csv_reader(buffered, delimiter);
    let mut record = csv::ByteRecord::new();
    let columns = read_header(&mut csv, &mut record)?;
    let email_index = find_email_column(&columns, None).ok();
    let mut rows = Vec::new();
    while rows.len() < max_rows {
        match csv.next_row(&mut record) {
            (line, Ok(true)) => {
                csv.since_row.set(0);
                if !whole && csv.csv.position().byte() >= remaining {
                    break; // may be cut where the head ends
                }
                if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                    continue;
                }
                let cells = record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect();
                rows.push(PreviewRow { line, cells });
            }
            (_, Ok(false) | Err(_)) => break,
        }
    }
    Ok(CsvPreview {
        columns,
        delimiter,
        email_index,
        rows,
    })
}

/// Reads a CSV upload, calling `sink` for every data row in order.
///
/// `email_column` names the email column; when `None`, a column called Email, E-mail or
/// Email Address (any case) is used. Returns the layout found.
pub fn read_upload<R: Read>(
    reader: R,
    email_column: Option<&str>,
    sink: impl FnMut(RowOutcome) -> Result<(), String>,
) -> Result<CsvLayout, UploadError> {
    read_upload_with_header(reader, email_column, |_| Ok(()), sink)
}

/// Like [`read_upload`], but hands the header to `on_header` before the first row, so a
/// consumer can prepare (or refuse) the columns before any row arrives.
pub fn read_upload_with_header<R: Read>(
    reader: R,
    email_column: Option<&str>,
    on_header: impl FnOnce(&CsvLayout) -> Result<(), String>,
    mut sink: impl FnMut(RowOutcome) -> Result<(), String>,
) -> Result<CsvLayout, UploadError> {
    let (buffered, delimiter) = open(reader)?;
    let mut csv = csv_reader(buffered, delimiter);
    let mut record = csv::ByteRecord::new();
    let columns = read_header(&mut csv, &mut record)?;
    let email_index = find_email_column(&columns, email_column)?;
    let layout = CsvLayout {
        columns,
        email_index,
        delimiter,
    };
    on_header(&layout).map_err(UploadError::Sink)?;

    loop {
        match csv.next_row(&mut record) {
            (_, Ok(false)) => break,
            (line, Ok(true)) => {
                csv.since_row.set(0);
                if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                    continue; // blank line
                }
                let outcome = row_outcome(&layout, &record, line);
                sink(outcome).map_err(UploadError::Sink)?;
            }
            (line, Err(e)) => match e.into_kind() {
                csv::ErrorKind::Io(io) if is_row_too_long(&io) => {
                    return Err(UploadError::RowTooLong { line });
                }
                csv::ErrorKind::Io(io) => return Err(UploadError::Io(io)),
                other => {
                    let reason = format!("unreadable row: {other:?}");
                    sink(RowOutcome::Rejected(RejectedRow { line, reason }))
                        .map_err(UploadError::Sink)?;
                }
            },
        }
    }
    Ok(layout)
}

fn is_row_too_long(io: &std::io::Error) -> bool {
    io.get_ref().is_some_and(|e| e.is::<RowTooLongMarker>())
}

fn csv_io(e: csv::Error, line: u64) -> UploadError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) if is_row_too_long(&io) => UploadError::RowTooLong { line },
        csv::ErrorKind::Io(io) => UploadError::Io(io),
        other => UploadError::Sink(format!("unreadable CSV: {other:?}")),
    }
}

fn row_outcome(layout: &CsvLayout, record: &csv::ByteRecord, line: u64) -> RowOutcome {
    let reject = |reason: String| RowOutcome::Rejected(RejectedRow { line, reason });
    if record.len() > layout.columns.len() {
        return reject(format!(
            "the row has {} columns but the header has {}",
            record.len(),
            layout.columns.len()
        ));
    }
    let mut email = None;
    let mut values = Vec::new();
    for (i, column) in layout.columns.iter().enumerate() {
        let raw = record.get(i).unwrap_or_default();
        let Ok(text) = std::str::from_utf8(raw) else {
            return reject(format!(
                "the value in column '{column}' is not valid UTF-8 text"
            ));
        };
        if i == layout.email_index {
            email = Some(text);
        } else {
            let trimmed = text.trim();
            // A blank cell, or one under a nameless column (which the list does not
            // get), stores nothing.
            if !trimmed.is_empty() && !column.is_empty() {
                values.push((column.clone(), trimmed.to_string()));
            }
        }
    }
    match MemberEmail::parse(email.unwrap_or_default()) {
        Ok(email) => RowOutcome::Accepted(UploadRow {
            line,
            email,
            values,
        }),
        Err(e) => reject(e.to_string()),
    }
}

#[cfg(test)]
mod tests;
