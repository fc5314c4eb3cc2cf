//! Parsing uploaded CSV files: headers, rows, and the problems reported per row.

use super::*;

fn run(input: &str) -> (CsvLayout, Vec<RowOutcome>) {
    let mut rows = Vec::new();
    let layout = read_upload(input.as_bytes(), None, |r| {
        rows.push(r);
        Ok(())
    })
    .unwrap();
    (layout, rows)
}

fn accepted(rows: &[RowOutcome]) -> Vec<&UploadRow> {
    rows.iter()
        .filter_map(|r| {
            if let RowOutcome::Accepted(a) = r {
                Some(a)
            } else {
                None
            }
        })
        .collect()
}

fn rejected(rows: &[RowOutcome]) -> Vec<&RejectedRow> {
    rows.iter()
        .filter_map(|r| {
            if let RowOutcome::Rejected(a) = r {
                Some(a)
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn bom_semicolons_and_quotes() {
    let input =
        "\u{feff}Email;First Name;Note\nann@x.com;Ann;\"a;b\"\"c\"\n\"bo@x.com\";\"Bo\nBo\";\n";
    let (layout, rows) = run(input);
    assert_eq!(layout.delimiter, b';');
    assert_eq!(layout.columns, ["Email", "First Name", "Note"]);
    let ok = accepted(&rows);
    assert_eq!(ok.len(), 2);
    assert_eq!(ok[0].values[1], ("Note".into(), "a;b\"c".into()));
    assert_eq!(ok[1].values, [("First Name".into(), "Bo\nBo".into())]);
    assert_eq!(ok[1].line, 3);
}

#[test]
fn tabs_and_quoted_commas() {
    let (layout, rows) = run("email\tcity\nA@X.COM\t\"Paris, FR\"\n");
    assert_eq!(layout.delimiter, b'\t');
    assert_eq!(accepted(&rows)[0].email.as_str(), "a@x.com");
    let (_, rows) = run("Email,City\nann@x.com,\"Paris, FR\"\n");
    assert_eq!(accepted(&rows)[0].values[0].1, "Paris, FR");
}

#[test]
fn bad_rows_are_reported_by_line_and_good_rows_kept() {
    let input = "Email,Name\nok@x.com,A\nnot-an-email,B\n,C\nok2@x.com,D,EXTRA\nok3@x.com\n";
    let (_, rows) = run(input);
    let bad = rejected(&rows);
    assert_eq!(bad.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 4, 5]);
    assert!(bad[0].reason.contains("not-an-email"), "{}", bad[0].reason);
    assert_eq!(bad[1].reason, "the email is empty");
    assert!(bad[2].reason.contains("3 columns but the header has 2"));
    let good = accepted(&rows);
    assert_eq!(
        good.iter().map(|r| r.email.as_str()).collect::<Vec<_>>(),
        ["ok@x.com", "ok3@x.com"]
    );
    assert!(good[1].values.is_empty(), "a short row stores no blanks");
}

#[test]
fn header_problems() {
    assert!(matches!(
        read_upload("".as_bytes(), None, |_| Ok(())),
        Err(UploadError::Empty)
    ));
    let err = read_upload("Name,City\n".as_bytes(), None, |_| Ok(())).unwrap_err();
    assert!(err.to_string().contains("'Name', 'City'"), "{err}");
    assert!(
        read_upload(
            "Mail,City\nm@x.com,P\n".as_bytes(),
            Some("mail"),
            |_| Ok(())
        )
        .is_ok()
    );
    assert!(matches!(
        read_upload("Email,email\n".as_bytes(), None, |_| Ok(())),
        Err(UploadError::DuplicateColumn(_))
    ));
}

/// A header of `n` columns: Email, then c1, c2, ….
fn wide_header(n: usize) -> String {
    std::iter::once("Email".to_string())
        .chain((1..n).map(|i| format!("c{i}")))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn more_than_500_columns_are_refused_before_any_row() {
    let input = format!("{}\nann@x.com\n", wide_header(MAX_COLUMNS + 1));
    let mut header_seen = false;
    let mut rows = 0;
    let err = read_upload_with_header(
        input.as_bytes(),
        None,
        |_| {
            header_seen = true;
            Ok(())
        },
        |_| {
            rows += 1;
            Ok(())
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            UploadError::TooManyColumns {
                limit: 500,
                found: 501
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("500") && message.contains("501"),
        "{message}"
    );
    assert!(!header_seen && rows == 0, "nothing handed on");
    assert_eq!(
        preview(input.as_bytes(), true, 5).unwrap_err().to_string(),
        message,
        "the preview says the same"
    );
    let (layout, rows) = run(&format!("{}\nann@x.com\n", wide_header(MAX_COLUMNS)));
    assert_eq!(layout.columns.len(), MAX_COLUMNS);
    assert_eq!(accepted(&rows).len(), 1);
}

#[test]
fn a_sparse_row_keeps_only_its_values() {
    let (_, rows) = run("Email,A,B,,C\nann@x.com,, 1 ,x,\nbo@x.com\n");
    let ok = accepted(&rows);
    assert_eq!(
        ok[0].values,
        [("B".to_string(), "1".to_string())],
        "blanks and the nameless column store nothing"
    );
    assert!(ok[1].values.is_empty());
}

#[test]
fn duplicate_columns_are_found_in_any_case_in_a_wide_header() {
    let mut header = wide_header(MAX_COLUMNS - 1);
    header.push_str(",C7");
    let err = read_upload(header.as_bytes(), None, |_| Ok(())).unwrap_err();
    assert_eq!(err.to_string(), "the header names the column 'C7' twice");
}

#[test]
fn invalid_utf8_rejects_the_row_only() {
    let mut input = b"Email,Name\nok@x.com,".to_vec();
    input.extend_from_slice(b"\xff\xfe\nok2@x.com,B\n");
    let mut rows = Vec::new();
    read_upload(&input[..], None, |r| {
        rows.push(r);
        Ok(())
    })
    .unwrap();
    assert_eq!(rejected(&rows).len(), 1);
    assert_eq!(accepted(&rows).len(), 1);
}

#[test]
fn an_unclosed_quote_stops_the_upload_at_its_row_instead_of_swallowing_the_file() {
    let mut input = b"Email,Name\nfirst@x.com,A\nsecond@x.com,\"never closed\n".to_vec();
    for i in 0..100_000 {
        input.extend_from_slice(format!("later{i}@x.com,Somebody\n").as_bytes());
    }
    assert!(input.len() as u64 > 2 * MAX_ROW_BYTES);
    let mut rows = Vec::new();
    let err = read_upload(&input[..], None, |r| {
        rows.push(r);
        Ok(())
    })
    .unwrap_err();
    assert!(
        matches!(err, UploadError::RowTooLong { line: 3 }),
        "{err:?}"
    );
    assert!(err.to_string().contains("line 3"), "{err}");
    assert_eq!(accepted(&rows).len(), 1, "the rows before it were read");
}

#[test]
fn long_files_of_ordinary_rows_are_not_mistaken_for_a_long_row() {
    let mut input = b"Email,Name\n".to_vec();
    for i in 0..100_000 {
        input.extend_from_slice(format!("person{i}@x.com,\"Some, Body\"\n").as_bytes());
    }
    assert!(input.len() as u64 > 2 * MAX_ROW_BYTES);
    let mut count = 0;
    read_upload(&input[..], None, |_| {
        count += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(count, 100_000);
}

#[test]
fn preview_reads_like_the_upload_and_leaves_out_a_cut_last_row() {
    let head = "\u{feff}Name;E-mail\nAnn;ann@x.com\n\nBo;\"bo@x.com\"\nCy;cy@x";
    let cut = preview(head.as_bytes(), false, 5).unwrap();
    assert_eq!(cut.delimiter, b';');
    assert_eq!(cut.columns, ["Name", "E-mail"]);
    assert_eq!(cut.email_index, Some(1));
    assert_eq!(
        cut.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        [2, 4],
        "the blank line is skipped and the cut row left out"
    );
    assert_eq!(cut.rows[1].cells, ["Bo", "bo@x.com"]);
    let whole = preview(head.as_bytes(), true, 5).unwrap();
    assert_eq!(whole.rows.len(), 3);
    assert_eq!(preview(head.as_bytes(), true, 1).unwrap().rows.len(), 1);
}

#[test]
fn preview_gives_the_uploads_header_errors() {
    let upload = read_upload("Email,email\n".as_bytes(), None, |_| Ok(())).unwrap_err();
    let shown = preview(b"Email,email\n", true, 5).unwrap_err();
    assert_eq!(upload.to_string(), shown.to_string());
    assert!(matches!(preview(b"", true, 5), Err(UploadError::Empty)));
    assert_eq!(preview(b"Name,City\n", true, 5).unwrap().email_index, None);
}

#[test]
fn lines_are_those_of_the_file_with_crlf_blank_lines_and_quoted_newlines() {
    let input = "Email,Name\r\nok@x.com,A\r\nbad1,B\r\n\r\n\r\nbad2,\"two\r\nlines\"\r\nbad3,C";
    let (_, rows) = run(input);
    assert_eq!(
        rejected(&rows).iter().map(|r| r.line).collect::<Vec<_>>(),
        [3, 6, 8]
    );
    assert_eq!(accepted(&rows)[0].line, 2);
    let (_, rows) = run("Email\n\n\nbad1\n\nbad2\n");
    assert_eq!(
        rejected(&rows).iter().map(|r| r.line).collect::<Vec<_>>(),
        [4, 6]
    );
    let shown = preview(input.as_bytes(), true, 5).unwrap();
    assert_eq!(
        shown.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        [2, 3, 6, 8]
    );
}
