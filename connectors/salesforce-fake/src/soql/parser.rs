//! The SOQL parser and type checker: tokens to a [`Query`] whose fields exist and whose
//! literals fit their fields.

use super::ast::{CmpOp, Expr, OrderKey, Query, Selection};
use super::error::SoqlError;
use super::lexer::{Tok, Token, lex};
use crate::id::SfId;
use crate::schema::{FieldType, SObject};
use crate::value::Value;

/// The most `OFFSET` Salesforce allows.
const MAX_OFFSET: usize = 2000;

/// Parses and checks `q`.
pub fn parse(q: &str) -> Result<Query, SoqlError> {
    let tokens = lex(q)?;
    let mut p = Parser { q, tokens, pos: 0 };
    p.query()
}

/// Words SOQL reserves that this subset does not support after `FROM`.
const UNSUPPORTED: &[&str] = &[
    "GROUP", "HAVING", "FOR", "WITH", "USING", "TYPEOF", "ROLLUP", "CUBE", "UPDATE",
];

struct Parser<'q> {
    q: &'q str,
    tokens: Vec<Token>,
    pos: usize,
}

/// A field name as written, before the object is known.
struct NameRef {
    name: String,
    at: usize,
}

impl<'q> Parser<'q> {
    fn peek(&self) -> &Token {
        let last = self.tokens.len() - 1;
        &self.tokens[self.pos.min(last)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        self.pos += 1;
        t
    }

    fn unexpected(&self, t: &Token) -> SoqlError {
        SoqlError::malformed(self.q, t.at, &format!("unexpected token: {}", shown(t)))
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), SoqlError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            let t = self.peek().clone();
            Err(self.unexpected(&t))
        }
    }

    fn expect(&mut self, want: &Tok) -> Result<Token, SoqlError> {
        let t = self.next();
        if &t.tok == want {
            Ok(t)
        } else {
            Err(self.unexpected(&t))
        }
    }

    fn name(&mut self) -> Result<NameRef, SoqlError> {
        let t = self.next();
        match t.tok {
            Tok::Ident(name) => Ok(NameRef { name, at: t.at }),
            _ => Err(self.unexpected(&t)),
        }
    }

    fn query(&mut self) -> Result<Query, SoqlError> {
        self.expect_kw("SELECT")?;
        let selection = self.select_list()?;
        self.expect_kw("FROM")?;
        let from = self.name()?;
        let Some(object) = SObject::from_name(&from.name) else {
            return Err(SoqlError::at(
                "INVALID_TYPE",
                self.q,
                from.at,
                &format!(
                    "sObject type '{}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.",
                    from.name
                ),
            ));
        };
        let selection = match selection {
            None => Selection::Count,
            Some(names) => {
                let mut fields = Vec::new();
                for n in &names {
                    let f = self.field(object, n)?;
                    if fields.contains(&f) {
                        return Err(SoqlError::malformed(
                            self.q,
                            n.at,
                            &format!("duplicate field selected: {}", n.name),
                        ));
                    }
                    fields.push(f);
                }
                Selection::Fields(fields)
            }
        };
        let filter = if self.eat_kw("WHERE") {
            Some(self.condition(object)?)
        } else {
            None
        };
        let mut order = Vec::new();
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            order = self.order_list(object)?;
        }
        let limit = if self.eat_kw("LIMIT") {
            Some(self.count_literal()?)
        } else {
            None
        };
        let offset = if self.eat_kw("OFFSET") {
            let t = self.peek().clone();
            let n = self.count_literal()?;
            if n > MAX_OFFSET {
                return Err(SoqlError::at(
                    "NUMBER_OUTSIDE_VALID_RANGE",
                    self.q,
                    t.at,
                    &format!("Maximum SOQL offset allowed is {MAX_OFFSET}"),
                ));
            }
            Some(n)
        } else {
            None
        };
        let t = self.next();
        if t.tok != Tok::Eof {
            return Err(self.unexpected(&t));
        }
        Ok(Query {
            object,
            selection,
            filter,
            order,
            limit,
            offset,
        })
    }

    /// `None` for `COUNT()`.
    fn select_list(&mut self) -> Result<Option<Vec<NameRef>>, SoqlError> {
        if self.is_kw("COUNT")
            && self.tokens.get(self.pos + 1).map(|t| &t.tok) == Some(&Tok::LParen)
        {
            self.pos += 2;
            self.expect(&Tok::RParen)?;
            return Ok(None);
        }
        let mut names = vec![self.select_item()?];
        while self.peek().tok == Tok::Comma {
            self.pos += 1;
            names.push(self.select_item()?);
        }
        Ok(Some(names))
    }

    fn select_item(&mut self) -> Result<NameRef, SoqlError> {
        let n = self.name()?;
        if self.peek().tok == Tok::LParen {
            // Aggregates, FIELDS(ALL), toLabel() and other functions.
            let t = self.peek().clone();
            return Err(self.unexpected(&t));
        }
        if n.name.eq_ignore_ascii_case("FROM") {
            return Err(SoqlError::malformed(self.q, n.at, "unexpected token: FROM"));
        }
        Ok(n)
    }

    fn field(&self, object: SObject, n: &NameRef) -> Result<usize, SoqlError> {
        if n.name.contains('.') {
            let rel = n.name.split('.').next().unwrap_or("");
            return Err(SoqlError::at(
                "INVALID_FIELD",
                self.q,
                n.at,
                &format!(
                    "Didn't understand relationship '{rel}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
                ),
            ));
        }
        object.field_index(&n.name).ok_or_else(|| {
            SoqlError::at(
                "INVALID_FIELD",
                self.q,
                n.at,
                &format!(
                    "No such column '{}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
                    n.name,
                    object.name()
                ),
            )
        })
    }

    fn count_literal(&mut self) -> Result<usize, SoqlError> {
        let t = self.next();
        match t.tok {
            Tok::Num(n) if n >= 0.0 && n.fract() == 0.0 && !t.text.contains('.') => Ok(n as usize),
            _ => Err(self.unexpected(&t)),
        }
    }

    fn order_list(&mut self, object: SObject) -> Result<Vec<OrderKey>, SoqlError> {
        let mut keys = Vec::new();
        loop {
            let n = self.name()?;
            let field = self.field(object, &n)?;
            if !object.fields()[field].filterable {
                return Err(SoqlError::at(
                    "INVALID_FIELD",
                    self.q,
                    n.at,
                    &format!("field '{}' can not be sorted in a query call", n.name),
                ));
            }
            let desc = if self.eat_kw("DESC") {
                true
            } else {
                self.eat_kw("ASC");
                false
            };
            let mut nulls_last = desc;
            if self.eat_kw("NULLS") {
                if self.eat_kw("FIRST") {
                    nulls_last = false;
                } else {
                    self.expect_kw("LAST")?;
                    nulls_last = true;
                }
            }
            keys.push(OrderKey {
                field,
                desc,
                nulls_last,
            });
            if self.peek().tok != Tok::Comma {
                return Ok(keys);
            }
            self.pos += 1;
        }
    }

    /// Terms joined by one kind of connective: SOQL needs parentheses to mix AND and OR.
    fn condition(&mut self, object: SObject) -> Result<Expr, SoqlError> {
        let first = self.term(object)?;
        let mut terms = vec![first];
        let mut joiner: Option<&'static str> = None;
        loop {
            let word = if self.is_kw("AND") {
                "AND"
            } else if self.is_kw("OR") {
                "OR"
            } else {
                break;
            };
            if joiner.is_some_and(|j| j != word) {
                let t = self.peek().clone();
                return Err(self.unexpected(&t));
            }
            joiner = Some(word);
            self.pos += 1;
            terms.push(self.term(object)?);
        }
        Ok(match joiner {
            None => terms.pop().unwrap_or(Expr::And(Vec::new())),
            Some("AND") => Expr::And(terms),
            Some(_) => Expr::Or(terms),
        })
    }

    fn term(&mut self, object: SObject) -> Result<Expr, SoqlError> {
        if self.eat_kw("NOT") {
            return Ok(Expr::Not(Box::new(self.term(object)?)));
        }
        if self.peek().tok == Tok::LParen {
            self.pos += 1;
            let inner = self.condition(object)?;
            self.expect(&Tok::RParen)?;
            return Ok(inner);
        }
        self.predicate(object)
    }

    fn predicate(&mut self, object: SObject) -> Result<Expr, SoqlError> {
        let n = self.name()?;
        for word in UNSUPPORTED {
            if n.name.eq_ignore_ascii_case(word) {
                return Err(SoqlError::malformed(
                    self.q,
                    n.at,
                    &format!("unexpected token: {}", n.name),
                ));
            }
        }
        let field = self.field(object, &n)?;
        let spec = object.fields()[field];
        if !spec.filterable {
            return Err(SoqlError::at(
                "INVALID_FIELD",
                self.q,
                n.at,
                &format!("field '{}' can not be filtered in a query call", spec.name),
            ));
        }
        let negated = self.eat_kw("NOT");
        if self.eat_kw("IN") {
            self.expect(&Tok::LParen)?;
            let mut values = vec![self.literal(object, field)?];
            while self.peek().tok == Tok::Comma {
                self.pos += 1;
                values.push(self.literal(object, field)?);
            }
            self.expect(&Tok::RParen)?;
            return Ok(Expr::In {
                field,
                values,
                negated,
            });
        }
        if negated {
            let t = self.peek().clone();
            return Err(self.unexpected(&t));
        }
        if self.is_kw("LIKE") {
            let like = self.next();
            if !spec.ftype.is_text() {
                return Err(SoqlError::at(
                    "INVALID_FIELD",
                    self.q,
                    like.at,
                    &format!(
                        "invalid operator on {} field: LIKE",
                        spec.ftype.describe_name()
                    ),
                ));
            }
            let t = self.next();
            return match t.tok {
                Tok::Str(pattern) => Ok(Expr::Like { field, pattern }),
                _ => Err(self.unexpected(&t)),
            };
        }
        let t = self.next();
        let op = match t.tok {
            Tok::Op("=") => CmpOp::Eq,
            Tok::Op("!=") => CmpOp::Ne,
            Tok::Op("<") => CmpOp::Lt,
            Tok::Op("<=") => CmpOp::Le,
            Tok::Op(">") => CmpOp::Gt,
            Tok::Op(">=") => CmpOp::Ge,
            _ => return Err(self.unexpected(&t)),
        };
        let value = self.literal(object, field)?;
        if spec.ftype == FieldType::Boolean && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
            return Err(SoqlError::at(
                "INVALID_QUERY_FILTER_OPERATOR",
                self.q,
                t.at,
                &format!("invalid operator on boolean field: {}", t.text),
            ));
        }
        Ok(Expr::Cmp { field, op, value })
    }

    /// A literal, checked against the type of `field`.
    fn literal(&mut self, object: SObject, field: usize) -> Result<Value, SoqlError> {
        let spec = object.fields()[field];
        let t = self.next();
        let kind_word = match &t.tok {
            Tok::Ident(w) if w.eq_ignore_ascii_case("null") => return Ok(Value::Null),
            Tok::Ident(w) if w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("false") => {
                "boolean"
            }
            Tok::Str(_) => "string",
            Tok::Num(_) => "number",
            Tok::DateTime(_) => "dateTime",
            Tok::Date(_) => "date",
            _ => return Err(self.unexpected(&t)),
        };
        let mismatch = |want: &str, quoted: bool| {
            let quotes = if quoted {
                "should be enclosed in quotes"
            } else {
                "should not be enclosed in quotes"
            };
            SoqlError::at(
                "INVALID_FIELD",
                self.q,
                t.at,
                &format!(
                    "value of filter criterion for field '{}' must be of type {want} and {quotes}",
                    spec.name
                ),
            )
        };
        match (spec.ftype, &t.tok) {
            (ft, Tok::Str(s)) if ft.is_text() => Ok(Value::text(s)),
            (ft, Tok::Str(s)) if ft.is_id() => {
                if s.is_empty() {
                    return Ok(Value::Null);
                }
                SfId::parse(s).map(Value::Id).ok_or_else(|| {
                    SoqlError::at(
                        "INVALID_QUERY_FILTER_OPERATOR",
                        self.q,
                        t.at,
                        &format!("invalid ID field: {s}"),
                    )
                })
            }
            (ft, _) if ft.is_text() || ft.is_id() => Err(mismatch("string", true)),
            (FieldType::Boolean, Tok::Ident(w)) => Ok(Value::Bool(w.eq_ignore_ascii_case("true"))),
            (FieldType::Boolean, _) => Err(mismatch("boolean", false)),
            (FieldType::Double, Tok::Num(n)) => Ok(Value::Num(*n)),
            (FieldType::Double, _) => Err(mismatch("double", false)),
            (FieldType::DateTime, Tok::DateTime(ms)) => Ok(Value::DateTime(*ms)),
            (FieldType::DateTime, _) => Err(mismatch("dateTime", false)),
            (FieldType::Date, Tok::Date(d)) => Ok(Value::Date(*d)),
            (FieldType::Date, _) => Err(mismatch("date", false)),
            _ => {
                let _ = kind_word;
                Err(self.unexpected(&t))
            }
        }
    }
}

