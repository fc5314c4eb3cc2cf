//! SOQL errors with Salesforce's codes and its message layout (the query line, a caret
//! under the offending token, `ERROR at Row:1:Column:n`, then what is wrong).

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SoqlError {
    /// `MALFORMED_QUERY`, `INVALID_FIELD`, `INVALID_TYPE`,
    /// `INVALID_QUERY_FILTER_OPERATOR` or `NUMBER_OUTSIDE_VALID_RANGE`.
    pub code: &'static str,
    /// The message as Salesforce lays it out.
    pub message: String,
}

impl SoqlError {
    /// An error pointing at byte offset `at` of `query`.
    pub fn at(code: &'static str, query: &str, at: usize, detail: &str) -> SoqlError {
        let before = query.get(..at.min(query.len())).unwrap_or("");
        let row = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line_end = query[line_start..]
            .find('\n')
            .map_or(query.len(), |i| line_start + i);
        let line = &query[line_start..line_end];
        let col = before[line_start..].chars().count() + 1;
        let caret = format!("{}^", " ".repeat(col - 1));
        SoqlError {
            code,
            message: format!("\n{line}\n{caret}\nERROR at Row:{row}:Column:{col}\n{detail}"),
        }
    }

    /// `MALFORMED_QUERY` at `at`.
    pub fn malformed(query: &str, at: usize, detail: &str) -> SoqlError {
        SoqlError::at("MALFORMED_QUERY", query, at, detail)
    }

    /// An error without a position.
    pub fn plain(code: &'static str, message: impl Into<String>) -> SoqlError {
        SoqlError {
            code,
            message: message.into(),
        }
    }
}
