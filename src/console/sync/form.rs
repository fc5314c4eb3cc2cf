//! The sync setup form: the submitted fields turned into a [`SyncSetup`] (what
//! `PUT /v1/lists/{id}/sync` takes), and a setup turned into the form's controls
//! (Push and Pull options, the field checkboxes, the conflict rule with what each
//! choice means). Push-update fields start unticked; pull-update fields start ticked
//! (every column) and are unticked to exclude.

use crate::{
    engine::{SyncSetup, field_map::FieldMap, fields::ConflictRule, setup::PullOptions},
    store::ConnectorId,
};

/// One field checkbox.
#[derive(Debug, Clone)]
pub struct FieldBox {
    /// The checkbox's id (unique in the page).
    pub id: String,
    /// The CRM field name (the checkbox's value).
    pub field: String,
    /// The list column holding it when its name differs from the field's, or "".
    pub column: String,
    /// Ticked.
    pub checked: bool,
}

/// One conflict rule radio button.
#[derive(Debug, Clone)]
pub struct RuleChoice {
    /// The form value (`crm_wins`, `list_wins`, `newest_wins`).
    pub value: &'static str,
    /// Its name.
    pub label: &'static str,
    /// What it means, in one line.
    pub meaning: &'static str,
    /// Chosen.
    pub checked: bool,
}

/// The conflict rules, their form values, names and meanings.
const RULES: [(ConflictRule, &str, &str, &str); 3] = [
    (
        ConflictRule::CrmWins,
        "crm_wins",
        "The CRM wins",
        "The CRM's value is kept and copied into the list.",
    ),
    (
        ConflictRule::ListWins,
        "list_wins",
        "The list wins",
        "The list's value is kept and sent to the CRM.",
    ),
    (
        ConflictRule::NewestWins,
        "newest_wins",
        "The newest change wins",
        "Whichever side changed the field last is kept on both sides.",
    ),
];

/// The form's controls, filled from a setup.
#[derive(Debug, Clone)]
pub struct SetupView {
    /// Push is on.
    pub push_enabled: bool,
    /// *Add new records as leads*.
    pub push_add_new: bool,
    /// *Update existing records* (push).
    pub push_update_existing: bool,
    /// The push-update field checkboxes.
    pub push_fields: Vec<FieldBox>,
    /// Pull is offered (a CRM list).
    pub pull_offered: bool,
    /// Pull is on.
    pub pull_enabled: bool,
    /// *Add new records* (pull).
    pub pull_add_new: bool,
    /// *Update existing records* (pull).
    pub pull_update_existing: bool,
    /// The pull-update field checkboxes.
    pub pull_fields: Vec<FieldBox>,
    /// The conflict rule radio buttons.
    pub rules: Vec<RuleChoice>,
}

impl SetupView {
    /// The controls of `setup` for a list with `map`'s columns.
    pub fn new(setup: &SyncSetup, map: &FieldMap, pull_offered: bool) -> Self {
        let mut push_fields: Vec<FieldBox> = map
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| FieldBox {
                id: format!("push-field-{i}"),
                field: c.crm_field.clone(),
                column: differing(&c.column, &c.crm_field),
                checked: contains(&setup.push.fields, &c.crm_field),
            })
            .collect();
        // A field chosen that is not a column (it was removed, or typed in another
        // client) stays on screen, ticked, so its refusal has something to sit beside.
        for extra in &setup.push.fields {
            if !push_fields
                .iter()
                .any(|b| b.field.eq_ignore_ascii_case(extra))
            {
                push_fields.push(FieldBox {
                    id: format!("push-field-{}", push_fields.len()),
                    field: extra.clone(),
                    column: String::new(),
                    checked: true,
                });
            }
        }
        let pull_fields = map
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| FieldBox {
                id: format!("pull-field-{i}"),
                field: c.crm_field.clone(),
                column: differing(&c.column, &c.crm_field),
                checked: setup
                    .pull
                    .fields
                    .as_ref()
                    .is_none_or(|fs| contains(fs, &c.crm_field)),
            })
            .collect();
        SetupView {
            push_enabled: setup.push.enabled,
            push_add_new: setup.push.add_new,
            push_update_existing: setup.push.update_existing,
            push_fields,
            pull_offered,
            pull_enabled: setup.pull.enabled,
            pull_add_new: setup.pull.add_new,
            pull_update_existing: setup.pull.update_existing,
            pull_fields,
            rules: RULES
                .iter()
                .map(|(rule, value, label, meaning)| RuleChoice {
                    value,
                    label,
                    meaning,
                    checked: *rule == setup.conflict_rule,
                })
                .collect(),
        }
    }
}

