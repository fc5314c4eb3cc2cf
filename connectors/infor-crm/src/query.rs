//! Safe `where` clauses. Every value goes through [`quote`], so a `'` in an email or a
//! name is data, never syntax; instants are explicit UTC `@…Z@` literals.

use chrono::{DateTime, Utc};
use listbridge_connector::Watermark;

use crate::{dates, endpoint::encode};

/// A string literal: `'Maxim''s'` (quotes doubled, the SData escape).
pub(crate) fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// An instant literal: `@2024-01-01T00:00:00Z@`.
pub(crate) fn instant(at: DateTime<Utc>) -> String {
    dates::where_literal(at)
}

/// Strictly after `since` in (ModifyDate, Id) order — the keyset clause of incremental reads.
pub(crate) fn after(since: &Watermark) -> String {
    let at = instant(since.modified);
    format!(
        "(ModifyDate gt {at} or (ModifyDate eq {at} and Id gt {}))",
        quote(&since.key)
    )
}

/// `expr in ('a','b')`.
pub(crate) fn in_list<'a>(expr: &str, values: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = values.into_iter().map(quote).collect();
    format!("{expr} in ({})", quoted.join(","))
}

/// Splits `values` into `expr in (…)` clauses whose percent-encoded length stays within
/// `budget` characters and that hold at most `max_items` values each, so every lookup
/// URL stays under the ~2000 characters servers and proxies accept. A single value that
/// alone exceeds the budget still gets its own clause (the server will judge it).
pub(crate) fn in_chunks(
    expr: &str,
    values: &[String],
    budget: usize,
    max_items: usize,
) -> Vec<(Vec<String>, String)> {
    let max_items = max_items.max(1);
    // Percent-encoding works character by character, so lengths add up exactly.
    let base = encode(&format!("{expr} in ()")).len();
    let separator = encode(",").len();
    let mut chunks = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut length = base;
    for value in values {
        let item = encode(&quote(value)).len();
        let grown = if current.is_empty() {
            length + item
        } else {
            length + separator + item
        };
        if !current.is_empty() && (grown > budget || current.len() >= max_items) {
            let done = std::mem::take(&mut current);
            let clause = in_list(expr, done.iter().map(String::as_str));
            chunks.push((done, clause));
            length = base + item;
        } else {
            length = grown;
        }
        current.push(value.clone());
    }
    if !current.is_empty() {
        let clause = in_list(expr, current.iter().map(String::as_str));
        chunks.push((current, clause));
    }
    chunks
}

/// Reads one SData string literal from the start of `clause`: its text and what follows.
/// Tests use it to prove a quoted value reads back as exactly one literal holding the
/// original text, whatever it contains.
#[cfg(test)]
pub(crate) fn read_literal(clause: &str) -> Option<(String, &str)> {
    let mut chars = clause.char_indices().peekable();
    if chars.next()?.1 != '\'' {
        return None;
    }
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().map(|(_, n)| *n) == Some('\'') {
                chars.next();
                out.push('\'');
            } else {
                return Some((out, &clause[i + 1..]));
            }
        } else {
            out.push(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_doubled_so_values_cannot_escape() {
        assert_eq!(quote("Maxim's"), "'Maxim''s'");
        assert_eq!(quote("x' or '1' eq '1"), "'x'' or ''1'' eq ''1'");
        assert_eq!(quote("''"), "''''''");
        assert_eq!(quote("plain"), "'plain'");
    }

    #[test]
    fn hostile_values_stay_one_literal() {
        for value in [
            "o'neil@x.com",
            "' or Id ne '",
            "a'')--",
            "'",
            "x' eq 'x",
            "tab\tnew\nline",
        ] {
            let quoted = quote(value);
            let (read, rest) = read_literal(&quoted).unwrap_or_default();
            assert_eq!(read, value);
            assert_eq!(rest, "", "nothing may follow the literal for {value:?}");
        }
    }

    #[test]
    fn keyset_clause() {
        let since = Watermark {
            modified: DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
                .map(|d| d.to_utc())
                .unwrap_or_default(),
            key: "O'KEY".into(),
        };
        assert_eq!(
            after(&since),
            "(ModifyDate gt @2024-01-01T00:00:00Z@ or (ModifyDate eq @2024-01-01T00:00:00Z@ and Id gt 'O''KEY'))"
        );
    }

    #[test]
    fn in_lists() {
        assert_eq!(in_list("Id", ["A", "B'C"]), "Id in ('A','B''C')");
    }

    #[test]
    fn chunks_respect_budget_and_item_cap() {
        let emails: Vec<String> = (0..200)
            .map(|i| format!("PERSON.NUMBER{i}@EXAMPLE.COM"))
            .collect();
        let chunks = in_chunks("upper(Email)", &emails, 1500, 50);
        assert!(chunks.len() > 1);
        let mut seen = Vec::new();
        for (values, clause) in &chunks {
            assert!(encode(clause).len() <= 1500, "{}", clause.len());
            assert!(values.len() <= 50);
            assert_eq!(
                *clause,
                in_list("upper(Email)", values.iter().map(String::as_str))
            );
            seen.extend(values.iter().cloned());
        }
        assert_eq!(seen, emails);
        let capped = in_chunks("Id", &emails[..10], 100_000, 3);
        assert_eq!(
            capped.iter().map(|(v, _)| v.len()).collect::<Vec<_>>(),
            vec![3, 3, 3, 1]
        );
        let huge = vec!["x".repeat(3000)];
        assert_eq!(in_chunks("Email", &huge, 100, 10).len(), 1);
        assert!(in_chunks("Email", &[], 100, 10).is_empty());
    }
}
