//! What the segment builder shows and posts: the name, all/any and the condition rows
//! as typed (kept whole when a save is refused), how they become a
//! [`SegmentFilter`], and where each refusal is shown (beside the name or its row).

use crate::{
    console::form::FieldErrors,
    domain::segment_filter::{Combine, Condition, Operator, SegmentFilter},
    error::ApiError,
    lists::ListError,
};

/// The most condition rows a builder shows.
const MAX_ROWS: usize = 50;

/// One condition row as typed.
#[derive(Debug, Clone, Default)]
pub struct RowValues {
    /// The column (`email` or a list column); empty for a row left blank.
    pub column: String,
    /// The operator's name (`contains`, …).
    pub op: String,
    /// The value compared against.
    pub value: String,
}

/// The builder form as typed.
#[derive(Debug, Clone, Default)]
pub struct BuilderValues {
    /// The segment's name.
    pub name: String,
    /// `all` or `any`.
    pub combine: String,
    /// The condition rows, blank ones included.
    pub rows: Vec<RowValues>,
    /// `save`, or `more` for *Add condition*.
    pub action: String,
}

impl BuilderValues {
    /// A new segment: one blank row.
    pub fn blank() -> Self {
        BuilderValues {
            combine: "all".into(),
            rows: vec![RowValues::default()],
            ..Self::default()
        }
    }

    /// The form of a saved segment.
    pub fn of(name: &str, filter: &SegmentFilter) -> Self {
        let mut rows: Vec<RowValues> = filter
            .conditions
            .iter()
            .map(|c| RowValues {
                column: c.column.clone(),
                op: c.op.as_str().to_string(),
                value: c.value.clone().unwrap_or_default(),
            })
            .collect();
        if rows.is_empty() {
            rows.push(RowValues::default());
        }
        BuilderValues {
            name: name.to_string(),
            combine: match filter.combine {
                Combine::All => "all".into(),
                Combine::Any => "any".into(),
            },
            rows,
            action: String::new(),
        }
    }

    /// The posted form (or the count fragment's query): each `column` starts a row,
    /// the `op` and `value` after it belong to it.
    pub fn parse(pairs: &[(String, String)]) -> Self {
        let mut values = BuilderValues {
            combine: "all".into(),
            ..Self::default()
        };
        for (key, value) in pairs {
            match key.as_str() {
                "name" => values.name = value.clone(),
                "combine" => values.combine = value.clone(),
                "action" => values.action = value.clone(),
                "column" if values.rows.len() < MAX_ROWS => values.rows.push(RowValues {
                    column: value.clone(),
                    ..RowValues::default()
                }),
                "op" => {
                    if let Some(row) = values.rows.last_mut() {
                        row.op = value.clone();
                    }
                }
                "value" => {
                    if let Some(row) = values.rows.last_mut() {
                        row.value = value.clone();
                    }
                }
                _ => {}
            }
        }
        if values.rows.is_empty() {
            values.rows.push(RowValues::default());
        }
        values
    }

    /// *Add condition*: one more blank row.
    pub fn add_row(&mut self) {
        if self.rows.len() < MAX_ROWS {
            self.rows.push(RowValues::default());
        }
    }

    /// The filter of the rows that name a column, with the index of the row each
    /// condition came from; or the message beside a row whose operator is not one.
    pub fn filter(&self) -> Result<(SegmentFilter, Vec<usize>), FieldErrors> {
        let mut conditions = Vec::new();
        let mut from_row = Vec::new();
        let mut errors = FieldErrors::none();
        for (i, row) in self.rows.iter().enumerate() {
            if row.column.trim().is_empty() {
                continue;
            }
            let Some(op) = Operator::parse(&row.op) else {
                errors.add(&row_key(i), "Choose how to compare.");
                continue;
            };
            let value = row.value.trim();
            conditions.push(Condition {
                column: row.column.trim().to_string(),
                op,
                value: (op.needs_value() && !value.is_empty()).then(|| value.to_string()),
            });
            from_row.push(i);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let combine = if self.combine == "any" {
            Combine::Any
        } else {
            Combine::All
        };
        Ok((
            SegmentFilter {
                combine,
                conditions,
            },
            from_row,
        ))
    }
}

/// The key of row `i`'s message in [`FieldErrors`].
pub fn row_key(i: usize) -> String {
    format!("row{i}")
}

/// A refused save's message beside the row (a condition at fault) or the name; `Err`
/// with the API's error when the page itself cannot be shown (the list or segment is
/// gone, or something broke) and the error page should answer.
pub fn errors_for(err: ListError, from_row: &[usize]) -> Result<FieldErrors, ApiError> {
    if let ListError::Filter(filter) = &err {
        let row = filter
            .index()
            .checked_sub(1)
            .and_then(|i| from_row.get(i).copied())
            .unwrap_or(0);
        return Ok(FieldErrors::on(
            &row_key(row),
            crate::console::words::sentence(&filter.to_string()),
        ));
    }
    let api = ApiError::from(err);
    if api.status().is_server_error() || api.status() == axum::http::StatusCode::NOT_FOUND {
        return Err(api);
    }
    let mut errors = FieldErrors::from_api(&api, "name", |f| (f == "name").then_some("name"));
    if api.code() == "already_exists" {
        errors = FieldErrors::on("name", "This list already has a segment with this name.");
    }
    Ok(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::form::pairs;

    #[test]
    fn rows_are_read_in_order_and_blank_rows_skipped() {
        let values = BuilderValues::parse(&pairs(&[
            ("name", "CTOs"),
            ("combine", "any"),
            ("column", ""),
            ("op", "equals"),
            ("value", ""),
            ("column", "Title"),
            ("op", "contains"),
            ("value", " CTO "),
            ("column", "City"),
            ("op", "is_empty"),
            ("value", "ignored"),
        ]));
        assert_eq!(values.rows.len(), 3);
        let (filter, from_row) = values.filter().unwrap();
        assert_eq!(filter.combine, Combine::Any);
        assert_eq!(from_row, vec![1, 2]);
        assert_eq!(filter.conditions[0].value.as_deref(), Some("CTO"));
        assert_eq!(filter.conditions[1].value, None);
    }

    #[test]
    fn an_unknown_operator_is_refused_beside_its_row() {
        let values = BuilderValues::parse(&pairs(&[("column", "Title"), ("op", "like")]));
        let errors = values.filter().unwrap_err();
        assert!(!errors.get("row0").is_empty());
    }
}