/// What a submitted form asks for, or the controls it names wrongly.
#[derive(Debug)]
pub struct Submitted {
    /// The setup, as `PUT …/sync` would take it.
    pub setup: SyncSetup,
    /// A conflict rule that is none of the three, if one was sent.
    pub bad_rule: bool,
}

/// The setup a submitted form asks for. `map` is the list's columns: when every
/// pull-update field is ticked the setup says "every column" (columns added later are
/// pulled too), as the API's default does.
pub fn parse(form: &[(String, String)], map: &FieldMap) -> Submitted {
    let on = |name: &str| form.iter().any(|(k, v)| k == name && !v.is_empty());
    let all = |name: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (k, v) in form {
            let v = v.trim();
            if k == name && !v.is_empty() && !contains(&out, v) {
                out.push(v.to_string());
            }
        }
        out
    };
    let mut setup = SyncSetup::default();
    setup.push.enabled = on("push_enabled");
    setup.push.add_new = on("push_add_new");
    setup.push.update_existing = on("push_update_existing");
    setup.push.fields = all("push_fields");
    setup.connector_id = form
        .iter()
        .find(|(k, _)| k == "connector_id")
        .and_then(|(_, v)| ConnectorId::from_db(v.trim()));
    // The pull controls are only on the page of a list that can pull; a form without
    // them leaves pull as the API's default (off, every column).
    if on("pull_shown") {
        let ticked = all("pull_fields");
        let every = map.crm_fields().all(|f| contains(&ticked, f));
        setup.pull = PullOptions {
            enabled: on("pull_enabled"),
            add_new: on("pull_add_new"),
            update_existing: on("pull_update_existing"),
            fields: if every { None } else { Some(ticked) },
        };
    } else {
        setup.pull.enabled = on("pull_enabled");
        setup.pull.add_new = on("pull_add_new");
        setup.pull.update_existing = on("pull_update_existing");
    }
    let rule = form
        .iter()
        .find(|(k, _)| k == "conflict_rule")
        .map(|(_, v)| v.as_str());
    let mut bad_rule = false;
    match rule.and_then(|r| RULES.iter().find(|(_, value, _, _)| *value == r)) {
        Some((rule, ..)) => setup.conflict_rule = *rule,
        None => bad_rule = rule.is_some(),
    }
    Submitted { setup, bad_rule }
}

/// Whether `names` holds `name`, ignoring case as the engine compares field names.
fn contains(names: &[String], name: &str) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// `column` when it differs from `field`, else "".
fn differing(column: &str, field: &str) -> String {
    if column.eq_ignore_ascii_case(field) {
        String::new()
    } else {
        column.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::field_map::MappedColumn;

    fn map() -> FieldMap {
        FieldMap {
            columns: ["Title", "Company"]
                .map(|f| MappedColumn {
                    column: f.into(),
                    crm_field: f.into(),
                })
                .to_vec(),
            unmapped_address: vec![],
        }
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_tick_no_push_field_and_every_pull_field() {
        let view = SetupView::new(&SyncSetup::default(), &map(), true);
        assert!(view.push_fields.iter().all(|b| !b.checked));
        assert!(view.pull_fields.iter().all(|b| b.checked));
        let chosen: Vec<_> = view.rules.iter().filter(|r| r.checked).collect();
        assert_eq!(chosen.len(), 1);
        assert_eq!(chosen[0].value, "crm_wins");
    }

    #[test]
    fn every_pull_field_ticked_means_every_column() {
        let all = parse(
            &form(&[
                ("pull_shown", "1"),
                ("pull_enabled", "on"),
                ("pull_fields", "Title"),
                ("pull_fields", "Company"),
                ("push_fields", "Title"),
                ("conflict_rule", "list_wins"),
            ]),
            &map(),
        );
        assert_eq!(all.setup.pull.fields, None);
        assert_eq!(all.setup.push.fields, ["Title"]);
        assert_eq!(all.setup.conflict_rule, ConflictRule::ListWins);
        let some = parse(
            &form(&[("pull_shown", "1"), ("pull_fields", "Title")]),
            &map(),
        );
        assert_eq!(some.setup.pull.fields, Some(vec!["Title".to_string()]));
        let none = parse(&form(&[("pull_shown", "1")]), &map());
        assert_eq!(none.setup.pull.fields, Some(vec![]));
        assert!(parse(&form(&[("conflict_rule", "coin_toss")]), &map()).bad_rule);
    }

    #[test]
    fn a_chosen_field_that_is_not_a_column_stays_ticked() {
        let mut setup = SyncSetup::default();
        setup.push.fields = vec!["CreateDate".into()];
        let view = SetupView::new(&setup, &map(), true);
        assert!(
            view.push_fields
                .iter()
                .any(|b| b.field == "CreateDate" && b.checked)
        );
    }
}