fn shown(t: &Token) -> String {
    match &t.tok {
        Tok::Eof => "<EOF>".into(),
        Tok::Str(_) => format!("'{}'", t.text.trim_matches('\'')),
        _ => t.text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(q: &str) -> Query {
        match parse(q) {
            Ok(x) => x,
            Err(e) => panic!("{q}: {e}"),
        }
    }

    fn code(q: &str) -> &'static str {
        match parse(q) {
            Ok(x) => panic!("{q} parsed: {x:?}"),
            Err(e) => e.code,
        }
    }

    #[test]
    fn parses_the_keyset_query() {
        let q = ok(
            "SELECT Id, Email FROM Lead WHERE (SystemModstamp > 2026-12-05T10:15:30.000Z OR (SystemModstamp = 2026-12-05T10:15:30.000Z AND Id > '00Q5g0000000001')) ORDER BY SystemModstamp, Id LIMIT 2000",
        );
        assert_eq!(q.object, SObject::Lead);
        assert_eq!(q.limit, Some(2000));
        assert_eq!(q.order.len(), 2);
        assert!(matches!(q.filter, Some(Expr::Or(ref v)) if v.len() == 2));
    }

    #[test]
    fn field_names_and_keywords_are_case_insensitive() {
        let q = ok(
            "select id, EMAIL from lead where email in ('A@x.io') order by lastname desc nulls first",
        );
        assert_eq!(q.selection, Selection::Fields(vec![0, 5]));
        assert!(q.order[0].desc && !q.order[0].nulls_last);
        assert_eq!(
            ok("SELECT COUNT() FROM Contact").selection,
            Selection::Count
        );
    }

    #[test]
    fn refuses_what_salesforce_refuses() {
        assert_eq!(code("SELECT Id FROM Lead WHERE"), "MALFORMED_QUERY");
        assert_eq!(
            code("SELECT Id FROM Lead WHERE a = 1 AND b = 2 OR c = 3"),
            "INVALID_FIELD"
        );
        assert_eq!(
            code("SELECT Id FROM Lead WHERE IsConverted = true AND Email = 'a' OR Email = 'b'"),
            "MALFORMED_QUERY"
        );
        assert_eq!(code("SELECT Foo FROM Lead"), "INVALID_FIELD");
        assert_eq!(code("SELECT Id FROM Leads"), "INVALID_TYPE");
        assert_eq!(
            code("SELECT Id FROM Lead GROUP BY Email"),
            "MALFORMED_QUERY"
        );
        assert_eq!(code("SELECT COUNT(Id) FROM Lead"), "MALFORMED_QUERY");
        assert_eq!(code("SELECT Id, Id FROM Lead"), "MALFORMED_QUERY");
        assert_eq!(code("SELECT Account.Name FROM Contact"), "INVALID_FIELD");
        assert_eq!(
            code("SELECT Id FROM Lead WHERE Score__c = '5'"),
            "INVALID_FIELD"
        );
        assert_eq!(
            code("SELECT Id FROM Lead WHERE SystemModstamp > '2026-01-01'"),
            "INVALID_FIELD"
        );
        assert_eq!(
            code("SELECT Id FROM Lead WHERE Id = 'nope'"),
            "INVALID_QUERY_FILTER_OPERATOR"
        );
        assert_eq!(
            code("SELECT Id FROM Task WHERE Description = 'x'"),
            "INVALID_FIELD"
        );
        assert_eq!(
            code("SELECT Id FROM Lead LIMIT 5 OFFSET 2001"),
            "NUMBER_OUTSIDE_VALID_RANGE"
        );
        assert_eq!(code("SELECT Id FROM Lead LIMIT 1.5"), "MALFORMED_QUERY");
        assert_eq!(
            code("SELECT Id FROM Lead WHERE Email = :x"),
            "MALFORMED_QUERY"
        );
    }

    #[test]
    fn errors_point_at_the_token() {
        let Err(e) = parse("SELECT Id FROM Lead WHERE") else {
            panic!("parsed");
        };
        assert_eq!(
            e.message,
            "\nSELECT Id FROM Lead WHERE\n                         ^\nERROR at Row:1:Column:26\nunexpected token: <EOF>"
        );
    }
}
