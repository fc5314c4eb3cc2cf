//! One record of a run's report as the console shows it: what happened to whom, in the
//! CRM's own words, with the values the `data` of the record carries laid out for a
//! person: a plan's fields as old → new, a conflict's two values and its winner, a
//! new member's values. The same words go into the CSV download.

use serde_json::Value;

use crate::store::RunRecord;

/// A field a record changes (or would): its value before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The CRM field or list column.
    pub field: String,
    /// The value before ("" when there was none).
    pub old: String,
    /// The value after ("" when it is cleared).
    pub new: String,
}

/// A field changed on both sides, and which side's value was kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictValues {
    /// The list's value.
    pub list: String,
    /// The CRM's value.
    pub crm: String,
    /// "the list" or "the CRM".
    pub winner: &'static str,
}

/// One report record, ready for `console/run_records.html` and the CSV.
#[derive(Debug, Clone)]
pub struct RecordRow {
    /// Order within the run.
    pub seq: i64,
    /// The engine's outcome name.
    pub outcome: String,
    /// The member's or CRM record's email.
    pub email: String,
    /// "lead 00Q1…" when a CRM record is involved.
    pub crm: String,
    /// The field involved.
    pub field: String,
    /// What happened, in the CRM's own words where it gave any.
    pub detail: String,
    /// Fields with their old and new values (plans, updates).
    pub changes: Vec<Change>,
    /// Both values of a conflict.
    pub conflict: Option<ConflictValues>,
    /// A new member's or record's values.
    pub values: Vec<(String, String)>,
}

impl RecordRow {
    /// The row of `record`.
    pub fn new(record: &RunRecord) -> Self {
        let mut row = RecordRow {
            seq: record.seq,
            outcome: record.outcome.clone(),
            email: record.email.clone().unwrap_or_default(),
            crm: match (&record.crm_entity, &record.crm_key) {
                (Some(entity), Some(key)) => format!("{entity} {key}"),
                (None, Some(key)) => key.clone(),
                _ => String::new(),
            },
            field: record.field.clone().unwrap_or_default(),
            detail: record.detail.clone(),
            changes: Vec::new(),
            conflict: None,
            values: Vec::new(),
        };
        match &record.data {
            Some(Value::Object(data)) if record.outcome == "conflict" => {
                row.conflict = Some(ConflictValues {
                    list: text(data.get("list")),
                    crm: text(data.get("crm")),
                    winner: match data.get("winner").and_then(Value::as_str) {
                        Some("crm") => "the CRM",
                        _ => "the list",
                    },
                });
            }
            Some(Value::Object(data)) => {
                for (field, value) in data {
                    match value {
                        Value::Object(pair) if pair.contains_key("new") => {
                            row.changes.push(Change {
                                field: field.clone(),
                                old: text(pair.get("old")),
                                new: text(pair.get("new")),
                            });
                        }
                        other => row.values.push((field.clone(), text(Some(other)))),
                    }
                }
            }
            _ => {}
        }
        row
    }

    /// The values of the record in one line, for the CSV: `Title: CEO → CTO; …`, a
    /// conflict's two sides, or a new record's values.
    pub fn values_line(&self) -> String {
        if let Some(c) = &self.conflict {
            return format!(
                "list: {}; CRM: {}; kept: {}",
                shown(&c.list),
                shown(&c.crm),
                c.winner
            );
        }
        let changes = self
            .changes
            .iter()
            .map(|c| format!("{}: {} → {}", c.field, shown(&c.old), shown(&c.new)));
        let values = self
            .values
            .iter()
            .map(|(field, value)| format!("{field}: {}", shown(value)));
        changes.chain(values).collect::<Vec<_>>().join("; ")
    }
}

/// A JSON value as text: a string as it is, nothing as "".
fn text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A value for a line of text: "(blank)" for none.
fn shown(value: &str) -> &str {
    if value.is_empty() { "(blank)" } else { value }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(outcome: &str, data: Value) -> RunRecord {
        RunRecord {
            seq: 7,
            outcome: outcome.into(),
            email: Some("ann@example.com".into()),
            crm_entity: Some("lead".into()),
            crm_key: Some("Q1".into()),
            field: None,
            detail: "would update".into(),
            data: Some(data),
        }
    }

    #[test]
    fn a_plan_reads_old_to_new() {
        let row = RecordRow::new(&record(
            "planned_pull_update",
            json!({ "Title": { "old": "CEO", "new": "CTO" }, "Company": { "old": null, "new": "Acme" } }),
        ));
        assert_eq!(row.crm, "lead Q1");
        assert_eq!(row.changes.len(), 2);
        assert_eq!(
            row.values_line(),
            "Company: (blank) → Acme; Title: CEO → CTO"
        );
    }

    #[test]
    fn a_conflict_shows_both_values_and_the_winner() {
        let row = RecordRow::new(&record(
            "conflict",
            json!({ "list": "From List", "crm": "From CRM", "winner": "crm" }),
        ));
        let c = row.conflict.clone().expect("conflict");
        assert_eq!(
            (c.list.as_str(), c.crm.as_str(), c.winner),
            ("From List", "From CRM", "the CRM")
        );
        assert_eq!(
            row.values_line(),
            "list: From List; CRM: From CRM; kept: the CRM"
        );
    }

    #[test]
    fn a_new_member_lists_its_values() {
        let row = RecordRow::new(&record(
            "planned_pull_new",
            json!({ "Title": "CFO", "Phone": null }),
        ));
        assert_eq!(row.values_line(), "Phone: (blank); Title: CFO");
    }
}
