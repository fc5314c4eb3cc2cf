//! The SOQL subset the fake understands, parsed as strictly as Salesforce parses it:
//! what it does not support is a `MALFORMED_QUERY` (or `INVALID_FIELD`, `INVALID_TYPE`,
//! `INVALID_QUERY_FILTER_OPERATOR`), never a silent guess.
//!
//! `SELECT f1, f2 | COUNT() FROM Lead|Contact|Task [WHERE cond] [ORDER BY f [ASC|DESC]
//! [NULLS FIRST|LAST], …] [LIMIT n] [OFFSET n]`, where `cond` combines comparisons
//! (`= != < > <= >=`), `IN (…)`, `NOT IN (…)` and `LIKE` with `AND`, `OR`, `NOT` and
//! parentheses.

mod ast;
mod error;
mod eval;
mod lexer;
mod parser;
mod plan;

pub use ast::Selection;
pub use error::SoqlError;
pub use parser::parse;
pub use plan::execute;
