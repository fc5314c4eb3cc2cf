//! A parsed, type-checked SOQL query.

use crate::schema::SObject;
use crate::value::Value;

/// A query ready to run: every field is a schema position of `object`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The `FROM` object.
    pub object: SObject,
    /// What is selected.
    pub selection: Selection,
    /// The `WHERE` condition.
    pub filter: Option<Expr>,
    /// The `ORDER BY` keys.
    pub order: Vec<OrderKey>,
    /// `LIMIT`.
    pub limit: Option<usize>,
    /// `OFFSET`.
    pub offset: Option<usize>,
}

/// The `SELECT` list.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// Field positions, in the order written.
    Fields(Vec<usize>),
    /// `COUNT()`: only `totalSize` is answered.
    Count,
}

/// One `ORDER BY` key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderKey {
    /// Field position.
    pub field: usize,
    /// `DESC`.
    pub desc: bool,
    /// Nulls after the values (`NULLS LAST`; the default for `DESC`).
    pub nulls_last: bool,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A `WHERE` condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// All must hold.
    And(Vec<Expr>),
    /// Any must hold.
    Or(Vec<Expr>),
    /// Must not hold.
    Not(Box<Expr>),
    /// `field op literal`.
    Cmp {
        /// Field position.
        field: usize,
        /// Operator.
        op: CmpOp,
        /// Typed literal (`Value::Null` for `null`).
        value: Value,
    },
    /// `field [NOT] IN (…)`.
    In {
        /// Field position.
        field: usize,
        /// Typed literals.
        values: Vec<Value>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `field LIKE 'pattern'`.
    Like {
        /// Field position.
        field: usize,
        /// The pattern with `%`, `_` and backslash escapes.
        pattern: String,
    },
}
