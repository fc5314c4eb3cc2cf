//! A parser for SData `where` expressions (SData spec §2.12) into an untyped syntax tree.
//!
//! Grammar, loosest binding first: `or`, `and`, comparison (`eq ne lt le gt ge`,
//! `[not] like`, `[not] in (..)`, `[not] between a and b`), additive (`+ -`),
//! multiplicative (`mul div mod`), unary (`not`, `-`), then literals, parentheses,
//! function calls and dotted property paths.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// A literal value in a `where`.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `'text'` or `"text"`.
    Str(String),
    /// `17`, `17.5`.
    Num(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `@2024-01-01T00:00:00Z@` (dates without a zone are taken as UTC, the fake's
    /// provider time zone).
    Date(DateTime<Utc>),
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `eq`.
    Eq,
    /// `ne`.
    Ne,
    /// `lt`.
    Lt,
    /// `le`.
    Le,
    /// `gt`.
    Gt,
    /// `ge`.
    Ge,
    /// `and`.
    And,
    /// `or`.
    Or,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `mul`.
    Mul,
    /// `div`.
    Div,
    /// `mod`.
    Mod,
}

/// A parsed `where` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal.
    Lit(Literal),
    /// A property path split on dots (`Account.AccountName`).
    Path(Vec<String>),
    /// `not x`.
    Not(Box<Expr>),
    /// `-x`.
    Neg(Box<Expr>),
    /// `a op b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `x [not] between lo and hi`.
    Between {
        /// The tested value.
        value: Box<Expr>,
        /// Inclusive lower bound.
        low: Box<Expr>,
        /// Inclusive upper bound.
        high: Box<Expr>,
        /// `not between`.
        negated: bool,
    },
    /// `x [not] in (a, b, ...)`.
    In {
        /// The tested value.
        value: Box<Expr>,
        /// The candidates.
        list: Vec<Expr>,
        /// `not in`.
        negated: bool,
    },
    /// `x [not] like 'pat%'`.
    Like {
        /// The tested value.
        value: Box<Expr>,
        /// The pattern (`%` any run, `_` one character).
        pattern: Box<Expr>,
        /// `not like`.
        negated: bool,
    },
    /// `name(args)`, name lower-cased.
    Call(String, Vec<Expr>),
}

/// Why a `where` could not be parsed; rendered as a `BadWhereSyntax` diagnosis.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("Invalid query syntax at position {position}: {message}")]
pub struct WhereError {
    /// What was wrong.
    pub message: String,
    /// The character offset where it was noticed.
    pub position: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Lit(Literal),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
}

fn err<T>(position: usize, message: impl Into<String>) -> Result<T, WhereError> {
    Err(WhereError {
        message: message.into(),
        position,
    })
}

fn tokenize(input: &str) -> Result<Vec<(usize, Tok)>, WhereError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => out.push((start, Tok::LParen)),
            ')' => out.push((start, Tok::RParen)),
            ',' => out.push((start, Tok::Comma)),
            '+' => out.push((start, Tok::Plus)),
            '-' => out.push((start, Tok::Minus)),
            '\'' | '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return err(start, "unterminated string literal"),
                        Some(&q) if q == c => {
                            if chars.get(i + 1) == Some(&c) {
                                s.push(c);
                                i += 2;
                            } else {
                                break;
                            }
                        }
                        Some(&other) => {
                            s.push(other);
                            i += 1;
                        }
                    }
                }
                out.push((start, Tok::Lit(Literal::Str(s))));
            }
            '@' => {
                let end = chars[i + 1..].iter().position(|&c| c == '@');
                let Some(len) = end else {
                    return err(start, "unterminated date literal");
                };
                let text: String = chars[i + 1..i + 1 + len].iter().collect();
                let Some(date) = parse_date_literal(&text) else {
                    return err(start, format!("invalid date literal '@{text}@'"));
                };
                out.push((start, Tok::Lit(Literal::Date(date))));
                i += len + 1;
            }
            c if c.is_ascii_digit() => {
                let mut j = i;
                while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                let Ok(n) = text.parse::<f64>() else {
                    return err(start, format!("invalid number '{text}'"));
                };
                out.push((start, Tok::Lit(Literal::Num(n))));
                i = j;
                continue;
            }
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                let mut j = i;
                while j < chars.len()
                    && (chars[j].is_alphanumeric() || matches!(chars[j], '_' | '$' | '.'))
                {
                    j += 1;
                }
                let word: String = chars[i..j].iter().collect();
                let tok = match word.to_ascii_lowercase().as_str() {
                    "true" => Tok::Lit(Literal::Bool(true)),
                    "false" => Tok::Lit(Literal::Bool(false)),
                    "null" => Tok::Lit(Literal::Null),
                    _ => Tok::Ident(word),
                };
                out.push((start, tok));
                i = j;
                continue;
            }
            other => return err(start, format!("unexpected character '{other}'")),
        }
        i += 1;
    }
    Ok(out)
}

