//! The `where` functions (upper, lower, trim, length, left, right, substring, concat,
//! abs, floor, round, sign, year … second, currentTimestamp) and `like` matching.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::filter::V;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// A `where` function Infor CRM supports.
pub(crate) enum Func {
    Upper,
    Lower,
    Trim,
    Length,
    Left,
    Right,
    Substring,
    Concat,
    Abs,
    Floor,
    Round,
    Sign,
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    CurrentTimestamp,
}

pub(crate) const FUNCS: [(&str, Func, usize, usize); 19] = [
    ("upper", Func::Upper, 1, 1),
    ("lower", Func::Lower, 1, 1),
    ("trim", Func::Trim, 1, 1),
    ("length", Func::Length, 1, 1),
    ("left", Func::Left, 2, 2),
    ("right", Func::Right, 2, 2),
    ("substring", Func::Substring, 2, 3),
    ("concat", Func::Concat, 2, 16),
    ("abs", Func::Abs, 1, 1),
    ("floor", Func::Floor, 1, 1),
    ("round", Func::Round, 1, 1),
    ("sign", Func::Sign, 1, 1),
    ("year", Func::Year, 1, 1),
    ("month", Func::Month, 1, 1),
    ("day", Func::Day, 1, 1),
    ("hour", Func::Hour, 1, 1),
    ("minute", Func::Minute, 1, 1),
    ("second", Func::Second, 1, 1),
    ("currenttimestamp", Func::CurrentTimestamp, 0, 0),
];

/// Evaluates a function call; wrong argument types give null.
pub(crate) fn call<'a>(func: Func, args: Vec<V<'a>>, now: DateTime<Utc>) -> V<'a> {
    let text = |i: usize| match args.get(i) {
        Some(V::Str(s)) => Some(s.clone()),
        _ => None,
    };
    let num = |i: usize| match args.get(i) {
        Some(V::Num(n)) => Some(*n),
        _ => None,
    };
    let date = |i: usize| match args.get(i) {
        Some(V::Date(d)) => Some(*d),
        _ => None,
    };
    let chars = |s: &str| s.chars().collect::<Vec<_>>();
    let out: Option<V<'a>> = match func {
        Func::Upper => text(0).map(|s| V::Str(Cow::Owned(s.to_uppercase()))),
        Func::Lower => text(0).map(|s| V::Str(Cow::Owned(s.to_lowercase()))),
        Func::Trim => text(0).map(|s| V::Str(Cow::Owned(s.trim().to_string()))),
        Func::Length => text(0).map(|s| V::Num(s.chars().count() as f64)),
        Func::Left => text(0)
            .zip(num(1))
            .map(|(s, n)| V::Str(Cow::Owned(s.chars().take(n.max(0.0) as usize).collect()))),
        Func::Right => text(0).zip(num(1)).map(|(s, n)| {
            let c = chars(&s);
            let skip = c.len().saturating_sub(n.max(0.0) as usize);
            V::Str(Cow::Owned(c[skip..].iter().collect()))
        }),
        Func::Substring => text(0).zip(num(1)).map(|(s, start)| {
            let skip = (start.max(1.0) as usize) - 1;
            let take = num(2).map_or(usize::MAX, |n| n.max(0.0) as usize);
            V::Str(Cow::Owned(s.chars().skip(skip).take(take).collect()))
        }),
        Func::Concat => {
            let mut out = String::new();
            for a in &args {
                match a {
                    V::Str(s) => out.push_str(s),
                    V::Num(n) => out.push_str(&n.to_string()),
                    V::Null => {}
                    _ => return V::Null,
                }
            }
            Some(V::Str(Cow::Owned(out)))
        }
        Func::Abs => num(0).map(|n| V::Num(n.abs())),
        Func::Floor => num(0).map(|n| V::Num(n.floor())),
        Func::Round => num(0).map(|n| V::Num(n.round())),
        Func::Sign => num(0).map(|n| V::Num(if n == 0.0 { 0.0 } else { n.signum() })),
        Func::Year => date(0).map(|d| V::Num(f64::from(d.year()))),
        Func::Month => date(0).map(|d| V::Num(f64::from(d.month()))),
        Func::Day => date(0).map(|d| V::Num(f64::from(d.day()))),
        Func::Hour => date(0).map(|d| V::Num(f64::from(d.hour()))),
        Func::Minute => date(0).map(|d| V::Num(f64::from(d.minute()))),
        Func::Second => date(0).map(|d| V::Num(f64::from(d.second()))),
        Func::CurrentTimestamp => Some(V::Date(now)),
    };
    out.unwrap_or(V::Null)
}

/// SQL `LIKE` with `%` and `_`, case-insensitive.
pub(crate) fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    let (mut ti, mut pi) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '_' || p[pi] == t[ti]) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '%' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '%')
}
