//! SOQL tokens: identifiers (keywords are identifiers the parser recognises), quoted
//! strings with backslash escapes, numbers, unquoted date and date-time literals,
//! operators and punctuation.

use super::error::SoqlError;
use crate::time;

/// A token kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A name or keyword, as written.
    Ident(String),
    /// A string literal's text (escapes resolved, except `\%` and `\_`, kept for LIKE).
    Str(String),
    /// A number.
    Num(f64),
    /// A date-time literal, in milliseconds.
    DateTime(i64),
    /// A date literal, in days.
    Date(i32),
    /// `=`, `!=`, `<`, `<=`, `>`, `>=`.
    Op(&'static str),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
    /// End of the query.
    Eof,
}

/// A token and the byte offset it starts at.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// Where it starts.
    pub at: usize,
    /// Its text as written.
    pub text: String,
}

/// Splits `q` into tokens, ending with [`Tok::Eof`].
pub fn lex(q: &str) -> Result<Vec<Token>, SoqlError> {
    let chars: Vec<(usize, char)> = q.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let end_of = |j: usize| chars.get(j).map_or(q.len(), |c| c.0);
    while i < chars.len() {
        let (at, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let tok = if c.is_ascii_digit() && looks_like_date(&chars[i..]) {
            while i < chars.len()
                && (chars[i].1.is_ascii_alphanumeric() || "-:.+".contains(chars[i].1))
            {
                i += 1;
            }
            let text = &q[at..end_of(i)];
            if let Some(ms) = time::parse_datetime(text) {
                Tok::DateTime(ms)
            } else if let Some(d) = time::parse_date(text) {
                Tok::Date(d)
            } else {
                return Err(SoqlError::malformed(
                    q,
                    at,
                    &format!("line 1:{at} no viable alternative at character '{text}'"),
                ));
            }
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(|n| n.1.is_ascii_digit()))
        {
            i += 1;
            while i < chars.len() && (chars[i].1.is_ascii_digit() || chars[i].1 == '.') {
                i += 1;
            }
            let text = &q[at..end_of(i)];
            match text.parse::<f64>() {
                Ok(n) => Tok::Num(n),
                Err(_) => {
                    return Err(SoqlError::malformed(
                        q,
                        at,
                        &format!("unexpected token: '{text}'"),
                    ));
                }
            }
        } else if c.is_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].1.is_alphanumeric() || "_.".contains(chars[i].1)) {
                i += 1;
            }
            Tok::Ident(q[at..end_of(i)].to_string())
        } else if c == '\'' {
            let (text, next) = string(q, &chars, i)?;
            i = next;
            Tok::Str(text)
        } else {
            let two: String = chars[i..].iter().take(2).map(|c| c.1).collect();
            let (tok, len) = match (c, two.as_str()) {
                (_, "!=") => (Tok::Op("!="), 2),
                (_, "<=") => (Tok::Op("<="), 2),
                (_, ">=") => (Tok::Op(">="), 2),
                ('=', _) => (Tok::Op("="), 1),
                ('<', _) => (Tok::Op("<"), 1),
                ('>', _) => (Tok::Op(">"), 1),
                ('(', _) => (Tok::LParen, 1),
                (')', _) => (Tok::RParen, 1),
                (',', _) => (Tok::Comma, 1),
                _ => {
                    return Err(SoqlError::malformed(
                        q,
                        at,
                        &format!("line 1:{} no viable alternative at character '{c}'", at),
                    ));
                }
            };
            i += len;
            tok
        };
        out.push(Token {
            tok,
            at: chars[start].0,
            text: q[chars[start].0..end_of(i)].to_string(),
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        at: q.len(),
        text: "<EOF>".into(),
    });
    Ok(out)
}

/// `dddd-` starts a date or date-time literal.
fn looks_like_date(rest: &[(usize, char)]) -> bool {
    rest.len() >= 5 && rest[..4].iter().all(|c| c.1.is_ascii_digit()) && rest[4].1 == '-'
}

/// Reads a quoted string starting at `chars[i]` (the opening quote); returns its text
/// and the index after the closing quote.
fn string(q: &str, chars: &[(usize, char)], i: usize) -> Result<(String, usize), SoqlError> {
    let at = chars[i].0;
    let mut out = String::new();
    let mut j = i + 1;
    while j < chars.len() {
        match chars[j].1 {
            '\'' => return Ok((out, j + 1)),
            '\\' => {
                let Some(&(_, e)) = chars.get(j + 1) else {
                    break;
                };
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    '"' | '\'' | '\\' => out.push(e),
                    '%' | '_' => {
                        out.push('\\');
                        out.push(e);
                    }
                    other => {
                        return Err(SoqlError::malformed(
                            q,
                            chars[j].0,
                            &format!(
                                "Invalid string literal '{}'. Illegal escape sequence '\\{other}'",
                                &q[at..]
                            ),
                        ));
                    }
                }
                j += 2;
            }
            c => {
                out.push(c);
                j += 1;
            }
        }
    }
    Err(SoqlError::malformed(
        q,
        at,
        &format!("line 1:{at} mismatched character '<EOF>' expecting '''"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(q: &str) -> Vec<Tok> {
        match lex(q) {
            Ok(t) => t.into_iter().map(|t| t.tok).collect(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn lexes_literals_and_operators() {
        let t = toks(
            "Email IN ('a\\'b', 'c') AND SystemModstamp >= 2026-12-05T10:15:30.000+0000 AND Score__c != -1.5",
        );
        assert_eq!(t[0], Tok::Ident("Email".into()));
        assert_eq!(t[3], Tok::Str("a'b".into()));
        assert!(matches!(t[9], Tok::Op(">=")));
        assert!(matches!(t[10], Tok::DateTime(_)));
        assert_eq!(t[14], Tok::Num(-1.5));
        assert!(matches!(toks("2026-12-05")[0], Tok::Date(_)));
        assert!(matches!(toks("2026-12-05T10:15:30Z")[0], Tok::DateTime(_)));
    }

    #[test]
    fn refuses_bad_escapes_and_open_strings() {
        assert!(lex("'a\\qb'").is_err());
        assert!(lex("'abc").is_err());
        assert!(lex("a : b").is_err());
        assert_eq!(toks("'50\\%'")[0], Tok::Str("50\\%".into()));
    }
}
