//! The console's CSV downloads (rejected upload rows, form submissions): RFC 4180 with
//! CRLF line ends, and every cell made safe to open in a spreadsheet. A value a visitor
//! or a CSV file supplied that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
//! would be run as a formula by Excel or LibreOffice (CSV injection); such a cell is
//! written with a leading `'`, which spreadsheets show as text and do not run.

use std::borrow::Cow;

use bytes::Bytes;

/// A CSV writer into memory, one piece of a streamed download at a time.
pub struct CsvPiece(csv::Writer<Vec<u8>>);

impl CsvPiece {
    /// An empty piece.
    pub fn new() -> Self {
        CsvPiece(
            csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(Vec::new()),
        )
    }

    /// Writes one row, each cell defused.
    pub fn row<I, S>(&mut self, cells: I) -> Result<(), csv::Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.0
            .write_record(cells.into_iter().map(|c| defuse(c.as_ref()).into_owned()))
    }

    /// The bytes written.
    pub fn finish(self) -> Result<Bytes, csv::Error> {
        self.0
            .into_inner()
            .map(Bytes::from)
            .map_err(|e| csv::Error::from(e.into_error()))
    }
}

impl Default for CsvPiece {
    fn default() -> Self {
        Self::new()
    }
}

/// `cell` as text a spreadsheet will not run as a formula.
pub fn defuse(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_rows_end_in_crlf() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("-1+2"), "'-1+2");
        assert_eq!(defuse("ann@example.com"), "ann@example.com");
        let mut piece = CsvPiece::new();
        piece.row(["line", "reason"]).unwrap();
        piece.row(["3", "=1+1, a formula"]).unwrap();
        let text = String::from_utf8(piece.finish().unwrap().to_vec()).unwrap();
        assert_eq!(text, "line,reason\r\n3,\"'=1+1, a formula\"\r\n");
    }
}
