//! How the console says things that appear on many pages: numbers, counts, dates,
//! list kinds and service messages as sentences, so a list is called the same and a date looks the same everywhere.

use chrono::{DateTime, Utc};

use crate::store::ListKind;

/// A service message (lower-case, no full stop, as the API words it) as a sentence on
/// a page: a capital first letter and a full stop unless it ends with one already.
pub fn sentence(message: &str) -> String {
    let message = message.trim();
    let mut chars = message.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// A whole number with thousands separators: `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "1 member", "12,345 members".
pub fn count(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// A date and time: `3 Dec 2026, 10:15 UTC`.
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// A list's kind: where its members came from.
pub fn list_kind(kind: ListKind) -> &'static str {
    match kind {
        ListKind::CrmLead => "Imported leads",
        ListKind::CrmContact => "Imported contacts",
        ListKind::Uploaded => "Uploaded",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_messages_read_as_sentences() {
        assert_eq!(
            sentence("the CRM maintains 'CreateDate' itself"),
            "The CRM maintains 'CreateDate' itself."
        );
        assert_eq!(
            sentence("'Upload' is an uploaded list."),
            "'Upload' is an uploaded list."
        );
        assert_eq!(sentence("Done!"), "Done!");
        assert_eq!(sentence("  "), "");
    }

    #[test]
    fn numbers_counts_and_dates() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-12_345), "-12,345");
        assert_eq!(count(1, "member", "members"), "1 member");
        assert_eq!(count(0, "member", "members"), "0 members");
        assert_eq!(count(100_000, "member", "members"), "100,000 members");
        let at = DateTime::parse_from_rfc3339("2026-12-03T10:05:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap();
        assert_eq!(when(at), "3 Dec 2026, 10:05 UTC");
    }
}
