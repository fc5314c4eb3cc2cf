//! Property tests of the CSV reader of uploads (and of its preview): whatever the bytes
//! (binary junk, broken quotes, stray byte-order marks, mixed delimiters and line
//! ends), reading answers rows or an error, never a panic, and hands out rows in file
//! order whose size is bounded by the file's: a row's outcome holds at most the header
//! (its column names) and its own values, so memory stays proportional to one row.

use listbridge::lists::upload::parse::{RowOutcome, preview, read_upload};
use proptest::{prelude::*, test_runner::Config};

/// Largest file tried.
const MAX_FILE: usize = 64 * 1024;

/// Bytes an outcome holds: its strings (column names, values, email, reason).
fn size_of(outcome: &RowOutcome) -> usize {
    match outcome {
        RowOutcome::Accepted(row) => {
            row.email.as_str().len()
                + row
                    .values
                    .iter()
                    .map(|(column, value)| column.len() + value.len())
                    .sum::<usize>()
        }
        RowOutcome::Rejected(rejected) => rejected.reason.len(),
    }
}

/// Reads `file` as an upload and as a preview (whole and cut); checks the rows.
fn read_all(file: &[u8]) -> Result<(), TestCaseError> {
    for email_column in [None, Some("Email")] {
        let mut lines = Vec::new();
        let mut largest = 0;
        let _ = read_upload(file, email_column, |outcome| {
            largest = largest.max(size_of(&outcome));
            lines.push(match &outcome {
                RowOutcome::Accepted(row) => row.line,
                RowOutcome::Rejected(rejected) => rejected.line,
            });
            Ok(())
        });
        // A reason names a column and a line; values and names come from the file.
        prop_assert!(
            largest <= 2 * file.len() + 1024,
            "a row of {largest} bytes from a {}-byte file",
            file.len()
        );
        prop_assert!(
            lines.windows(2).all(|w| w[0] < w[1]),
            "rows out of order: {lines:?}"
        );
    }
    for whole in [true, false] {
        if let Ok(shown) = preview(file, whole, 10) {
            prop_assert!(shown.rows.len() <= 10);
        }
    }
    Ok(())
}

/// A cell: plain text, quoted text with delimiters, quotes and line breaks inside, a
/// quote left open, non-ASCII, or an email.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ]{0,12}",
        "[a-z,;\t\"\r\n ]{0,12}".prop_map(|s| format!("\"{}\"", s.replace('"', "\"\""))),
        Just("\"open".to_string()),
        Just("é ü 漢".to_string()),
        "[a-z]{1,8}@[a-z]{1,8}\\.(com|org)",
        Just(String::new()),
    ]
}

/// A file with an Email column among others, rows of uneven length, any delimiter,
/// CRLF or LF line ends, blank lines, and maybe a byte-order mark.
fn csv_file() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec("[A-Za-z ]{0,10}", 0..8),
        0usize..8,
        prop::collection::vec(prop::collection::vec(cell(), 0..10), 0..40),
        prop_oneof![Just(","), Just(";"), Just("\t")],
        prop_oneof![Just("\n"), Just("\r\n"), Just("\n\n")],
        any::<bool>(),
    )
        .prop_map(|(mut columns, at, rows, delimiter, end, bom)| {
            columns.insert(at.min(columns.len()), "Email".to_string());
            let mut text = if bom {
                "\u{feff}".to_string()
            } else {
                String::new()
            };
            text.push_str(&columns.join(delimiter));
            for row in rows {
                text.push_str(end);
                text.push_str(&row.join(delimiter));
            }
            text.into_bytes()
        })
}

fn config() -> Config {
    Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..MAX_FILE)) {
        read_all(&bytes)?;
    }

    #[test]
    fn csv_shaped_files_never_panic_and_keep_rows_in_order(file in csv_file()) {
        read_all(&file)?;
    }

    #[test]
    fn a_header_then_arbitrary_bytes_never_panic(
        rest in prop::collection::vec(any::<u8>(), 0..4096),
    ) {
        let mut file = b"Email,Name,\"City\"\n".to_vec();
        file.extend_from_slice(&rest);
        read_all(&file)?;
    }
}
