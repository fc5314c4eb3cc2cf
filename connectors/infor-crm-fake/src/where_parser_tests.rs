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
    let e = ok("StartDate between @2014-01-01T00:00:00Z@ and @2014-01-01T23:59:59Z@ and A eq 1");
    assert!(matches!(e, Expr::Binary(BinOp::And, ref l, _) if matches!(**l, Expr::Between { .. })));
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