/// Parses the inside of `@…@`: a date, or a date-time with no zone, `Z` or `±hh:mm`.
pub fn parse_date_literal(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(text, fmt) {
            return Some(Utc.from_utc_datetime(&n));
        }
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0)?))
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    len: usize,
}

/// Parses a complete `where` expression.
pub fn parse(input: &str) -> Result<Expr, WhereError> {
    let toks = tokenize(input)?;
    let mut p = Parser {
        toks,
        pos: 0,
        len: input.chars().count(),
    };
    if p.toks.is_empty() {
        return err(0, "empty expression");
    }
    let expr = p.or()?;
    match p.toks.get(p.pos) {
        None => Ok(expr),
        Some((at, tok)) => err(*at, format!("unexpected {}", describe(tok))),
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(w) => format!("'{w}'"),
        Tok::Lit(l) => format!("literal {l:?}"),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Comma => "','".into(),
        Tok::Plus => "'+'".into(),
        Tok::Minus => "'-'".into(),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn here(&self) -> usize {
        self.toks.get(self.pos).map_or(self.len, |(at, _)| *at)
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        let hit = self.keyword(word);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect(&mut self, tok: Tok) -> Result<(), WhereError> {
        if self.peek() == Some(&tok) {
            self.pos += 1;
            Ok(())
        } else {
            err(self.here(), format!("expected {}", describe(&tok)))
        }
    }

    fn or(&mut self) -> Result<Expr, WhereError> {
        let mut left = self.and()?;
        while self.eat_keyword("or") {
            let right = self.and()?;
            left = Expr::Binary(BinOp::Or, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, WhereError> {
        let mut left = self.comparison()?;
        while self.eat_keyword("and") {
            let right = self.comparison()?;
            left = Expr::Binary(BinOp::And, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Expr, WhereError> {
        let left = self.additive()?;
        let ops = [
            ("eq", BinOp::Eq),
            ("ne", BinOp::Ne),
            ("lt", BinOp::Lt),
            ("le", BinOp::Le),
            ("gt", BinOp::Gt),
            ("ge", BinOp::Ge),
        ];
        for (word, op) in ops {
            if self.eat_keyword(word) {
                let right = self.additive()?;
                return Ok(Expr::Binary(op, Box::new(left), Box::new(right)));
            }
        }
        let negated = self.keyword("not")
            && matches!(self.toks.get(self.pos + 1), Some((_, Tok::Ident(w)))
                if ["like", "in", "between"].iter().any(|k| w.eq_ignore_ascii_case(k)));
        if negated {
            self.pos += 1;
        }
        let value = Box::new(left);
        if self.eat_keyword("like") {
            let pattern = Box::new(self.additive()?);
            return Ok(Expr::Like {
                value,
                pattern,
                negated,
            });
        }
        if self.eat_keyword("in") {
            self.expect(Tok::LParen)?;
            let mut list = vec![self.or()?];
            while self.peek() == Some(&Tok::Comma) {
                self.pos += 1;
                list.push(self.or()?);
            }
            self.expect(Tok::RParen)?;
            return Ok(Expr::In {
                value,
                list,
                negated,
            });
        }
        if self.eat_keyword("between") {
            let low = Box::new(self.additive()?);
            if !self.eat_keyword("and") {
                return err(self.here(), "expected 'and' in between");
            }
            let high = Box::new(self.additive()?);
            return Ok(Expr::Between {
                value,
                low,
                high,
                negated,
            });
        }
        Ok(*value)
    }

    fn additive(&mut self) -> Result<Expr, WhereError> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Plus) => BinOp::Add,
                Some(Tok::Minus) => BinOp::Sub,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.multiplicative()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn multiplicative(&mut self) -> Result<Expr, WhereError> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat_keyword("mul") {
                BinOp::Mul
            } else if self.eat_keyword("div") {
                BinOp::Div
            } else if self.eat_keyword("mod") {
                BinOp::Mod
            } else {
                return Ok(left);
            };
            let right = self.unary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, WhereError> {
        if self.eat_keyword("not") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Tok::Minus) {
            self.pos += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, WhereError> {
        let at = self.here();
        let Some((_, tok)) = self.toks.get(self.pos).cloned() else {
            return err(at, "unexpected end of expression");
        };
        self.pos += 1;
        match tok {
            Tok::Lit(l) => Ok(Expr::Lit(l)),
            Tok::LParen => {
                let inner = self.or()?;
                self.expect(Tok::RParen)?;
                Ok(inner)
            }
            Tok::Ident(word) => {
                const RESERVED: [&str; 14] = [
                    "and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "like", "in",
                    "between", "mul", "div",
                ];
                if RESERVED.iter().any(|r| word.eq_ignore_ascii_case(r)) {
                    return err(at, format!("unexpected keyword '{word}'"));
                }
                if self.peek() == Some(&Tok::LParen) {
                    self.pos += 1;
                    let mut args = Vec::new();
                    if self.peek() != Some(&Tok::RParen) {
                        args.push(self.or()?);
                        while self.peek() == Some(&Tok::Comma) {
                            self.pos += 1;
                            args.push(self.or()?);
                        }
                    }
                    self.expect(Tok::RParen)?;
                    return Ok(Expr::Call(word.to_ascii_lowercase(), args));
                }
                if word.split('.').any(str::is_empty) {
                    return err(at, format!("invalid property path '{word}'"));
                }
                Ok(Expr::Path(word.split('.').map(str::to_string).collect()))
            }
            other => err(at, format!("unexpected {}", describe(&other))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> Expr {
        match parse(input) {
            Ok(e) => e,
            Err(e) => panic!("'{input}' should parse: {e}"),
        }
    }

    fn path(p: &str) -> Box<Expr> {
        Box::new(Expr::Path(p.split('.').map(str::to_string).collect()))
    }

    fn s(v: &str) -> Box<Expr> {
        Box::new(Expr::Lit(Literal::Str(v.into())))
    }

    #[test]
    fn comparison_operators() {
        for (word, op) in [
            ("eq", BinOp::Eq),
            ("ne", BinOp::Ne),
            ("lt", BinOp::Lt),
            ("le", BinOp::Le),
            ("gt", BinOp::Gt),
            ("ge", BinOp::Ge),
        ] {
            assert_eq!(
                ok(&format!("Email {word} 'a@b.com'")),
                Expr::Binary(op, path("Email"), s("a@b.com"))
            );
        }
    }

    #[test]
    fn and_binds_tighter_than_or_and_parentheses_override() {
        let e = ok("A eq 1 or B eq 2 and C eq 3");
        let Expr::Binary(BinOp::Or, _, right) = e else {
            panic!("or at the top");
        };
        assert!(matches!(*right, Expr::Binary(BinOp::And, ..)));
        let e = ok("(A eq 1 or B eq 2) and C eq 3");
        assert!(matches!(e, Expr::Binary(BinOp::And, ..)));
    }

    #[test]
    fn strings_in_either_quote_with_doubled_escapes() {
        assert_eq!(
            ok("Company eq 'Maxim''s'"),
            Expr::Binary(BinOp::Eq, path("Company"), s("Maxim's"))
        );
        assert_eq!(
            ok(r#"Type ne "atDatabaseChange""#),
            Expr::Binary(BinOp::Ne, path("Type"), s("atDatabaseChange"))
        );
        assert_eq!(
            ok(r#"Name eq "say ""hi""""#),
            Expr::Binary(BinOp::Eq, path("Name"), s(r#"say "hi""#))
        );
    }

    #[test]
    fn date_literals_in_every_form() {
        let utc = |t: &str| parse_date_literal(t).map(|d| d.to_rfc3339());
        assert_eq!(utc("2008-05-19"), Some("2008-05-19T00:00:00+00:00".into()));
        assert_eq!(
            utc("2008-05-19T18:41:00"),
            Some("2008-05-19T18:41:00+00:00".into())
        );
        assert_eq!(
            utc("2008-05-19T16:41:00Z"),
            Some("2008-05-19T16:41:00+00:00".into())
        );
        assert_eq!(
            utc("2008-05-19T18:41:00+02:00"),
            Some("2008-05-19T16:41:00+00:00".into())
        );
        assert!(matches!(
            ok("ModifyDate gt @2024-01-01T00:00:00Z@"),
            Expr::Binary(BinOp::Gt, _, _)
        ));
    }

    #[test]
    fn null_true_false_numbers_and_dotted_paths() {
        let e = ok(
            "(ProcessedByEMSync eq false or ProcessedByEMSync eq null) and Account.Employees ge 17.5",
        );
        let Expr::Binary(BinOp::And, left, right) = e else {
            panic!("and at the top");
        };
        assert!(matches!(*left, Expr::Binary(BinOp::Or, ..)));
        assert_eq!(
            *right,
            Expr::Binary(
                BinOp::Ge,
                path("Account.Employees"),
                Box::new(Expr::Lit(Literal::Num(17.5)))
            )
        );
    }

    #[test]
    fn like_in_between_and_their_negations() {
        assert!(matches!(
            ok("LastNameUpper like 'SMI%'"),
            Expr::Like { negated: false, .. }
        ));
        assert!(matches!(
            ok("LastName not like 'S%'"),
            Expr::Like { negated: true, .. }
        ));
        let e = ok("Id in ('A', 'B', \"C\")");
        assert!(matches!(e, Expr::In { ref list, negated: false, .. } if list.len() == 3));
        assert!(matches!(
            ok("Id not in ('A')"),
            Expr::In { negated: true, .. }
        ));
        let e =
            ok("StartDate between @2014-01-01T00:00:00Z@ and @2014-01-01T23:59:59Z@ and A eq 1");
        assert!(
            matches!(e, Expr::Binary(BinOp::And, ref l, _) if matches!(**l, Expr::Between { .. }))
        );
    }

    #[test]
    fn not_functions_and_arithmetic() {
        assert!(matches!(ok("not(Email eq 'x')"), Expr::Not(_)));
        assert!(matches!(
            ok("upper(FirstName) like 'SMI%'"),
            Expr::Like { ref value, .. } if matches!(**value, Expr::Call(ref n, _) if n == "upper")
        ));
        let e = ok("Employees mul 2 + 1 gt 10");
        let Expr::Binary(BinOp::Gt, left, _) = e else {
            panic!("comparison at the top");
        };
        assert!(
            matches!(*left, Expr::Binary(BinOp::Add, ref l, _) if matches!(**l, Expr::Binary(BinOp::Mul, ..)))
        );
        assert!(
            matches!(ok("-Revenue lt 0"), Expr::Binary(BinOp::Lt, ref l, _) if matches!(**l, Expr::Neg(_)))
        );
    }

    #[test]
    fn syntax_errors_say_where() {
        for bad in [
            "",
            "Email eq",
            "Email eq 'open",
            "(A eq 1",
            "A eq 1)",
            "A eq @2024-13-45@",
            "A eq @2024-01-01",
            "A # 1",
            "A eq 1 and",
            "Id in ()",
            "A between 1 2",
            "eq eq 1",
            "Account..Name eq 1",
        ] {
            assert!(parse(bad).is_err(), "'{bad}' should not parse");
        }
        let e = parse("Email eq 'a' xyz");
        assert!(matches!(e, Err(WhereError { position: 13, .. })), "{e:?}");
    }
}
