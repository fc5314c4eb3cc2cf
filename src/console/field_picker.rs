//! The CRM field picker used by *Import Leads / Contacts* and *Add List Columns*: the
//! connector's fields of one entity as checkboxes, custom and read-only fields marked,
//! the always-imported ones ticked and locked.

use listbridge_connector::{FieldDef, FieldType};

/// One checkbox of the picker.
#[derive(Debug, Clone)]
pub struct FieldChoice {
    /// The CRM's field name (the checkbox value).
    pub name: String,
    /// The CRM's label.
    pub label: String,
    /// The value type, in words.
    pub kind: &'static str,
    /// Longest text the CRM accepts, when declared.
    pub max_length: Option<u32>,
    /// A custom field (added by the CRM's customer).
    pub custom: bool,
    /// The CRM maintains it; a sync cannot write it.
    pub read_only: bool,
    /// Ticked.
    pub checked: bool,
    /// Always included: shown ticked and cannot be unticked.
    pub locked: bool,
}

/// The value type of a field, in words.
pub fn kind_name(field_type: FieldType) -> &'static str {
    match field_type {
        FieldType::Text => "text",
        FieldType::Integer => "whole number",
        FieldType::Decimal => "number",
        FieldType::Boolean => "yes / no",
        FieldType::DateTime => "date and time",
        FieldType::Date => "date",
        FieldType::Reference => "reference",
    }
}

/// The picker's checkboxes: `locked` names first (ticked), then the rest in the CRM's
/// order, ticked when in `selected`; names in `exclude` (already in the list) left out.
pub fn choices(
    defs: Vec<FieldDef>,
    locked: &[&str],
    selected: &[String],
    exclude: &[String],
) -> Vec<FieldChoice> {
    let mut out: Vec<FieldChoice> = defs
        .into_iter()
        .filter(|d| !exclude.iter().any(|e| e.eq_ignore_ascii_case(&d.name)))
        .map(|d| {
            let is_locked = locked.iter().any(|l| l.eq_ignore_ascii_case(&d.name));
            FieldChoice {
                checked: is_locked || selected.iter().any(|s| s.eq_ignore_ascii_case(&d.name)),
                locked: is_locked,
                kind: kind_name(d.field_type),
                max_length: d.max_length,
                custom: d.custom,
                read_only: d.read_only,
                label: qualified_label(&d.name, d.label),
                name: d.name,
            }
        })
        .collect();
    out.sort_by_key(|c| !c.locked);
    out
}

/// A related record's field is labelled with the relation's name (`Address · City`),
/// so it is not mistaken for the entity's own field of the same label.
fn qualified_label(name: &str, label: String) -> String {
    match name.rsplit_once('.') {
        Some((relation, _)) => format!("{} · {label}", relation.replace('.', " · ")),
        None => label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, custom: bool) -> FieldDef {
        FieldDef {
            name: name.to_string(),
            label: name.to_string(),
            field_type: FieldType::Text,
            max_length: Some(64),
            required: false,
            read_only: false,
            custom,
        }
    }

    #[test]
    fn related_fields_name_their_relation() {
        assert_eq!(
            qualified_label("Address.City", "City".into()),
            "Address · City"
        );
        assert_eq!(qualified_label("Title", "Title".into()), "Title");
    }

    #[test]
    fn locked_first_selected_ticked_existing_left_out() {
        let defs = vec![
            def("Title", false),
            def("FirstName", false),
            def("Score__c", true),
            def("City", false),
        ];
        let got = choices(
            defs,
            &["FirstName"],
            &["score__c".to_string()],
            &["City".to_string()],
        );
        let names: Vec<_> = got
            .iter()
            .map(|c| (c.name.as_str(), c.checked, c.locked, c.custom))
            .collect();
        assert_eq!(
            names,
            vec![
                ("FirstName", true, true, false),
                ("Title", false, false, false),
                ("Score__c", true, false, true),
            ]
        );
    }
}
